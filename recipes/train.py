"""Both stages in one run: SimCSE retriever, cross-encoder, calibration (same as ``greenmatch train``).

    python recipes/train.py --config recipes/configs/quick.yaml
    accelerate launch recipes/train.py --config recipes/configs/quick.yaml
    # two real processes on a CPU-only machine:
    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 recipes/train.py --config recipes/configs/quick.yaml
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import parse_train_config, setup_logging  # noqa: E402

from greenmatch.training import process_state, train  # noqa: E402


def main() -> None:
    setup_logging()
    state = process_state()
    output = train(parse_train_config())
    if state.is_main_process:
        print(f"模型已保存到 {output}")
    state.destroy_process_group()


if __name__ == "__main__":
    main()
