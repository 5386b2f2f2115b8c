"""Render the model card (README.md) of a trained greenmatch model from ``hub/templates``.

The card is Chinese first and English after, with YAML metadata that the Hub reads: language,
licence, base model, pipeline tag, tags, datasets and a model-index of the evaluation metrics.
"""

import logging
from importlib import resources
from pathlib import Path
from typing import Optional

from huggingface_hub import ModelCard, ModelCardData

from greenmatch.base_model import KNOWN_LICENCE_IDS

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "model_card.md"
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


def template_path() -> Path:
    """Return the card template: ``hub/templates`` in a source checkout, else the packaged copy."""
    checkout = Path(__file__).resolve().parents[1] / "hub" / "templates" / TEMPLATE_NAME
    if checkout.exists():
        return checkout
    return Path(str(resources.files("greenmatch") / "resources" / TEMPLATE_NAME))


def _metrics_table(metrics: dict) -> str:
    if not metrics:
        return "尚未在标注数据上评估。运行 `greenmatch evaluate --model <模型>` 并用 `--write-card` 写入。"
    lines = ["| 方法 | 数据 | " + " | ".join(METRIC_NAMES.values()) + " |", "|" + "---|" * (len(METRIC_NAMES) + 2)]
    for name, result in metrics.items():
        values = result.get("metrics", result)
        cells = [f"{values[key]:.3f}" if isinstance(values.get(key), (int, float)) else "–" for key in METRIC_NAMES]
        lines.append(f"| {name} | {result.get('dataset', 'dev')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _model_index(model_name: str, metrics: dict) -> Optional[list]:
    if not metrics:
        return None
    results = []
    for name, result in metrics.items():
        values = result.get("metrics", result)
        entries = [
            {"type": key, "name": label, "value": round(float(values[key]), 4)}
            for key, label in METRIC_NAMES.items()
            if isinstance(values.get(key), (int, float))
        ]
        if entries:
            results.append(
                {
                    "task": {"type": "text-ranking", "name": name},
                    "dataset": {"type": "greenmatch-dev", "name": result.get("dataset", "greenmatch dev")},
                    "metrics": entries,
                }
            )
    return [{"name": model_name, "results": results}] if results else None


def render_model_card(config, repo_id: Optional[str] = None, model_name: Optional[str] = None) -> ModelCard:
    """Build the card of a model from its `MatcherConfig`."""
    training = config.training or {}
    model_name = model_name or (repo_id or "greenmatch").split("/")[-1]
    licence_id = KNOWN_LICENCE_IDS.get(config.base_model, "other")
    card_data = ModelCardData(
        language=["zh"],
        license=licence_id,
        base_model=config.base_model if "/" in (config.base_model or "") and not config.base_model.startswith("/") else None,
        pipeline_tag="text-ranking",
        library_name="sentence-transformers",
        tags=["greenmatch", "cross-encoder", "simcse", "green-finance", "sentence-transformers"],
        datasets=[training.get("catalogue_name", "gigc2019")],
        model_name=model_name,
        eval_results=None,
    )
    if licence_id == "other":
        card_data.license_name = "m3e-non-commercial" if config.base_model == "moka-ai/m3e-small" else "see-base-model"
    model_index = _model_index(model_name, config.metrics)
    if model_index:
        card_data.model_index = model_index  # serialised as given; ModelCardData keeps unknown keys

    texts = training.get("texts", {})
    pairs = training.get("cross_encoder", {}).get("pairs", {})
    licence_note = (
        "本模型由 moka-ai/m3e-small 训练而来，m3e 模型权重仅限非商业研究用途，本模型同样只能用于非商业研究。"
        if config.base_model == "moka-ai/m3e-small"
        else f"本模型继承基础模型 {config.base_model} 的许可：{config.base_model_licence}。"
    )
    return ModelCard.from_template(
        card_data,
        template_path=str(template_path()),
        model_name=model_name,
        repo_id=repo_id or "<本地模型文件夹>",
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
    )


def write_model_card(output_dir, config, repo_id: Optional[str] = None) -> Path:
    """Render the card and write it to ``output_dir/README.md``."""
    path = Path(output_dir) / "README.md"
    render_model_card(config, repo_id=repo_id).save(str(path))
    logger.info("Wrote the model card to %s", path)
    return path
