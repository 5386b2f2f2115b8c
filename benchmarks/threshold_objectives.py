"""Compare objectives for choosing the not-green threshold on the selection set.

Calibration picks the threshold that maximises not-green F1 on the selection set (held-out
training texts). This script scores the selection set and the dev set once with a trained
matcher, picks a threshold on the selection set under each objective, and prints the verdict
errors each threshold makes on the dev set. Run:

    python benchmarks/threshold_objectives.py --model /tmp/q2
"""

import argparse
import logging

import numpy as np

from greenmatch.labelled import load_dataset_or_file
from greenmatch.matcher import Matcher
from greenmatch.training import TrainConfig, apply_preset, prepare_data


def verdict_scores(matcher: Matcher, items) -> tuple:
    """Return the verdict score and the green label of every labelled text."""
    scored = matcher.score([item.text for item in items])
    return np.array([matcher.verdict_value(entry) for entry in scored]), np.array([item.is_green for item in items])


def verdict_errors(threshold: float, scores: np.ndarray, is_green: np.ndarray) -> dict:
    """Count both kinds of verdict error at ``threshold`` and the measures the objectives use."""
    called_green = scores >= threshold
    green_missed = int((is_green & ~called_green).sum())
    not_green_missed = int((~is_green & called_green).sum())
    caught = int((~is_green & ~called_green).sum())

    not_green_precision = caught / max(1, int((~called_green).sum()))
    not_green_recall = caught / max(1, int((~is_green).sum()))
    green_precision = int((is_green & called_green).sum()) / max(1, int(called_green.sum()))
    green_recall = 1.0 - green_missed / max(1, int(is_green.sum()))
    return {
        "green_missed": green_missed,
        "not_green_missed": not_green_missed,
        "not-green F1": _f1(not_green_precision, not_green_recall),
        "accuracy": 1.0 - (green_missed + not_green_missed) / len(is_green),
        "balanced accuracy": (green_recall + not_green_recall) / 2,
        "macro F1": (_f1(not_green_precision, not_green_recall) + _f1(green_precision, green_recall)) / 2,
    }


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a trained greenmatch model folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    matcher = Matcher.from_pretrained(args.model)
    selection = prepare_data(apply_preset(TrainConfig(preset="quick"))).selection
    dev = load_dataset_or_file("dev", matcher.catalogue)
    selection_scores, selection_green = verdict_scores(matcher, selection)
    dev_scores, dev_green = verdict_scores(matcher, dev)

    candidates = np.unique(selection_scores)
    for objective in ("not-green F1", "accuracy", "balanced accuracy", "macro F1"):
        # Ties go to the lowest candidate threshold.
        threshold = max(candidates, key=lambda value: (verdict_errors(value, selection_scores, selection_green)[objective], -value))
        on_dev = verdict_errors(threshold, dev_scores, dev_green)
        print(
            f"{objective}: threshold {threshold:.3f}; dev: {on_dev['green_missed']} green texts called not green, "
            f"{on_dev['not_green_missed']} not-green texts called green, "
            f"{on_dev['green_missed'] + on_dev['not_green_missed']} errors, not-green F1 {on_dev['not-green F1']:.3f}"
        )


if __name__ == "__main__":
    main()
