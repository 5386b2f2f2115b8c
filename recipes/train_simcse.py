"""Stage 1: train the SimCSE retriever (a SentenceTransformer) on catalogue sentences.

Run it with:

    python recipes/train_simcse.py --output_dir outputs/quick
    python recipes/train_simcse.py --config recipes/configs/quick.yaml
    accelerate launch recipes/train_simcse.py --config recipes/configs/quick.yaml
    # two real processes on a CPU-only machine:
    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 recipes/train_simcse.py --config recipes/configs/quick.yaml

The retriever is written to ``OUTPUT_DIR/retriever``; `recipes/train_cross.py` continues from it.
"""

import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import parse_train_config, setup_logging  # noqa: E402

from greenmatch.baselines import BiEncoderRanker  # noqa: E402
from greenmatch.evaluation import evaluate_ranker  # noqa: E402
from greenmatch.training import prepare_data, process_state, train_retriever  # noqa: E402

logger = logging.getLogger("train_simcse")


def main() -> None:
    setup_logging()
    state = process_state()

    # 1. Arguments and data: every process builds the same queries from the same seed.
    config = parse_train_config()
    with state.main_process_first():
        data = prepare_data(config)

    # 2. The base model, evaluated as a retriever before training on the selection set.
    if state.is_main_process and data.selection:
        from greenmatch.baselines import zero_shot_ranker

        before = evaluate_ranker(zero_shot_ranker(data.catalogue), data.selection, data.catalogue)
        logger.info("Selection set before training: hit@1 %.3f, AUROC %s", before.metrics["hit@1"], before.metrics.get("auroc"))

    # 3. Train SimCSE (and the contrastive pass) and save.
    retriever = train_retriever(config, data)

    # 4. Evaluate after training.
    if state.is_main_process and data.selection:
        after = evaluate_ranker(BiEncoderRanker(retriever, data.catalogue, name="simcse"), data.selection, data.catalogue)
        logger.info("Selection set after training: hit@1 %.3f, AUROC %s", after.metrics["hit@1"], after.metrics.get("auroc"))
        print(f"检索器已保存到 {os.path.join(config.output_dir, 'retriever')}")
    state.destroy_process_group()


if __name__ == "__main__":
    main()
