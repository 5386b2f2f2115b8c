"""``greenmatch quickstart``: train the quick model once (or reuse it) and match example texts."""

from greenmatch.models import default_model_dir

EXAMPLES = (
    "宁夏中卫200MW农光互补光伏电站项目",
    "用于购置餐厨垃圾处理设备，建设日处理300吨的资源化利用中心",
    "老旧小区外墙保温和门窗节能改造",
    "一般项目：新能源汽车废旧动力蓄电池回收及梯次利用",
    "某市中心商业综合体及住宅开发项目",
)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "quickstart",
        help="训练快速模型（已有则复用）并演示匹配",
        description="用内置目录和默认基础模型（moka-ai/m3e-small，仅限非商业研究用途）训练快速模型，"
        "保存到 $GREENMATCH_HOME/models/quick（默认 ~/.cache/greenmatch），然后匹配几条示例文本。",
    )
    parser.add_argument("--retrain", action="store_true", help="即使已有快速模型也重新训练")
    # Without --retrain, quickstart trains with resume on, so running it again continues.
    parser.set_defaults(run=run, interrupt_hint="已完成的训练阶段已保存，再次运行 greenmatch quickstart（不加 --retrain）即可从中断处继续训练。")


def run(args) -> int:
    from greenmatch.display import format_result
    from greenmatch.matcher import Matcher
    from greenmatch.training import TrainConfig, train

    folder = default_model_dir()
    if args.retrain or not (folder / "greenmatch.json").exists():
        print(f"未找到快速模型，开始训练（2 核 CPU 约 8 分钟），保存到 {folder} …")
        train(TrainConfig(output_dir=str(folder), preset="quick", resume=not args.retrain))
    else:
        print(f"复用已训练的快速模型：{folder}")

    matcher = Matcher.from_pretrained(folder)
    for result in matcher.match(list(EXAMPLES), top_k=3):
        print()
        print(format_result(result))
    print("\n匹配自己的文本：greenmatch match \"你的项目名称\"；批量匹配 Excel：greenmatch match-file 输入.xlsx --column 项目名称 --output 结果.xlsx")
    return 0
