"""``greenmatch match-file``: match one column of a CSV or XLSX file and write a table of results."""

import argparse

from greenmatch.batch import BatchJob, format_summary, progress_path, result_columns
from greenmatch.commands.match import add_model_arguments, shortlist_from_args
from greenmatch.commands.options import positive_int
from greenmatch.models import load_matcher

# The hint `greenmatch.cli.main` prints after Ctrl+C, since finished chunks stay in the progress file.
RESUME_HINT = "已完成的部分已保存在进度文件中，加上 --resume 重新运行同一命令即可从中断处继续。"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "match-file",
        help="批量匹配 CSV 或 XLSX 文件中的一列文本",
        description=(
            "逐行匹配表格中一列文本（项目名称、贷款用途或经营范围），保留原有各列，"
            "并在后面加上每个排名的匹配代码、条目和分数，以及“是否绿色”和“判定分数”。"
            "每完成一块就把进度写入输出文件旁的 .partial.jsonl 文件；中断后加 --resume 可从中断处继续。"
        ),
        epilog=f"输出列（以 --top-k 3 为例）：{'、'.join(result_columns(3))}。",
    )
    parser.add_argument("input", metavar="INPUT", help="输入表格（CSV、XLSX、TSV 或 JSONL）；文本列按文本匹配，其余各列按原值写回")
    parser.add_argument("--column", required=True, metavar="列名", help="要匹配的文本所在的列，例如 项目名称")
    parser.add_argument("--output", required=True, metavar="OUT", help="输出表格，扩展名为 .csv 或 .xlsx，不能与输入文件相同")
    parser.add_argument("--top-k", type=positive_int, default=3, metavar="K", help="每行保留前几个匹配条目（默认 3）")
    add_model_arguments(parser)
    parser.add_argument("--chunk-size", type=positive_int, default=256, metavar="行数", help="每次匹配并保存进度的行数（默认 256）")
    parser.add_argument("--resume", action="store_true", help="从上次中断处继续：沿用进度文件中已完成的行，只匹配其余的行")
    parser.add_argument("--sheet", metavar="工作表", help="XLSX 输入要读取的工作表名称；默认第一个工作表")
    parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
    parser.set_defaults(run=run, interrupt_hint=RESUME_HINT)


def run(args: argparse.Namespace) -> int:
    job = BatchJob.prepare(
        args.input,
        args.column,
        args.output,
        top_k=args.top_k,
        chunk_size=args.chunk_size,
        resume=args.resume,
        sheet=args.sheet,
    )
    print(f"读取 {args.input}：{len(job.texts)} 行，文本列“{job.column}”。进度保存在 {progress_path(job.output_path)}。")

    matcher = load_matcher(args.model)
    summary = job.run(matcher, shortlist=shortlist_from_args(args), progress=not args.no_progress)
    print(format_summary(summary))
    return 0
