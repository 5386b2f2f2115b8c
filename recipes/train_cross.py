"""Stage 2: train the cross-encoder (CrossEncoder with a Tanh head) and calibrate the matcher.

Run it after `recipes/train_simcse.py` (or let it train the retriever first if none exists):

    python recipes/train_cross.py --output_dir outputs/quick
    accelerate launch recipes/train_cross.py --config recipes/configs/quick.yaml
    # two real processes on a CPU-only machine:
    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 recipes/train_cross.py --config recipes/configs/quick.yaml
    # the original design on a GPU: every other entry as a negative, balanced generated positives
    accelerate launch recipes/train_cross.py --config recipes/configs/full.yaml

It writes the complete model folder that `greenmatch.Matcher.from_pretrained` loads.
"""

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import parse_train_config, setup_logging  # noqa: E402

from greenmatch.training import STAGE_DONE, finish_training, prepare_data, process_state, train_reranker, train_retriever  # noqa: E402

logger = logging.getLogger("train_cross")


def main() -> None:
    setup_logging()
    state = process_state()

    # 1. Arguments and data.
    config = parse_train_config()
    with state.main_process_first():
        data = prepare_data(config)

    # 2. The retriever: reuse stage 1's output, or train it now.
    if (Path(config.output_dir) / "retriever" / STAGE_DONE).exists():
        config.resume = True
    retriever = train_retriever(config, data)

    # 3. Pairs and the cross-encoder (the reranking evaluator runs before and after training).
    cross_encoder, metrics = train_reranker(config, data, retriever)

    # 4. Calibration, model card and the matcher files, written once.
    if state.is_main_process:
        output = finish_training(config, data, retriever, cross_encoder, metrics)
        print(f"模型已保存到 {output}")
    state.destroy_process_group()


if __name__ == "__main__":
    main()
