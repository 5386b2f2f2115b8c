"""``greenmatch pull``: download a published greenmatch model from the Hugging Face Hub."""

from greenmatch.hub import download_model, hub_ids


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "pull",
        help="从 Hugging Face Hub 下载已发布的模型",
        description=(
            "下载 greenmatch push 发布的模型。默认存入 Hugging Face 缓存（HF_HOME），之后 --model 直接写仓库 ID 即可；"
            "私有仓库需要访问令牌（hf auth login 或环境变量 HF_TOKEN）；环境变量 HF_ENDPOINT 可指向镜像或自建 Hub。"
        ),
    )
    parser.add_argument("repo_id", metavar="REPO_ID", help="Hub 上的模型仓库 ID，例如 org/greenmatch")
    parser.add_argument("--local-dir", metavar="DIR", help="把模型文件复制到这个文件夹（默认只放在缓存中）")
    parser.add_argument("--revision", metavar="REV", help="分支、标签或提交哈希（默认 main）")
    parser.set_defaults(run=run)


def run(args) -> int:
    from greenmatch.matcher import CATALOGUE_NAME, CONFIG_NAME, MatcherConfig

    print(f"正在下载 {args.repo_id} ……")
    folder = download_model(args.repo_id, revision=args.revision, local_dir=args.local_dir)
    config = MatcherConfig.load(folder / CONFIG_NAME)
    with open(folder / CATALOGUE_NAME, encoding="utf-8") as handle:
        entries = sum(1 for line in handle if line.strip())

    print(f"已下载到：{folder}")
    print(f"  目录条目：{entries} 个；非绿色阈值：{config.threshold:.4f}（{config.threshold_source}）")
    retriever = hub_ids(folder).get("retriever_repo_id")
    if retriever:
        print(f"  检索器也可单独加载：SentenceTransformer(\"{retriever}\")")
    # --model with a repository id loads main, so another revision is named by its folder.
    model = args.local_dir or (str(folder) if args.revision else args.repo_id)
    print(f'匹配：greenmatch match --model {model} "屋顶分布式光伏电站项目"')
    return 0
