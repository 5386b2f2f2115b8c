"""The ``greenmatch`` command line.

Each subcommand lives in ``greenmatch/commands/<name>.py`` with an ``add_parser(subparsers)``
that declares its options and a ``run(args)`` that does the work. Help text and output are in
Simplified Chinese.

Exit codes: 0 success; 1 no command given, or a file operation failed with an `OSError` that
no check caught (disk full, permissions changed while running); 2 invalid input, which argparse
or a `GreenmatchError` reports as one line on stderr; 130 interrupted with Ctrl+C.

Building the parser imports every command module, so those modules import torch, transformers
and the other heavy libraries inside their ``run`` functions, keeping ``greenmatch --help``
and ``greenmatch catalogue show`` fast.
"""

import argparse
import importlib
import logging
import os
import sys

from greenmatch.errors import GreenmatchError, os_error_reason

logger = logging.getLogger(__name__)

COMMANDS = ("catalogue", "evaluate", "train", "calibrate", "match", "match_file", "finetune", "push", "pull", "serve", "quickstart")

INTERRUPTED = "已中断。"


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
        # Commands that can continue an interrupted run set ``interrupt_hint`` in their parser.
        hint = getattr(args, "interrupt_hint", None)
        print(f"{INTERRUPTED}{hint}" if hint else INTERRUPTED, file=sys.stderr)
        return 130
    except OSError as error:
        # Last resort for a file operation no check foresaw; the checks raise GreenmatchError.
        logger.info("Unhandled OSError in %s", args.command, exc_info=True)
        print(os_error_message(error), file=sys.stderr)
        return 1


def os_error_message(error: OSError) -> str:
    """Describe an OSError in Chinese with the path involved and what to check."""
    reason = os_error_reason(error)
    if error.filename is None:
        return f"错误：系统操作失败（{reason}）。请检查磁盘空间和文件权限后重试；加 -v 可看到详细信息。"
    paths = str(error.filename) if error.filename2 is None else f"{error.filename} → {error.filename2}"
    return f"错误：无法读写 {paths}（{reason}）。请检查该路径是否存在、是否有写入权限以及磁盘空间是否足够，然后重试。"


if __name__ == "__main__":
    sys.exit(main())
