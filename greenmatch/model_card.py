"""Render the model cards (README.md) of a trained greenmatch model from ``hub/templates``.

The card is Chinese first and English after, with YAML metadata that the Hub reads: language,
licence, base model, pipeline tag, tags, datasets and a model-index of the evaluation metrics.
A second, shorter card describes the retriever when it is published as a repository of its own.
"""

import logging
from importlib import resources
from pathlib import Path
from typing import Optional

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from greenmatch.base_model import KNOWN_LICENCE_IDS

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "model_card.md"
RETRIEVER_TEMPLATE_NAME = "retriever_card.md"
METRIC_NAMES = {
    "hit@1": "hit@1",
    "hit@3": "hit@3",
    "hit@5": "hit@5",
    "hit@10": "hit@10",
    "mrr": "MRR",
    "ndcg@10": "NDCG@10",
    "auroc": "AUROC (not green)",
    "f1": "F1 (not green)",
}


def template_path(name: str = TEMPLATE_NAME) -> Path:
    """Return a card template from ``hub/templates``.

    ``greenmatch/templates`` is a symbolic link to ``hub/templates``, so the templates are found
    in a source checkout and are packaged into wheels (setuptools copies the link's target).
    """
    return Path(str(resources.files("greenmatch") / "templates" / name))


def _metrics_table(metrics: dict) -> str:
    if not metrics:
        return "尚未在标注数据上评估。运行 `greenmatch evaluate --model <模型>` 并用 `--write-card` 写入。"
    lines = ["| 方法 | 数据 | " + " | ".join(METRIC_NAMES.values()) + " |", "|" + "---|" * (len(METRIC_NAMES) + 2)]
    for name, result in metrics.items():
        values = result.get("metrics", result)
        cells = [f"{values[key]:.3f}" if isinstance(values.get(key), (int, float)) else "–" for key in METRIC_NAMES]
        lines.append(f"| {name} | {result.get('dataset', 'dev')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _eval_results(metrics: dict) -> Optional[list]:
    """Turn the stored metrics into `EvalResult` objects, which the card serialises as ``model-index``."""
    results = []
    for name, result in (metrics or {}).items():
        values = result.get("metrics", result)
        dataset_name = result.get("dataset", "greenmatch dev")
        for key, label in METRIC_NAMES.items():
            if isinstance(values.get(key), (int, float)):
                results.append(
                    EvalResult(
                        task_type="text-ranking",
                        task_name=name,
                        dataset_type="greenmatch-dev",
                        dataset_name=dataset_name,
                        metric_type=key,
                        metric_name=label,
                        metric_value=round(float(values[key]), 4),
                    )
                )
    return results or None


def _licence(config):
    """Return the card's licence id, the licence name the Hub needs for ``other``, and the licence note."""
    licence_id = KNOWN_LICENCE_IDS.get(config.base_model, "other")
    licence_name = None
    if licence_id == "other":
        licence_name = "m3e-non-commercial" if config.base_model == "moka-ai/m3e-small" else "see-base-model"
    note = (
        "本模型由 moka-ai/m3e-small 训练而来，m3e 模型权重仅限非商业研究用途，本模型同样只能用于非商业研究。"
        if config.base_model == "moka-ai/m3e-small"
        else f"本模型继承基础模型 {config.base_model} 的许可：{config.base_model_licence}。"
    )
    return licence_id, licence_name, note


def _hub_base_model(config) -> Optional[str]:
    """Return the base model when it is a Hub id; a local folder is no use in a card's metadata."""
    name = config.base_model or ""
    return name if "/" in name and not name.startswith(("/", ".", "~")) and name.count("/") == 1 else None


def render_model_card(
    config,
    repo_id: Optional[str] = None,
    model_name: Optional[str] = None,
    retriever_repo_id: Optional[str] = None,
    catalogue_repo_id: Optional[str] = None,
) -> ModelCard:
    """Build the card of a model from its `MatcherConfig`.

    Args:
        config: the model's `MatcherConfig`.
        repo_id: the Hub repository the card is for; None for a local folder.
        model_name: the title of the card, by default the repository name.
        retriever_repo_id: the repository that contains the retriever alone, when published.
        catalogue_repo_id: the Hub dataset that contains the catalogue, when published.
    """
    training = config.training or {}
    model_name = model_name or (repo_id or "greenmatch").split("/")[-1]
    licence_id, licence_name, licence_note = _licence(config)
    card_data = ModelCardData(
        language=["zh"],
        license=licence_id,
        base_model=_hub_base_model(config),
        pipeline_tag="text-ranking",
        library_name="sentence-transformers",
        tags=["greenmatch", "cross-encoder", "simcse", "green-finance", "sentence-transformers"],
        datasets=[catalogue_repo_id or training.get("catalogue_name", "gigc2019")],
        model_name=model_name,
        eval_results=_eval_results(config.metrics),
    )
    if licence_name:
        card_data.license_name = licence_name

    texts = training.get("texts", {})
    pairs = training.get("cross_encoder", {}).get("pairs", {})
    return ModelCard.from_template(
        card_data,
        template_path=str(template_path()),
        model_name=model_name,
        repo_id=repo_id or "<本地模型文件夹>",
        retriever_repo_id=retriever_repo_id,
        catalogue_repo_id=catalogue_repo_id,
        catalogue_title=training.get("catalogue_title", "绿色产业指导目录（2019年版）"),
        catalogue_entries=training.get("catalogue_entries", "?"),
        shortlist=config.shortlist if config.shortlist else "全部",
        fusion_weight=f"{config.fusion_weight:.2f}",
        verdict_score={"retriever": "检索器余弦相似度", "fused": "融合分数", "cross_encoder": "交叉编码器"}.get(config.verdict_score, config.verdict_score),
        threshold=f"{config.threshold:.4f}",
        threshold_source=config.threshold_source,
        base_model=config.base_model,
        base_model_licence=config.base_model_licence,
        texts_summary="，".join(f"{key} {value}" for key, value in texts.items()) or "未记录",
        pairs_summary="，".join(f"{key} {value}" for key, value in sorted(pairs.items())) or "未训练交叉编码器",
        timings="，".join(f"{key} {value}" for key, value in training.get("timings", {}).items()) or "未记录",
        metrics_table=_metrics_table(config.metrics),
        licence_note=licence_note,
        finetune=_finetune_summary(training.get("finetune")),
    )


FINETUNE_METRICS = {"hit@1": "hit@1", "hit@3": "hit@3", "hit@10": "hit@10", "mrr": "MRR", "auroc": "AUROC（非绿色）", "f1": "F1（非绿色）"}


def _before_after(before, after) -> str:
    def cell(value):
        return f"{value:.3f}" if isinstance(value, (int, float)) else "–"

    return f"{cell(before)} → {cell(after)}"


def _finetune_summary(finetune: Optional[dict]) -> Optional[dict]:
    """Format the ``training["finetune"]`` record that `greenmatch.finetune` writes; None for a model not fine-tuned."""
    if not finetune:
        return None
    evaluation = finetune.get("evaluation", {})
    before, after = evaluation.get("before", {}), evaluation.get("after", {})
    lines = ["| 方法 | " + " | ".join(FINETUNE_METRICS.values()) + " |", "|" + "---|" * (len(FINETUNE_METRICS) + 1)]
    for name, metrics in after.items():
        cells = [_before_after(before.get(name, {}).get(key), metrics.get(key)) for key in FINETUNE_METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    on_held_out = finetune.get("evaluated_on") == "held_out"
    check = finetune.get("catalogue_check", {})
    threshold_before = finetune.get("threshold_before")
    return {
        "base_model": finetune.get("base_model", "?"),
        "data": finetune.get("data", "?"),
        "texts": finetune.get("texts", {}),
        "evaluated_on": "留出集" if on_held_out else "训练文本本身（没有留出评估集，指标偏乐观）",
        "evaluated_on_english": "held-out split" if on_held_out else "training texts (no held-out split; optimistic)",
        "metrics_table": "\n".join(lines),
        "pairs_summary": "，".join(f"{kind} {count}" for kind, count in sorted(finetune.get("pairs", {}).items())) or "未训练交叉编码器",
        "epochs": finetune.get("cross_encoder_epochs", "?"),
        "retriever_pairs": finetune.get("retriever_pairs", 0),
        "threshold_before": f"{threshold_before:.4f}" if isinstance(threshold_before, (int, float)) else "?",
        "recalibrated": bool(finetune.get("recalibrated")),
        "calibration_note": "在留出集上重新校准" if finetune.get("recalibrated") else "沿用原模型的校准",
        "catalogue_check": _before_after(check.get("hit@1_before"), check.get("hit@1_after")) if check.get("queries") else None,
        "warnings": finetune.get("warnings", []),
    }


def write_model_card(output_dir, config, repo_id: Optional[str] = None, **card_kwargs) -> Path:
    """Render the card and write it to ``output_dir/README.md``.

    ``card_kwargs`` go to `render_model_card` (``retriever_repo_id``, ``catalogue_repo_id``).
    """
    path = Path(output_dir) / "README.md"
    render_model_card(config, repo_id=repo_id, **card_kwargs).save(str(path))
    logger.info("Wrote the model card to %s", path)
    return path


def render_retriever_card(
    config,
    repo_id: str,
    retriever_repo_id: str,
    dimensions: int,
    max_seq_length: int,
    catalogue_repo_id: Optional[str] = None,
) -> ModelCard:
    """Build the card of the retriever published alone, which points back to the full model.

    Args:
        config: the full model's `MatcherConfig`.
        repo_id: the repository of the full model.
        retriever_repo_id: the repository the retriever is published to.
        dimensions: the retriever's embedding size.
        max_seq_length: the retriever's token limit.
        catalogue_repo_id: the Hub dataset that contains the catalogue, when published.
    """
    training = config.training or {}
    licence_id, licence_name, licence_note = _licence(config)
    card_data = ModelCardData(
        language=["zh"],
        license=licence_id,
        base_model=_hub_base_model(config),
        pipeline_tag="sentence-similarity",
        library_name="sentence-transformers",
        tags=["greenmatch", "simcse", "green-finance", "sentence-transformers", "sentence-similarity", "feature-extraction"],
        datasets=[catalogue_repo_id or training.get("catalogue_name", "gigc2019")],
    )
    if licence_name:
        card_data.license_name = licence_name
    return ModelCard.from_template(
        card_data,
        template_path=str(template_path(RETRIEVER_TEMPLATE_NAME)),
        model_name=retriever_repo_id.split("/")[-1],
        repo_id=repo_id,
        retriever_repo_id=retriever_repo_id,
        catalogue_title=training.get("catalogue_title", "绿色产业指导目录（2019年版）"),
        dimensions=dimensions,
        max_seq_length=max_seq_length,
        base_model=config.base_model,
        base_model_licence=config.base_model_licence,
        licence_note=licence_note,
    )
