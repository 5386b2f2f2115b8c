"""The ``greenmatch`` command line.

Each subcommand lives in ``greenmatch/commands/<name>.py`` with an ``add_parser(subparsers)``
that declares its options and a ``run(args)`` that does the work. Help text and output are in
Simplified Chinese; a `GreenmatchError` is printed as one line on stderr with exit code 2.
"""

import argparse
import importlib
import logging
import os
import sys

from greenmatch.errors import GreenmatchError

COMMANDS = ("catalogue", "evaluate", "train", "calibrate", "match", "match_file", "finetune", "push", "pull", "serve", "quickstart")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="greenmatch",
        description="将项目名称、贷款用途或经营范围匹配到《绿色产业指导目录（2019年版）》的三级条目，或判定为非绿色。",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="显示详细日志（英文）")
    subparsers = parser.add_subparsers(dest="command", metavar="命令", title="命令")
    for name in COMMANDS:
        module = importlib.import_module(f"greenmatch.commands.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    # Library warnings about progress bars and tokenizer threads are noise for analysts.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 1

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.verbose:
        logging.getLogger("greenmatch").setLevel(logging.INFO)

    try:
        return args.run(args) or 0
    except GreenmatchError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。已完成的部分已保存，可用 --resume 继续。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
