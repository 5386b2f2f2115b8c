"""Fine-tune a greenmatch model on a team's own labelled texts (the same run as ``greenmatch finetune``).

The labelled file has a text column and a code column (codes separated by ``;``, empty for not
green); the original project's three-column TSV works too. Run it with:

    python recipes/finetune.py --model outputs/quick --data labelled.xlsx --output_dir outputs/bank
    python recipes/finetune.py --model outputs/quick --data finetune_example --output_dir outputs/finetune_example
    python recipes/finetune.py --config finetune.yaml --epochs 3
    accelerate launch recipes/finetune.py --model outputs/quick --data labelled.xlsx --output_dir outputs/bank
    # two real processes on a CPU-only machine:
    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 recipes/finetune.py --config finetune.yaml

``--config`` reads a YAML file whose keys are the `FinetuneConfig` fields, for example::

    model: outputs/quick
    data: labelled.xlsx
    output_dir: outputs/bank
    catalogue_share: 0.5

Options on the command line override the file. The base model is evaluated on the held-out
split before training, so the log and the model card show the change.
"""

import logging
import os
import shutil
import sys

import yaml
from accelerate import PartialState
from transformers import HfArgumentParser

from greenmatch.finetune import FinetuneConfig, build_run_pairs, evaluate_before, finish_run, start_run, train_run

logger = logging.getLogger("finetune")


def parse_finetune_config(argv=None) -> FinetuneConfig:
    """Parse ``FinetuneConfig`` from ``--config FILE.yaml`` and command-line options; the command line wins.

    The file's values are turned into options placed before the command line's, so required
    fields may come from either, and argparse keeps the last value of an option given twice.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    file_options = []
    if "--config" in argv:
        position = argv.index("--config")
        with open(argv[position + 1], encoding="utf-8") as handle:
            values = yaml.safe_load(handle) or {}
        del argv[position : position + 2]
        for name, value in values.items():
            file_options += [f"--{name}", str(value)]
    (config,) = HfArgumentParser(FinetuneConfig).parse_args_into_dataclasses(args=file_options + argv)
    return config


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    state = PartialState()

    # 1. Arguments, the base model and the team's texts (every process reads them; the split is seeded).
    config = parse_finetune_config()
    with state.main_process_first():
        run = start_run(config)
    if state.is_main_process:
        shutil.rmtree(run.work, ignore_errors=True)

    # 2. Evaluate the base model on the held-out split before training.
    if state.is_main_process:
        evaluate_before(run)

    # 3. Training pairs: the team's texts with negatives mined by the base model, plus catalogue pairs.
    build_run_pairs(run)

    # 4. The retriever's contrastive pass, then the cross-encoder from its own weights.
    train_run(run)

    # 5. Recalibrate on the held-out split, evaluate again and write the model folder with its card.
    if state.is_main_process:
        result = finish_run(run)
        for warning in result.warnings:
            print(f"警告：{warning}", file=sys.stderr)
        print(f"微调后的模型已保存到 {result.output_dir}")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
