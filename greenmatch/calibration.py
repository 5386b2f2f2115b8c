"""Choose the matcher's fusion weight, score statistics, verdict score and not-green threshold.

Everything here is chosen on a selection set held out from training (hand-written examples and
not-green texts the models never saw), never on the evaluation dev set.
"""

import logging
from typing import List, Optional, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from greenmatch.errors import ConfigError
from greenmatch.labelled import LabelledText
from greenmatch.matcher import VERDICT_SCORES, Matcher

logger = logging.getLogger(__name__)

FUSION_GRID = (0.0, 0.25, 0.5, 0.6, 0.75, 0.9, 1.0)
LEXICAL_GRID = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)

# Minimum number of green texts for choosing the BM25 and fusion weights anew. On 12 texts the
# choice switched the cross-encoder off (fusion weight 1.0) and cost 0.07 of dev hit@1, so
# below this minimum the model's weights are kept.
MIN_GREEN_TO_CHOOSE_WEIGHTS = 30


def choose_threshold(scores: Sequence[float], is_green: Sequence[bool], target_precision: Optional[float] = None):
    """Return the threshold on ``scores`` that best detects not-green texts, and its F1.

    A text is called not green when its score is below the threshold. Without a target, the
    threshold maximises F1 of not-green detection. With ``target_precision``, it is the one
    with the highest recall whose precision reaches the target, or the F1-best one if no
    threshold reaches it.
    """
    scores = np.asarray(scores, dtype=float)
    not_green = ~np.asarray(is_green, dtype=bool)
    candidates = np.unique(scores)
    # Midpoints between neighbouring scores leave a margin on both sides of the cut.
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
    """Fit the matcher's retrieval mix, fusion weight and not-green settings on the selection set, in place.

    First come the standardisation statistics of cosine and BM25 over all (text, entry) pairs.
    The BM25 weight is then chosen by hit@1 (ties broken by MRR) of retrieval alone, and the
    fusion weight by the same measure on the reranked shortlist. The verdict score is the one
    with the best AUROC of green against not-green texts. The threshold maximises not-green
    F1, or meets a target precision.

    Returns:
        What was measured for each choice, for logs and the model card.

    Raises:
        ConfigError: ``target_precision`` is not in (0, 1], or ``shortlist`` is below 1.
    """
    if target_precision is not None and not 0.0 < target_precision <= 1.0:
        raise ConfigError(f"目标精确率 target_precision 应大于 0 且不超过 1（例如 0.9 表示 90%），实际为 {target_precision}。")
    if shortlist is not None and shortlist < 1:
        raise ConfigError(f"重排候选数 shortlist 应至少为 1（或 None 表示对全部条目打分），实际为 {shortlist}。")

    texts = [item.text for item in selection]
    is_green = np.array([item.is_green for item in selection])
    matcher.config.shortlist = shortlist
    report = {"selection_texts": len(texts), "selection_green": int(is_green.sum())}

    cosines = matcher.retriever_scores(texts)
    lexical = matcher.lexical_scores(texts)
    config = matcher.config
    config.cosine_mean, config.cosine_std = float(cosines.mean()), float(cosines.std() or 1.0)
    config.lexical_mean, config.lexical_std = float(lexical.mean()), float(lexical.std() or 1.0)

    choose_weights = int(is_green.sum()) >= MIN_GREEN_TO_CHOOSE_WEIGHTS
    report["weights_chosen"] = choose_weights
    if not choose_weights:
        logger.warning(
            "Only %d green texts (fewer than %d): keeping BM25 weight %.2f and fusion weight %.2f, recalibrating the threshold only",
            int(is_green.sum()),
            MIN_GREEN_TO_CHOOSE_WEIGHTS,
            config.lexical_weight,
            config.fusion_weight,
        )

    lexical_quality = {}
    for weight in LEXICAL_GRID if choose_weights else ():
        orders = np.argsort(-matcher.retrieval_scores(cosines, lexical, weight), axis=1, kind="stable")
        lexical_quality[weight] = _ranking_quality(orders, selection, matcher)
    if choose_weights:
        # Among equally good weights, prefer the smaller BM25 share: the dense retriever generalises to paraphrases.
        config.lexical_weight = _choose_weight("BM25 weight in retrieval", lexical_quality, prefer=min)
        report["lexical_hit_at_1_mrr"] = {str(w): [round(v, 4) for v in quality] for w, quality in lexical_quality.items()}

    scored = matcher.score(texts, shortlist=shortlist, fusion_weight=0.0, rerank=matcher.cross_encoder is not None)
    if matcher.cross_encoder is not None:
        logits = np.concatenate([s["logit"][~np.isnan(s["logit"])] for s in scored])
        config.logit_mean, config.logit_std = float(logits.mean()), float(logits.std() or 1.0)

        if choose_weights:
            fusion_quality = {}
            for weight in FUSION_GRID:
                orders = [_fused_order(s, weight, matcher) for s in scored]
                fusion_quality[weight] = _ranking_quality(orders, selection, matcher)
            # Among equally good weights, prefer the one leaning on retrieval: it is cheaper to trust.
            config.fusion_weight = _choose_weight("Fusion weight", fusion_quality, prefer=max)
            report["fusion_hit_at_1_mrr"] = {str(w): [round(v, 4) for v in quality] for w, quality in fusion_quality.items()}
    else:
        config.fusion_weight = 1.0

    rescored = [_refuse(s, config.fusion_weight, matcher) for s in scored]
    if 0 < is_green.sum() < len(is_green):
        verdict_auroc = {}
        for kind in VERDICT_SCORES:
            if kind != "retriever" and matcher.cross_encoder is None:
                continue
            values = [matcher.verdict_value(s, kind) for s in rescored]
            verdict_auroc[kind] = float(roc_auc_score(is_green, values))
        config.verdict_score = max(verdict_auroc, key=verdict_auroc.get)
        values = [matcher.verdict_value(s) for s in rescored]
        threshold, f1 = choose_threshold(values, is_green, target_precision)
        config.threshold = threshold
        goal = f"目标精确率 ≥ {target_precision}" if target_precision else "取非绿色 F1 最大的阈值"
        # Shown to users in the CLI and the model card, so it is Chinese.
        config.threshold_source = f"在 {len(texts)} 条留出的标注文本（其中非绿色 {int((~is_green).sum())} 条）上校准，{goal}，非绿色 F1 {f1:.3f}"
        report.update({"verdict_auroc": verdict_auroc, "verdict_score": config.verdict_score, "threshold": threshold, "not_green_f1": f1})
        _fit_display_scale(matcher, rescored, is_green)
        logger.info(
            "Not-green verdict on the %s score (AUROC by score: %s), threshold %.4f, selection F1 %.3f",
            config.verdict_score,
            ", ".join(f"{k}: {v:.3f}" for k, v in verdict_auroc.items()),
            threshold,
            f1,
        )
    else:
        logger.warning("The selection set has no not-green texts (or only those); the default threshold stays")
    return report


def _fit_display_scale(matcher: Matcher, scored: List[dict], is_green: np.ndarray) -> None:
    """Centre the displayed score where green and not-green texts part, and scale it by the spread of top scores."""
    config = matcher.config
    top_fused = np.array([s["fused"][s["order"][0]] for s in scored])
    same_score = config.verdict_score == "fused" or (config.verdict_score == "retriever" and config.fusion_weight == 1.0)
    if same_score:
        config.display_center = float(config.threshold)
    else:
        config.display_center = float((np.median(top_fused[is_green]) + np.median(top_fused[~is_green])) / 2)
    config.display_scale = float(top_fused.std() or 1.0)


def _ranking_quality(orders, selection: List[LabelledText], matcher: Matcher) -> tuple:
    """Return (hit@1, MRR over the ranked entries) of the green selection texts."""
    hits, reciprocal_ranks = [], []
    for order, item in zip(orders, selection):
        if not item.is_green:
            continue
        codes = [matcher.catalogue.entries[int(i)].code for i in order]
        rank = next((position for position, code in enumerate(codes, start=1) if code in item.codes), None)
        hits.append(rank == 1)
        reciprocal_ranks.append(1.0 / rank if rank else 0.0)
    if not hits:
        return (0.0, 0.0)
    return (float(np.mean(hits)), float(np.mean(reciprocal_ranks)))


def _choose_weight(what: str, quality: dict, prefer) -> float:
    """Pick the weight with the best (hit@1, MRR); ``prefer`` (min or max) breaks exact ties."""
    best = max(quality.values())
    chosen = prefer(weight for weight, value in quality.items() if value == best)
    logger.info(
        "%s chosen on the selection set: %.2f (hit@1 / MRR by weight: %s)",
        what,
        chosen,
        ", ".join(f"{w}: {hit:.3f}/{mrr:.3f}" for w, (hit, mrr) in quality.items()),
    )
    return chosen


def _refuse(scored: dict, weight: float, matcher: Matcher) -> dict:
    """Recompute a scored text's fused scores and order for ``weight`` without rerunning the models."""
    if np.all(np.isnan(scored["logit"])):
        return scored
    shortlisted = _fused_order(scored, weight, matcher)
    fused = np.full(len(scored["fused"]), -np.inf)
    z_logit = (scored["logit"][shortlisted] - matcher.config.logit_mean) / matcher.config.logit_std
    fused[shortlisted] = weight * scored["retrieval"][shortlisted] + (1 - weight) * z_logit
    rest = np.setdiff1d(np.arange(len(fused)), shortlisted, assume_unique=True)
    order = np.concatenate([shortlisted, rest[np.argsort(-scored["retrieval"][rest], kind="stable")]])
    return {**scored, "fused": fused, "order": order}


def _fused_order(scored: dict, weight: float, matcher: Matcher) -> np.ndarray:
    shortlisted = np.where(~np.isnan(scored["logit"]))[0]
    z_logit = (scored["logit"][shortlisted] - matcher.config.logit_mean) / matcher.config.logit_std
    fused = weight * scored["retrieval"][shortlisted] + (1 - weight) * z_logit
    return shortlisted[np.argsort(-fused, kind="stable")]
