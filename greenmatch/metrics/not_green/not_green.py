"""Detection metrics for texts that match no entry of the green industry catalogue."""

import math

import datasets
import evaluate
import numpy as np
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

_DESCRIPTION = """\
Quality of not-green detection from the top match score of each text.

A matcher gives each text the score of its best catalogue entry, where a higher
score means the text is more likely green. AUROC measures how well that score
ranks green texts above not-green texts, with no threshold. Given a threshold, a
text whose score is below it is predicted not green, and precision, recall and
F1 are reported for the not-green class.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `float`): top match score of each text. Higher means
        more likely green. Infinite scores are allowed, NaN is not.
    references (`list` of `int`): 1 if the text is green, 0 if it is not green.
    threshold (`float`, optional): a text with score < threshold is predicted not
        green, so a score equal to the threshold counts as green. When None, only
        `auroc` is returned.

Returns:
    `auroc` (`float` or `None`): area under the ROC curve of the score for green
        (1) against not green (0), as `sklearn.metrics.roc_auc_score` computes
        it, so tied scores count as half-correct pairs. None when the references
        contain only one class, because AUROC is then undefined.
    With a threshold, also:
    `precision` (`float`): of the texts predicted not green, the fraction that
        are not green. 0.0 when no text is predicted not green.
    `recall` (`float`): of the not-green texts, the fraction predicted not green.
        0.0 when there is no not-green text.
    `f1` (`float`): harmonic mean of precision and recall, 0.0 when both are 0.
    `threshold` (`float`): the threshold used.
    `num_green` (`int`): number of texts with reference 1.
    `num_not_green` (`int`): number of texts with reference 0.

Raises:
    ValueError: if the inputs are empty or differ in length, if a reference is
        not 0 or 1, or if a score or the threshold is NaN.

Examples:
    >>> from greenmatch.metrics import load_metric
    >>> not_green = load_metric("not_green")
    >>> results = not_green.compute(
    ...     predictions=[0.9, 0.7, 0.4, 0.2],
    ...     references=[1, 1, 0, 0],
    ...     threshold=0.5,
    ... )
    >>> results["auroc"], results["precision"], results["recall"], results["f1"]
    (1.0, 1.0, 1.0, 1.0)
    >>> results["num_green"], results["num_not_green"]
    (2, 2)
"""

_CITATION = ""


def _validate_inputs(scores: np.ndarray, labels: np.ndarray) -> None:
    if len(scores) != len(labels):
        raise ValueError(
            f"predictions and references must have the same length, got {len(scores)} and {len(labels)}."
        )
    if len(scores) == 0:
        raise ValueError("predictions and references are empty. Pass at least one scored text.")

    invalid_labels = sorted(set(labels.tolist()) - {0.0, 1.0})
    if invalid_labels:
        raise ValueError(
            f"references must be 1 (green) or 0 (not green), got {invalid_labels}. "
            "Check that predictions and references are not swapped."
        )

    nan_positions = np.flatnonzero(np.isnan(scores))
    if len(nan_positions) > 0:
        raise ValueError(
            f"predictions contain NaN at indices {nan_positions.tolist()}. "
            "Give each text a real-valued score."
        )


def _compute_auroc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Compute the AUROC of `scores` for label 1 against label 0.

    Returns None when `labels` contains only one class.
    """
    if len(np.unique(labels)) < 2:
        return None

    # roc_auc_score rejects infinite values. AUROC depends only on the order of
    # the scores, so dense ranks give the same result and keep ties as ties.
    _, score_ranks = np.unique(scores, return_inverse=True)
    return float(roc_auc_score(labels, score_ranks))


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class NotGreen(evaluate.Metric):
    """AUROC, and precision, recall and F1 at a threshold, for not-green detection."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Value("float64"),
                    # float64, not an integer type, because datasets 5.2 converts each
                    # value with the feature's type before _compute. An integer type
                    # would turn a mistaken 0.7 into 0 before _validate_inputs sees it.
                    "references": datasets.Value("float64"),
                }
            ),
        )

    def _compute(self, predictions, references, threshold=None):
        scores = np.asarray(predictions, dtype=np.float64)
        labels = np.asarray(references, dtype=np.float64)
        _validate_inputs(scores, labels)
        labels = labels.astype(np.int64)

        results = {"auroc": _compute_auroc(scores, labels)}
        if threshold is None:
            return results

        threshold = float(threshold)
        if math.isnan(threshold):
            raise ValueError("threshold is NaN. Pass a real number or None.")

        # Not green is the positive class. A text is not green when its reference is 0,
        # and is predicted not green when its score is below the threshold.
        is_not_green = labels == 0
        predicted_not_green = scores < threshold
        precision, recall, f1, _ = precision_recall_fscore_support(
            is_not_green,
            predicted_not_green,
            average="binary",
            pos_label=True,
            zero_division=0.0,
        )

        results["precision"] = float(precision)
        results["recall"] = float(recall)
        results["f1"] = float(f1)
        results["threshold"] = threshold
        results["num_green"] = int(np.count_nonzero(labels == 1))
        results["num_not_green"] = int(np.count_nonzero(is_not_green))
        return results
