"""Publish a trained greenmatch model on the Hugging Face Hub.

    hf auth login                      # or: export HF_TOKEN=<a token with write access>
    python hub/push_model.py outputs/greenmatch --repo-id org/greenmatch
    python hub/push_model.py outputs/greenmatch --repo-id org/greenmatch --catalogue-repo-id org/gigc2019 --private
    HF_ENDPOINT=https://hub.example.com python hub/push_model.py outputs/greenmatch --repo-id org/greenmatch

It does what ``greenmatch push`` does: the whole model goes to ``--repo-id`` and the retriever
alone to ``<repo-id>-retriever``; see hub/README.md for the layout.
"""

import argparse
import logging
import sys

from greenmatch.errors import GreenmatchError
from greenmatch.hub import push_model, retriever_repo_id_for


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="把 greenmatch 模型发布到 Hugging Face Hub（与 greenmatch push 相同）。")
    parser.add_argument("model_dir", help="greenmatch train 的输出文件夹")
    parser.add_argument("--repo-id", required=True, help="模型仓库 ID，例如 org/greenmatch")
    parser.add_argument("--private", action="store_true", help="新建的仓库设为私有")
    parser.add_argument("--revision", help="推送到的分支（默认 main）")
    parser.add_argument("--catalogue-repo-id", help="同时把目录发布为这个 Hub 数据集")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    try:
        url = push_model(
            args.model_dir,
            args.repo_id,
            private=args.private,
            revision=args.revision,
            catalogue_repo_id=args.catalogue_repo_id,
        )
    except GreenmatchError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    print(f"已发布模型：{url}")
    print(f"检索器：{retriever_repo_id_for(args.repo_id)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
