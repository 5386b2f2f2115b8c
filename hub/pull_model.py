"""Download a published greenmatch model and match a text with it.

    python hub/pull_model.py org/greenmatch
    python hub/pull_model.py org/greenmatch --local-dir models/greenmatch --revision dev
    python hub/pull_model.py org/greenmatch --text "屋顶分布式光伏电站项目"
    HF_ENDPOINT=https://hub.example.com python hub/pull_model.py org/greenmatch

It does what ``greenmatch pull`` does and, with ``--text``, loads the model and prints the top
entries, which shows that the download is complete.
"""

import argparse
import logging
import sys

from greenmatch.errors import GreenmatchError
from greenmatch.hub import download_model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="从 Hugging Face Hub 下载 greenmatch 模型（与 greenmatch pull 相同）。")
    parser.add_argument("repo_id", help="模型仓库 ID，例如 org/greenmatch")
    parser.add_argument("--local-dir", help="把模型文件复制到这个文件夹（默认只放在 Hugging Face 缓存中）")
    parser.add_argument("--revision", help="分支、标签或提交哈希（默认 main）")
    parser.add_argument("--text", help="下载后用模型匹配这条文本")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    try:
        folder = download_model(args.repo_id, revision=args.revision, local_dir=args.local_dir)
    except GreenmatchError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    print(f"已下载到：{folder}")

    if args.text:
        from greenmatch.display import format_result
        from greenmatch.matcher import Matcher

        matcher = Matcher.from_pretrained(folder)
        print(format_result(matcher.match(args.text, top_k=3)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
