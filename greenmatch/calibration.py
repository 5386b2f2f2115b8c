"""Choose the matcher's fusion weight, score statistics, verdict score and not-green threshold.

Everything here is chosen on a selection set held out from training (hand-written examples and
not-green texts the models never saw), never on the evaluation dev set.
"""

import logging
from typing import List, Optional, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from greenmatch.labelled import LabelledText
from greenmatch.matcher import VERDICT_SCORES, Matcher

logger = logging.getLogger(__name__)

FUSION_GRID = (0.0, 0.25, 0.5, 0.6, 0.75, 0.9, 1.0)


def choose_threshold(scores: Sequence[float], is_green: Sequence[bool], target_precision: Optional[float] = None):
    """Return the threshold on ``scores`` that best detects not-green texts, and its F1.

    A text is called not green when its score is below the threshold. Without a target the
    threshold maximises F1 of not-green detection; with ``target_precision`` it is the one with
    the highest recall whose precision reaches the target (the F1-best one if none does).
    """
    scores = np.asarray(scores, dtype=float)
    not_green = ~np.asarray(is_green, dtype=bool)
    candidates = np.unique(scores)
    # Midpoints between neighbouring scores generalise better than the scores themselves.
    thresholds = np.concatenate([[candidates[0] - 1e-6], (candidates[:-1] + candidates[1:]) / 2, [candidates[-1] + 1e-6]])

    best, best_f1, best_recall = float(thresholds[0]), -1.0, -1.0
    target_best = None
    for threshold in thresholds:
        predicted = scores < threshold
        true_positive = np.sum(predicted & not_green)
        precision = true_positive / max(np.sum(predicted), 1)
        recall = true_positive / max(np.sum(not_green), 1)
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        if f1 > best_f1:
            best, best_f1 = float(threshold), f1
        if target_precision is not None and precision >= target_precision and recall > best_recall:
            target_best, best_recall = float(threshold), recall
    if target_precision is not None and target_best is not None:
        return target_best, best_f1
    return best, best_f1


def calibrate(
    matcher: Matcher,
    selection: List[LabelledText],
    target_precision: Optional[float] = None,
    shortlist: Optional[int] = 20,
) -> dict:
    """Fit the matcher's fusion and not-green settings on the selection set, in place.

    Returns:
        What was measured for each choice, for logs and the model card.
    """
    texts = [item.text for item in selection]
    green = [item for item in selection if item.is_green]
    is_green = np.array([item.is_green for item in selection])
    matcher.config.shortlist = shortlist
    scored = matcher.score(texts, shortlist=shortlist, fusion_weight=0.0 if matcher.cross_encoder is not None else 1.0)
    report = {"selection_texts": len(texts), "selection_green": int(is_green.sum())}

    cosines = np.concatenate([s["cosine"][np.isfinite(s["fused"])] for s in scored])
    matcher.config.cosine_mean, matcher.config.cosine_std = float(cosines.mean()), float(cosines.std() or 1.0)
    if matcher.cross_encoder is not None:
        logits = np.concatenate([s["logit"][~np.isnan(s["logit"])] for s in scored])
        matcher.config.logit_mean, matcher.config.logit_std = float(logits.mean()), float(logits.std() or 1.0)

        weights = {}
        for weight in FUSION_GRID:
            hits = [_hit_at_1(_fused_order(s, weight, matcher), item, matcher) for s, item in zip(scored, selection) if item.is_green]
            weights[weight] = float(np.mean(hits)) if hits else 0.0
        best_hit = max(weights.values())
        # Among equally good weights, prefer the one leaning on the retriever: it is cheaper to trust.
        matcher.config.fusion_weight = max(w for w, hit in weights.items() if hit >= best_hit - 1e-9)
        report["fusion_hit_at_1"] = {str(w): round(hit, 4) for w, hit in weights.items()}
        logger.info(
            "Fusion weight chosen on %d green selection texts: %.2f (hit@1 by weight: %s)",
            len(green),
            matcher.config.fusion_weight,
            ", ".join(f"{w}: {hit:.3f}" for w, hit in weights.items()),
        )
    else:
        matcher.config.fusion_weight = 1.0

    rescored = matcher.score(texts, shortlist=shortlist, rerank=matcher.cross_encoder is not None)
    verdict_auroc = {}
    if 0 < is_green.sum() < len(is_green):
        for kind in VERDICT_SCORES:
            if kind != "retriever" and matcher.cross_encoder is None:
                continue
            values = [matcher.verdict_value(s, kind) for s in rescored]
            verdict_auroc[kind] = float(roc_auc_score(is_green, values))
        matcher.config.verdict_score = max(verdict_auroc, key=verdict_auroc.get)
        values = [matcher.verdict_value(s) for s in rescored]
        threshold, f1 = choose_threshold(values, is_green, target_precision)
        matcher.config.threshold = threshold
        goal = f"precision ≥ {target_precision}" if target_precision else "max F1"
        matcher.config.threshold_source = (
            f"calibrated on {len(texts)} held-out texts ({int((~is_green).sum())} not green), {goal}, not-green F1 {f1:.3f}"
        )
        report.update({"verdict_auroc": verdict_auroc, "verdict_score": matcher.config.verdict_score, "threshold": threshold, "not_green_f1": f1})
        logger.info(
            "Not-green verdict on the %s score (AUROC by score: %s), threshold %.4f, selection F1 %.3f",
            matcher.config.verdict_score,
            ", ".join(f"{k}: {v:.3f}" for k, v in verdict_auroc.items()),
            threshold,
            f1,
        )
    else:
        logger.warning("The selection set has no not-green texts (or only those); the default threshold stays")
    return report


def _fused_order(scored: dict, weight: float, matcher: Matcher) -> np.ndarray:
    shortlisted = np.where(~np.isnan(scored["logit"]))[0]
    z_cosine = (scored["cosine"][shortlisted] - matcher.config.cosine_mean) / matcher.config.cosine_std
    z_logit = (scored["logit"][shortlisted] - matcher.config.logit_mean) / matcher.config.logit_std
    fused = weight * z_cosine + (1 - weight) * z_logit
    return shortlisted[np.argsort(-fused, kind="stable")]


def _hit_at_1(order: np.ndarray, item: LabelledText, matcher: Matcher) -> float:
    return float(matcher.catalogue.entries[order[0]].code in item.codes)
