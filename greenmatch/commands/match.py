"""``greenmatch match``: match one or more texts and print the ranked entries."""

from greenmatch.commands.options import positive_int, shortlist_size
from greenmatch.models import load_matcher


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "match",
        help="匹配一条或几条文本",
        description="把文本匹配到目录的三级条目，打印排名表和绿色/非绿色结论。",
    )
    parser.add_argument("texts", nargs="+", metavar="文本", help="要匹配的项目名称、贷款用途或经营范围")
    add_model_arguments(parser)
    parser.add_argument("--top-k", type=positive_int, default=5, metavar="K", help="每条文本显示前几个条目（默认 5）")
    parser.set_defaults(run=run)


def add_model_arguments(parser) -> None:
    parser.add_argument("--model", metavar="DIR_OR_HUB_ID", help="模型文件夹或 Hub 模型 ID；默认使用 greenmatch quickstart 训练的快速模型")
    parser.add_argument(
        "--shortlist",
        type=shortlist_size,
        default=None,
        metavar="N",
        help="交叉编码器重排的候选条目数（默认取模型设置）；0 表示对全部条目打分（原方法，较慢）",
    )


def shortlist_from_args(args):
    if args.shortlist is None:
        return "config"
    return None if args.shortlist == 0 else args.shortlist


def run(args) -> int:
    # display imports the matcher module (numpy, pandas), which `greenmatch --help` does not need.
    from greenmatch.display import format_result

    matcher = load_matcher(args.model)
    default_threshold = matcher.config.threshold_source == "default"
    results = matcher.match(args.texts, top_k=args.top_k, shortlist=shortlist_from_args(args))
    for index, result in enumerate(results):
        if index:
            print()
        if not result.text:
            print("文本为空，已跳过。")
            continue
        print(format_result(result, default_threshold=default_threshold))
    if default_threshold:
        print(f"\n注意：该模型没有用标注数据校准非绿色阈值，使用的是默认阈值 {matcher.config.threshold}。")
    return 0
