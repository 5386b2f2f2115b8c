"""The cross-encoder stage: a `CrossEncoder` with a Tanh head, trained with `CrossEncoderTrainer`.

The encoder is initialised from the SimCSE model's transformer, and a one-logit head is added.
Training uses binary cross-entropy on the logits (``pos_weight`` balances the many negatives);
at prediction time the logit passes a Tanh, as in the original's Dropout → Linear → Tanh head.
The activation is saved in the model's configuration, so ``CrossEncoder(path)`` restores it.
"""

import logging
from pathlib import Path
from typing import List, Optional

import torch
from datasets import Dataset
from sentence_transformers import CrossEncoder
from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
from sentence_transformers.cross_encoder.evaluation import CrossEncoderRerankingEvaluator
from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

logger = logging.getLogger(__name__)


def build_cross_encoder(backbone_path: str, max_length: int = 128) -> CrossEncoder:
    """Create a one-logit CrossEncoder with a Tanh activation from a transformer folder."""
    return CrossEncoder(backbone_path, num_labels=1, max_length=max_length, activation_fn=torch.nn.Tanh())


def reranking_samples(queries, catalogue, retriever_rankings, shortlist: int = 20) -> List[dict]:
    """Build reranking-evaluator samples: each query with its correct entry texts and the
    retriever's shortlist, in retriever order, so the evaluator also reports the retriever's
    own ranking as its base metrics."""
    samples = []
    for query, ranking in zip(queries, retriever_rankings):
        positives = [catalogue[code].matching_text for code in query.codes]
        documents = [catalogue.entries[i].matching_text for i in ranking[:shortlist]]
        samples.append({"query": query.text, "positive": positives, "documents": documents})
    return samples


def train_cross_encoder(
    model: CrossEncoder,
    train_pairs: Dataset,
    output_dir,
    dev_samples: Optional[List[dict]] = None,
    epochs: float = 1.0,
    batch_size: int = 32,
    learning_rate: float = 3e-5,
    seed: int = 42,
    resume_from_checkpoint=None,
    **training_kwargs,
) -> dict:
    """Train the cross-encoder and return the reranking metrics before and after.

    With ``dev_samples`` the reranking evaluator (NDCG@10 over the retriever's shortlist) runs
    before training, after each epoch, and decides which checkpoint is kept.
    """
    columns = [column for column in train_pairs.column_names if column not in ("query", "passage", "label")]
    train_pairs = train_pairs.remove_columns(columns).select_columns(["query", "passage", "label"])
    labels = train_pairs["label"]
    positives = sum(1 for label in labels if label > 0.5)
    negatives = len(labels) - positives
    pos_weight = torch.tensor(negatives / max(positives, 1))
    logger.info("Cross-encoder: %d pairs (%d positive, %d negative), pos_weight %.2f", len(labels), positives, negatives, pos_weight)

    evaluator = None
    metrics = {}
    if dev_samples:
        evaluator = CrossEncoderRerankingEvaluator(dev_samples, at_k=10, always_rerank_positives=False, name="dev", batch_size=64)
        before = evaluator(model)
        metrics["before"] = {key: float(value) for key, value in before.items()}
        logger.info("Reranking on the generated dev queries before training: %s", _summary(before))

    keep_best = evaluator is not None
    args = CrossEncoderTrainingArguments(
        output_dir=str(Path(output_dir)),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=64,
        learning_rate=learning_rate,
        warmup_steps=0.1,
        eval_strategy="epoch" if keep_best else "no",
        save_strategy="epoch",
        save_total_limit=2,
        load_best_model_at_end=keep_best,
        metric_for_best_model="eval_dev_ndcg@10" if keep_best else None,
        logging_steps=20,
        report_to="none",
        seed=seed,
        ddp_find_unused_parameters=False,
        dataloader_pin_memory=torch.cuda.is_available(),
        **training_kwargs,
    )
    trainer = CrossEncoderTrainer(
        model=model,
        args=args,
        train_dataset=train_pairs,
        loss=BinaryCrossEntropyLoss(model, pos_weight=pos_weight),
        evaluator=evaluator,
    )
    trainer.train(resume_from_checkpoint=resume_from_checkpoint)

    if evaluator is not None:
        after = evaluator(model)
        metrics["after"] = {key: float(value) for key, value in after.items()}
        logger.info("Reranking on the generated dev queries after training: %s", _summary(after))
    return metrics


def _summary(metrics: dict) -> str:
    """Format the evaluator's metrics: ``base_*`` is the retriever's own order, the rest the reranked one."""
    parts = []
    for key, value in metrics.items():
        name = key.split("dev_", 1)[-1]
        if any(metric in name for metric in ("ndcg", "mrr", "map")):
            parts.append(f"{name.replace('base_', 'retriever ')} {value:.3f}")
    return ", ".join(parts)
