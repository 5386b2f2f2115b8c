"""``greenmatch catalogue show``: print the catalogue tree or one entry."""

import sys

from greenmatch.catalogue import Catalogue


def add_parser(subparsers):
    parser = subparsers.add_parser("catalogue", help="查看目录", description="查看绿色产业目录。")
    actions = parser.add_subparsers(dest="action", metavar="操作", title="操作", required=True)

    show = actions.add_parser("show", help="显示目录树或某一条目", description="显示目录树，或给出代码时显示该条目的详细内容。")
    show.add_argument("code", nargs="?", help="三级条目代码，例如 3.2.2；省略时显示整个目录树")
    add_catalogue_arguments(show)
    show.set_defaults(run=run_show)


def add_catalogue_arguments(parser) -> None:
    parser.add_argument("--catalogue", metavar="PATH", help="目录文件（CSV、XLSX 或 JSONL）；默认使用内置的 2019 年版目录")
    parser.add_argument(
        "--columns",
        metavar="字段=列名,...",
        help="目录文件的表头不是已知格式时，指定列名，例如 code=编号,title=名称,text=说明",
    )


def load_catalogue_from_args(args) -> Catalogue:
    columns = None
    if getattr(args, "columns", None):
        columns = dict(pair.split("=", 1) for pair in args.columns.split(",") if "=" in pair)
    return Catalogue.load(getattr(args, "catalogue", None), columns=columns)


def run_show(args) -> int:
    catalogue = load_catalogue_from_args(args)

    if args.code:
        if args.code not in catalogue:
            print(f"错误：目录中没有代码为“{args.code}”的三级条目。可运行 greenmatch catalogue show 查看全部代码。", file=sys.stderr)
            return 1
        entry = catalogue[args.code]
        print(f"代码：{entry.code}")
        print(f"名称：{entry.title}")
        print(f"一级：{entry.level1_code} {entry.level1}")
        print(f"二级：{entry.level2_code} {entry.level2}")
        print(f"说明（用于匹配）：{entry.text}")
        if entry.keywords:
            print(f"关键词：{'、'.join(entry.keywords)}")
        if entry.explanation:
            print(f"官方解释：{entry.explanation}")
        return 0

    print(f"{catalogue.title}：{len(catalogue.level1_titles())} 个一级、{len(catalogue.level2_titles())} 个二级、{len(catalogue)} 个三级条目")
    level1_seen, level2_seen = set(), set()
    for entry in catalogue:
        if entry.level1_code not in level1_seen:
            level1_seen.add(entry.level1_code)
            print(f"{entry.level1_code} {entry.level1}")
        if entry.level2_code not in level2_seen:
            level2_seen.add(entry.level2_code)
            print(f"  {entry.level2_code} {entry.level2}")
        print(f"    {entry.code} {entry.title}")
    return 0
