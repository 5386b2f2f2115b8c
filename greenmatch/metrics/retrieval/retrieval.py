"""Ranking metrics for matching texts to entries of the green industry catalogue."""

import math

import datasets
import evaluate

_DESCRIPTION = """\
Ranking quality of catalogue matches: hit@k, mean reciprocal rank (MRR) and NDCG.

Each query is one text. Its prediction is the list of catalogue entry codes
(such as "1.1.1") ranked from best to worst, and its reference is the list of
codes that are correct for it. A text may have several correct codes.

Queries whose reference list is empty (texts that are not green) have no
correct entry to rank, so they are skipped and counted in `num_skipped`. The
not_green metric scores those texts.

Codes are compared as exact strings. Repeated codes in a prediction keep their
positions, but only the first occurrence of a correct code adds gain to NDCG, so
NDCG stays within [0, 1].
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `list` of `str`): for each query, the predicted entry
        codes ranked from best to worst.
    references (`list` of `list` of `str`): for each query, the correct entry
        codes, in any order. An empty list marks a text that is not green.
    k_values (`list` of `int`, optional): cut-offs for hit@k.
        Defaults to [1, 3, 5, 10].
    ndcg_k (`int`, optional): cut-off for NDCG. Defaults to 10.

Returns:
    `hit@k` (`float`) for each k in `k_values`: fraction of queries with at least
        one correct code among the first k predictions.
    `mrr` (`float`): mean over queries of 1 / rank of the first correct code,
        where a query with no correct code in its predictions scores 0.
    `ndcg@<ndcg_k>` (`float`): mean binary-relevance NDCG over the first
        `ndcg_k` predictions, with gain 1 for each correct code and discount
        log2(rank + 1). The ideal DCG puts min(number of correct codes, ndcg_k)
        correct codes at the top.
    `num_queries` (`int`): number of queries with at least one correct code.
    `num_skipped` (`int`): number of queries with an empty reference list.

All means are over the `num_queries` scored queries.

Raises:
    ValueError: if `predictions` and `references` are empty or differ in length,
        if no query has a correct code, or if a cut-off is not a positive integer.

Examples:
    >>> from greenmatch.metrics import load_metric
    >>> retrieval = load_metric("retrieval")
    >>> results = retrieval.compute(
    ...     predictions=[["1.1.1", "1.1.2"], ["2.1.1", "3.2.1"], ["1.1.1"]],
    ...     references=[["1.1.2"], ["2.1.1"], []],
    ...     k_values=[1, 2],
    ... )
    >>> results["hit@1"], results["hit@2"], results["mrr"]
    (0.5, 1.0, 0.75)
    >>> results["num_queries"], results["num_skipped"]
    (2, 1)
"""

_CITATION = ""

DEFAULT_K_VALUES = (1, 3, 5, 10)
DEFAULT_NDCG_K = 10


def _validate_cutoff(value, name: str) -> int:
    # bool is a subclass of int, but True as a cut-off is a caller mistake.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return value


def _first_correct_rank(ranked_codes, correct_codes) -> int | None:
    """Return the 1-based rank of the first correct code, or None if there is none."""
    for rank, code in enumerate(ranked_codes, start=1):
        if code in correct_codes:
            return rank
    return None


def _ndcg(ranked_codes, correct_codes, cutoff: int) -> float:
    """Compute binary-relevance NDCG over the first `cutoff` ranked codes."""
    counted_codes = set()
    dcg = 0.0
    for rank, code in enumerate(ranked_codes[:cutoff], start=1):
        if code in correct_codes and code not in counted_codes:
            counted_codes.add(code)
            dcg += 1.0 / math.log2(rank + 1)

    num_ideal = min(len(correct_codes), cutoff)
    ideal_dcg = sum(1.0 / math.log2(rank + 1) for rank in range(1, num_ideal + 1))
    return dcg / ideal_dcg


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Retrieval(evaluate.Metric):
    """Hit@k, MRR and NDCG of ranked catalogue entry codes."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string")),
                    "references": datasets.Sequence(datasets.Value("string")),
                }
            ),
        )

    def _compute(self, predictions, references, k_values=None, ndcg_k=DEFAULT_NDCG_K):
        if len(predictions) != len(references):
            raise ValueError(
                f"predictions and references must have the same length, "
                f"got {len(predictions)} and {len(references)}."
            )
        if len(predictions) == 0:
            raise ValueError("predictions and references are empty. Pass at least one query.")

        if k_values is None:
            k_values = DEFAULT_K_VALUES
        if len(k_values) == 0:
            raise ValueError("k_values must contain at least one cut-off, got an empty list.")
        # dict.fromkeys drops repeated cut-offs and keeps the caller's order.
        k_values = list(dict.fromkeys(_validate_cutoff(k, "each value in k_values") for k in k_values))
        ndcg_k = _validate_cutoff(ndcg_k, "ndcg_k")

        hit_counts = {k: 0 for k in k_values}
        reciprocal_rank_sum = 0.0
        ndcg_sum = 0.0
        num_queries = 0
        num_skipped = 0

        for ranked_codes, reference_codes in zip(predictions, references):
            correct_codes = set(reference_codes)
            if not correct_codes:
                num_skipped += 1
                continue
            num_queries += 1

            first_rank = _first_correct_rank(ranked_codes, correct_codes)
            if first_rank is not None:
                reciprocal_rank_sum += 1.0 / first_rank
                for k in k_values:
                    if first_rank <= k:
                        hit_counts[k] += 1

            ndcg_sum += _ndcg(ranked_codes, correct_codes, ndcg_k)

        if num_queries == 0:
            raise ValueError(
                f"No query has a correct code because all {num_skipped} reference lists are empty. "
                "Pass at least one query with a non-empty reference list."
            )

        results = {f"hit@{k}": hit_counts[k] / num_queries for k in k_values}
        results["mrr"] = reciprocal_rank_sum / num_queries
        results[f"ndcg@{ndcg_k}"] = ndcg_sum / num_queries
        results["num_queries"] = num_queries
        results["num_skipped"] = num_skipped
        return results
