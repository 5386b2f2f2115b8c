"""Evaluate a ranker on labelled texts: ranking quality on green texts, not-green detection on all.

Ranking metrics (hit@k, MRR, NDCG@10) come from the ``retrieval`` metric over the green
texts. AUROC and the not-green precision, recall and F1 come from the ``not_green`` metric
over the ``verdict_score`` of every text.

The threshold for precision, recall and F1 is, in this order: the ``threshold`` argument,
the ranker's own calibrated ``threshold``, or the threshold that maximises not-green F1 on
the evaluated texts themselves. The last one is marked ``threshold_source: "oracle (dev)"``
because its F1 is an optimistic upper bound, not an estimate for new data.
"""

import logging
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from greenmatch.catalogue import Catalogue
from greenmatch.labelled import LabelledText
from greenmatch.metrics import load_metric

logger = logging.getLogger(__name__)

HIT_K_VALUES = (1, 3, 5, 10)
NDCG_K = 10

THRESHOLD_FROM_ARGUMENT = "argument"
THRESHOLD_FROM_RANKER = "ranker"
# Chosen on the evaluated texts themselves, whatever the data set is called.
THRESHOLD_ORACLE = "oracle (dev)"


@dataclass
class EvaluationResult:
    """One ranker's metrics on one labelled set, and what it predicted for each text.

    ``metrics`` contains ``hit@k``, ``mrr``, ``ndcg@10`` (None when no text is green),
    ``auroc`` (None unless both classes occur), ``precision``/``recall``/``f1`` of the
    not-green class with ``threshold`` and ``threshold_source`` (absent when no threshold
    could be set), and the text counts. ``elapsed_seconds`` is the wall time of ranking.
    """

    name: str
    metrics: Dict[str, object]
    per_text: List[dict] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def first_correct_ranks(self) -> List[Optional[int]]:
        """Return the rank of the first correct code of each green text (None when not ranked)."""
        return [record["rank"] for record in self.per_text if record["codes"]]


def evaluate_ranker(
    ranker,
    labelled: Sequence[LabelledText],
    catalogue: Catalogue,
    threshold: Optional[float] = None,
    top_k: int = 10,
) -> EvaluationResult:
    """Rank every labelled text with ``ranker`` and compute ranking and not-green metrics.

    Args:
        ranker: anything with ``name``, ``threshold`` and ``rank(texts, top_k)``.
        labelled: the texts with their correct codes. A text without codes is not green.
        catalogue: the catalogue the codes belong to, used for the first-level categories.
        threshold: the not-green threshold on ``verdict_score``. It overrides the ranker's own.
        top_k: how many entries each text's ranking keeps. Cut-offs above it are left out
            of the hit@k metrics and NDCG is cut at ``min(10, top_k)``.

    Raises:
        ValueError: ``labelled`` is empty or ``top_k`` is below 1.
    """
    if not labelled:
        raise ValueError("labelled is empty. Pass at least one labelled text.")
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}.")

    texts = [item.text for item in labelled]
    started = time.perf_counter()
    rankings = ranker.rank(texts, top_k=top_k)
    elapsed = time.perf_counter() - started
    if len(rankings) != len(texts):
        raise ValueError(f"ranker {ranker.name!r} returned {len(rankings)} rankings for {len(texts)} texts.")

    per_text = [_text_record(item, ranking, catalogue) for item, ranking in zip(labelled, rankings)]
    metrics = {"num_texts": len(per_text)}
    metrics.update(_ranking_metrics(per_text, top_k))
    metrics.update(_not_green_metrics(per_text, threshold, getattr(ranker, "threshold", None)))

    result = EvaluationResult(name=ranker.name, metrics=metrics, per_text=per_text, elapsed_seconds=elapsed)
    log_results([result])
    return result


# --- steps ------------------------------------------------------------------------------------


def _text_record(item: LabelledText, ranking, catalogue: Catalogue) -> dict:
    """Describe what the ranker predicted for one text and where the first correct code ranked.

    ``level1`` is the first-level code of the correct code ranked highest, or of the first
    labelled code when none was ranked, so every green text counts under one category.
    """
    rank, first_correct = None, None
    for position, code in enumerate(ranking.codes, start=1):
        if code in item.codes:
            rank, first_correct = position, code
            break
    if first_correct is None and item.codes:
        first_correct = item.codes[0]

    level1 = ""
    if first_correct is not None:
        entry = catalogue.get(first_correct)
        level1 = entry.level1_code if entry is not None else first_correct.split(".")[0]

    return {
        "text": item.text,
        "codes": list(item.codes),
        "kind": item.kind,
        "predicted": list(ranking.codes),
        "scores": [float(score) for score in ranking.scores],
        "verdict_score": float(ranking.verdict_score),
        "rank": rank,
        "level1": level1,
    }


def _ranking_metrics(per_text: List[dict], top_k: int) -> dict:
    """Compute hit@k, MRR and NDCG with the ``retrieval`` metric over the green texts."""
    k_values = [k for k in HIT_K_VALUES if k <= top_k] or [top_k]
    ndcg_k = min(NDCG_K, top_k)
    green = [record for record in per_text if record["codes"]]
    if not green:
        logger.warning("No labelled text is green, so hit@k, MRR and NDCG are left empty")
        empty = {f"hit@{k}": None for k in k_values}
        empty.update({"mrr": None, f"ndcg@{ndcg_k}": None, "num_green": 0})
        return empty

    results = load_metric("retrieval").compute(
        predictions=[record["predicted"] for record in green],
        references=[record["codes"] for record in green],
        k_values=k_values,
        ndcg_k=ndcg_k,
    )
    results["num_green"] = results.pop("num_queries")
    results.pop("num_skipped")
    return results


def _not_green_metrics(per_text: List[dict], threshold: Optional[float], ranker_threshold: Optional[float]) -> dict:
    """Compute AUROC and, given or chosen a threshold, not-green precision, recall and F1."""
    scores = [record["verdict_score"] for record in per_text]
    references = [1 if record["codes"] else 0 for record in per_text]
    source = THRESHOLD_FROM_ARGUMENT
    if threshold is None and ranker_threshold is not None:
        threshold, source = ranker_threshold, THRESHOLD_FROM_RANKER
    if threshold is None:
        threshold, source = oracle_threshold(scores, references), THRESHOLD_ORACLE

    results = load_metric("not_green").compute(predictions=scores, references=references, threshold=threshold)
    results["num_not_green"] = references.count(0)
    results.pop("num_green", None)
    if threshold is None:
        logger.warning("No threshold was given and the texts lack green or not-green examples to choose one, so precision, recall and F1 are left out")
        return results
    results["threshold_source"] = source
    return results


def oracle_threshold(scores: Sequence[float], references: Sequence[int]) -> Optional[float]:
    """Return the threshold that maximises not-green F1 on these very scores.

    A text is predicted not green when its score is below the threshold. Candidates are the
    midpoints between consecutive distinct scores and one value above the highest score, so
    no candidate sits on a score. Ties in F1 go to the lowest threshold. Returns None when
    ``references`` lacks green (1) or not-green (0) texts.
    """
    scores = np.asarray(scores, dtype=np.float64)
    is_not_green = np.asarray(references) == 0
    if is_not_green.all() or not is_not_green.any():
        return None

    distinct = np.unique(scores[np.isfinite(scores)])
    if len(distinct) == 0:
        return None
    step = max(1.0, float(np.abs(distinct).max())) * 1e-6
    candidates = np.append((distinct[:-1] + distinct[1:]) / 2, distinct[-1] + step)

    predicted = scores[None, :] < candidates[:, None]
    true_positives = (predicted & is_not_green[None, :]).sum(axis=1)
    # F1 = 2TP / (predicted positives + actual positives), defined as 0 when TP is 0.
    f1 = 2 * true_positives / (predicted.sum(axis=1) + is_not_green.sum())
    return float(candidates[int(np.argmax(f1))])


def hit_at_k_curve(result: EvaluationResult, max_k: int = 10) -> List[float]:
    """Return hit@1 … hit@max_k of the green texts, computed from their first-correct ranks."""
    ranks = result.first_correct_ranks()
    if not ranks:
        return []
    return [sum(rank is not None and rank <= k for rank in ranks) / len(ranks) for k in range(1, max_k + 1)]


def per_level1_hit_at_1(result: EvaluationResult, catalogue: Catalogue) -> Dict[str, dict]:
    """Compute hit@1 of the green texts under each first-level category, in catalogue order.

    Returns ``{level1_code: {"title", "count", "hit@1"}}`` for every first-level category of
    the catalogue. ``hit@1`` is None where no text falls under it. A text counts under the
    category in its record's ``level1`` (see `_text_record`).
    """
    table = {code: {"title": title, "count": 0, "hits": 0} for code, title in catalogue.level1_titles().items()}
    for record in result.per_text:
        if not record["codes"]:
            continue
        row = table.setdefault(record["level1"], {"title": record["level1"], "count": 0, "hits": 0})
        row["count"] += 1
        row["hits"] += record["rank"] == 1
    return {
        code: {"title": row["title"], "count": row["count"], "hit@1": row["hits"] / row["count"] if row["count"] else None}
        for code, row in table.items()
    }


# --- logging ----------------------------------------------------------------------------------

_LOG_COLUMNS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10", "auroc", "f1", "threshold")


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Align a table of strings in columns, counting CJK characters as two columns wide."""
    widths = [max(_display_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (width - _display_width(cell)) for cell, width in zip(row, widths)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def format_metric(value) -> str:
    """Format a metric for a table: three decimals, or an em dash when it is missing."""
    if value is None:
        return "—"
    return f"{value:.3f}"


def log_results(results: Sequence[EvaluationResult]) -> None:
    """Log one line per result with the main metrics, as an aligned table."""
    rows = [("ranker", *_LOG_COLUMNS, "threshold_source", "seconds")]
    for result in results:
        values = [format_metric(result.metrics.get(column)) for column in _LOG_COLUMNS]
        rows.append((result.name, *values, str(result.metrics.get("threshold_source", "—")), f"{result.elapsed_seconds:.2f}"))
    logger.info("Evaluation on %d texts:\n%s", results[0].metrics["num_texts"] if results else 0, format_table(rows))
