"""``greenmatch finetune``: continue training a model on a team's labelled texts and show before → after."""

import logging
import sys
from dataclasses import MISSING, fields

from greenmatch.commands.options import annotation_type_name, integer, number

METAVARS = {"model": "文件夹或ID", "data": "文件或名称", "output_dir": "文件夹", "text_column": "列名", "codes_column": "列名"}
TYPE_METAVARS = {"int": "N", "float": "数值"}
# Help of the --no-… option of a setting that is on by default.
NEGATIVE_HELP = {"catalogue_check": "不检查目录知识是否被遗忘（默认用每个条目一条未参与训练的生成查询检查）"}


def add_parser(subparsers):
    from greenmatch.finetune import FinetuneConfig

    parser = subparsers.add_parser(
        "finetune",
        help="用团队自己的标注数据微调模型",
        description="用团队自己的标注数据（文本 + 目录代码，非绿色留空）继续训练一个 greenmatch 模型：留出一部分文本，"
        "先评测原模型，再用当前模型挖掘难负例并混入目录样本对训练，最后在留出集上重新校准非绿色阈值并再次评测，"
        "输出完整的模型文件夹和模型卡。",
    )
    for spec in fields(FinetuneConfig):
        option = "--" + spec.name.replace("_", "-")
        help_text = spec.metadata.get("help", "")
        kind = annotation_type_name(spec.type)
        metavar = METAVARS.get(spec.name, TYPE_METAVARS.get(kind))
        if spec.default is MISSING:
            parser.add_argument(option, dest=spec.name, required=True, metavar=metavar, help=help_text)
        elif kind == "bool" and spec.default is True:
            parser.add_argument(f"--no-{spec.name.replace('_', '-')}", dest=spec.name, action="store_false", help=NEGATIVE_HELP[spec.name])
        elif kind == "bool":
            parser.add_argument(option, dest=spec.name, action="store_true", help=help_text)
        else:
            # Ranges are checked by FinetuneConfig itself, so YAML recipes get the same checks.
            converter = {"int": integer, "float": number}.get(kind, str)
            default = f"；默认 {spec.default}" if spec.default is not None else ""
            parser.add_argument(option, dest=spec.name, type=converter, default=spec.default, metavar=metavar, help=help_text + default)
    parser.set_defaults(run=run)


def config_from_args(args):
    from greenmatch.finetune import FinetuneConfig

    return FinetuneConfig(**{spec.name: getattr(args, spec.name) for spec in fields(FinetuneConfig)})


def run(args) -> int:
    from greenmatch.finetune import run_finetune

    config = config_from_args(args)
    if not getattr(args, "verbose", False):
        # Fine-tuning takes minutes: show what each step chooses and measures even without -v.
        logging.getLogger("greenmatch").setLevel(logging.INFO)
        if not logging.getLogger().handlers:
            logging.basicConfig(stream=sys.stderr)
    print(f"开始微调 {config.model}，数据 {config.data}，输出到 {config.output_dir} …", file=sys.stderr)
    result = run_finetune(config)
    print(summary_text(result))
    return 0


def summary_text(result) -> str:
    """Format the Chinese report printed at the end: warnings, the before → after table, the folder."""
    from greenmatch.evaluation import format_metric, format_table
    from greenmatch.finetune import comparison_rows
    from greenmatch.matcher import CONFIG_NAME, MatcherConfig

    summary = result.summary
    texts = summary["texts"]
    lines = []
    if result.warnings:
        lines.append("警告：")
        lines.extend(f"  - {warning}" for warning in result.warnings)
        lines.append("")

    if summary["evaluated_on"] == "held_out":
        lines.append(f"留出集上的指标（{texts['held_out']} 条文本，非绿色 {texts['held_out_not_green']} 条；微调前 → 微调后）：")
    else:
        lines.append(f"训练文本本身上的指标（{texts['train']} 条；没有留出评估集，指标偏乐观；微调前 → 微调后）：")
    header = ("方法", "hit@1", "hit@3", "hit@10", "MRR", "AUROC", "F1（非绿色）")
    lines.append(format_table([header, *comparison_rows(summary)]))
    if summary["recalibrated"]:
        lines.append("（微调后的融合权重和非绿色阈值也是在这份留出集上选的，微调后的指标略偏乐观。）")
    lines.append("")

    check = summary["catalogue_check"]
    if check["queries"]:
        lines.append(
            f"目录生成查询（{check['queries']} 条，未参与训练）hit@1：{format_metric(check['hit@1_before'])} → {format_metric(check['hit@1_after'])}"
        )
    with_source = "在留出集上重新校准" if summary["recalibrated"] else "沿用原模型的校准"
    threshold = MatcherConfig.load(result.output_dir / CONFIG_NAME).threshold
    lines.append(f"非绿色阈值：{summary['threshold_before']:.4f} → {threshold:.4f}（{with_source}）")
    lines.append(f"训练 {texts['train']} 条文本，交叉编码器 {summary['cross_encoder_epochs']} 轮，用时 {summary['timings'].get('total_s', 0):.0f} 秒。")
    lines.append(f"微调后的模型已保存到 {result.output_dir}（模型卡：{result.output_dir / 'README.md'}）。")
    lines.append(f"在开发集上检查是否遗忘目录：greenmatch evaluate --model {result.output_dir} --data dev")
    return "\n".join(lines)
