"""``greenmatch train``: run the SimCSE and cross-encoder stages and write a model folder."""

import argparse
import logging
import sys
from dataclasses import fields

from greenmatch.commands.options import annotation_type_name, integer, number
from greenmatch.training import FIELD_CHOICES, PRESETS, TrainConfig, apply_preset

# Options shown in the CLI; the recipes expose every field of TrainConfig.
CLI_FIELDS = (
    "output_dir", "preset", "catalogue", "base_model", "train_examples", "not_green_texts", "unlabelled_texts",
    "simcse_epochs", "contrastive_epochs", "cross_epochs", "pair_mode", "hard_negatives", "num_queries",
    "shortlist", "target_precision", "seed", "use_cpu",
)


def add_train_config_arguments(parser: argparse.ArgumentParser, names=CLI_FIELDS) -> None:
    """Add one option per TrainConfig field, with the field's help text; defaults stay unset
    so that presets can tell which values the user gave."""
    by_name = {f.name: f for f in fields(TrainConfig)}
    for name in names:
        spec = by_name[name]
        option = "--" + name.replace("_", "-")
        help_text = spec.metadata.get("help", "")
        if spec.type in (bool, "bool"):
            parser.add_argument(option, dest=name, action="store_true", default=None, help=help_text)
        elif name == "query_generators":
            parser.add_argument(option, dest=name, nargs="+", default=None, help=help_text)
        elif name == "preset":
            parser.add_argument(option, dest=name, choices=sorted(PRESETS), default=None, help=help_text)
        elif name in FIELD_CHOICES:
            parser.add_argument(option, dest=name, choices=FIELD_CHOICES[name], default=None, help=help_text)
        else:
            # Ranges are checked by TrainConfig itself, so YAML recipes get the same checks.
            converter = {"int": integer, "float": number}.get(annotation_type_name(spec.type), str)
            parser.add_argument(option, dest=name, type=converter, default=None, help=help_text)


def config_from_args(args, names=CLI_FIELDS) -> TrainConfig:
    given = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    config = TrainConfig(**given)
    return apply_preset(config, explicit=set(given))


# The hint `greenmatch.cli.main` prints after Ctrl+C.
RESUME_HINT = "已完成的训练阶段和检查点已保存，加上 --resume 重新运行同一命令即可从中断处继续。"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="训练模型（SimCSE 检索器 + 交叉编码器）",
        description="训练 greenmatch 模型：先用无监督 SimCSE 训练检索器，再训练交叉编码器（Tanh 输出），最后在留出的训练文本上校准非绿色阈值。"
        "默认基础模型 moka-ai/m3e-small 仅限非商业研究用途。",
    )
    add_train_config_arguments(parser)
    parser.add_argument("--resume", dest="resume", action="store_true", default=None, help="从上次中断处继续（跳过已完成的阶段，交叉编码器从最后的检查点继续）")
    parser.set_defaults(run=run, interrupt_hint=RESUME_HINT)


def run(args) -> int:
    from greenmatch.training import check_output_dir, train

    config = config_from_args(args, CLI_FIELDS + ("resume",))
    check_output_dir(config)
    if not args.verbose:
        # Training takes minutes: show what the stages choose and measure even without -v.
        logging.getLogger("greenmatch").setLevel(logging.INFO)
        if not logging.getLogger().handlers:
            logging.basicConfig(stream=sys.stderr)
    print(f"开始训练（预设 {config.preset}），输出到 {config.output_dir} …")
    output = train(config)
    print(f"训练完成，模型已保存到 {output}。")
    print(f"试一试：greenmatch match --model {output} \"屋顶分布式光伏电站项目\"")
    return 0
