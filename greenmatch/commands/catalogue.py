"""``greenmatch catalogue show``: print the catalogue tree or one entry."""

import re
import sys
import unicodedata
from typing import Optional

from greenmatch.errors import CatalogueError

COLUMNS_EXAMPLE = "--columns code=编号,title=名称,text=说明"
# Pairs in --columns may be separated by an ASCII or a full-width comma.
_PAIR_SEPARATOR = re.compile(r"[,，]")


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
        help="与 --catalogue 一起使用：目录文件的表头不是已知格式时，指定各字段所在的列，例如 code=编号,title=名称,text=说明",
    )


def parse_columns(text: str) -> dict:
    """Parse ``--columns`` (``field=column,...``) into a mapping from entry field to column name.

    Raises:
        CatalogueError: a pair has no ``=``, or an empty field or column name, or a field repeats.
    """
    columns = {}
    for pair in _PAIR_SEPARATOR.split(text):
        pair = pair.strip()
        if not pair:
            continue
        field, separator, column = (part.strip() for part in pair.partition("="))
        if not separator or not field or not column:
            raise CatalogueError(
                f"--columns 中的“{pair}”格式不正确：应写成 字段=列名，多个用逗号分隔，例如 {COLUMNS_EXAMPLE}。"
            )
        if field in columns:
            raise CatalogueError(f"--columns 中字段“{field}”出现了两次。每个字段只能对应一列，例如 {COLUMNS_EXAMPLE}。")
        columns[field] = column
    if not columns:
        raise CatalogueError(f"--columns 为空。请写成 字段=列名，多个用逗号分隔，例如 {COLUMNS_EXAMPLE}。")
    return columns


def check_catalogue_arguments(args) -> Optional[dict]:
    """Check ``--catalogue`` and ``--columns`` before anything is loaded; return the parsed columns (or None).

    Raises:
        CatalogueError: ``--columns`` is malformed, or given without ``--catalogue``.
    """
    text = getattr(args, "columns", None)
    if text is None:
        return None
    if not getattr(args, "catalogue", None):
        raise CatalogueError(
            f"--columns 只用于 --catalogue 给出的目录文件，内置目录不需要它。请同时给出 --catalogue 文件路径，"
            f"例如 --catalogue 目录.xlsx {COLUMNS_EXAMPLE}；使用内置目录时去掉 --columns。"
        )
    return parse_columns(text)


def load_catalogue_from_args(args):
    """Load the catalogue named by ``--catalogue`` (default: the embedded one), with ``--columns``."""
    from greenmatch.catalogue import Catalogue

    columns = check_catalogue_arguments(args)
    return Catalogue.load(getattr(args, "catalogue", None), columns=columns)


def run_show(args) -> int:
    catalogue = load_catalogue_from_args(args)

    if args.code:
        # Codes typed with a Chinese input method have full-width digits and dots (３．１．４).
        args.code = unicodedata.normalize("NFKC", args.code).strip()
        if args.code not in catalogue:
            # Exit code 2 like every other invalid input (see greenmatch.cli).
            print(f"错误：目录中没有代码为“{args.code}”的三级条目。可运行 greenmatch catalogue show 查看全部代码。", file=sys.stderr)
            return 2
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
