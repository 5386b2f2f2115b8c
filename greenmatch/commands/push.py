"""``greenmatch push``: publish a trained model (and optionally its catalogue) on the Hugging Face Hub."""

from greenmatch.hub import DEFAULT_CATALOGUE_LICENSE, push_model, retriever_repo_id_for


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "push",
        help="把训练好的模型发布到 Hugging Face Hub",
        description=(
            "把 greenmatch train 的输出文件夹发布到 Hub：完整模型推送到 --repo-id，检索器另外推送到 <repo-id>-retriever，"
            "以便 SentenceTransformer 直接加载。需要有写权限的访问令牌（hf auth login 或环境变量 HF_TOKEN）；"
            "环境变量 HF_ENDPOINT 可指向镜像或自建 Hub。本地文件夹只读取，不会被修改。"
        ),
    )
    parser.add_argument("model_dir", metavar="DIR", help="greenmatch train 的输出文件夹")
    parser.add_argument("--repo-id", required=True, help="Hub 上的模型仓库 ID，例如 org/greenmatch；不存在时自动创建")
    parser.add_argument("--private", action="store_true", help="新建的仓库设为私有（已有仓库保持原可见性）")
    parser.add_argument("--revision", metavar="REV", help="推送到的分支，不存在时从 main 创建（默认 main）")
    parser.add_argument("--catalogue-repo-id", metavar="ID", help="同时把模型使用的目录发布为 Hub 数据集，例如 org/gigc2019")
    parser.add_argument(
        "--catalogue-license",
        default=DEFAULT_CATALOGUE_LICENSE,
        metavar="LICENSE",
        help=f"目录数据集卡片中的许可标识（默认 {DEFAULT_CATALOGUE_LICENSE}）",
    )
    parser.add_argument("--retriever-repo-id", metavar="ID", help="单独发布检索器的仓库 ID（默认 <repo-id>-retriever）")
    parser.add_argument("--commit-message", metavar="TEXT", help="提交说明（默认注明 greenmatch 版本）")
    parser.set_defaults(run=run)


def run(args) -> int:
    retriever_repo_id = args.retriever_repo_id or retriever_repo_id_for(args.repo_id)
    print(f"正在发布 {args.model_dir} 到 {args.repo_id} ……")
    url = push_model(
        args.model_dir,
        args.repo_id,
        private=args.private,
        revision=args.revision,
        commit_message=args.commit_message,
        retriever_repo_id=retriever_repo_id,
        catalogue_repo_id=args.catalogue_repo_id,
        catalogue_license=args.catalogue_license,
    )
    print(f"已发布模型：{url}")
    print(f"  检索器单独发布在：{retriever_repo_id}")
    if args.catalogue_repo_id:
        print(f"  目录数据集：{args.catalogue_repo_id}")
    revision = f" --revision {args.revision}" if args.revision else ""
    print(f"下载：greenmatch pull {args.repo_id}{revision}")
    print(f'匹配：greenmatch match --model {args.repo_id} "屋顶分布式光伏电站项目"')
    return 0
