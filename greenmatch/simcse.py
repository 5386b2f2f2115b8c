"""The SimCSE stage: a `SentenceTransformer` that spreads catalogue entries apart.

Unsupervised SimCSE (Gao et al., 2021) feeds each sentence twice through the encoder with
dropout on; the two dropout masks make two slightly different embeddings of the same sentence,
which `MultipleNegativesRankingLoss` pulls together while pushing away the other sentences of
the batch. The result initialises the cross-encoder and is the retriever at match time.

An optional supervised pass (``contrastive_pairs``) then trains the same loss on (query, entry
text) pairs, so that project names land next to the entries they belong to. It is measured
against plain SimCSE in docs/benchmarks.md.
"""

import logging
import random
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from datasets import Dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.base.modules.transformer import Transformer
from sentence_transformers.losses import MultipleNegativesRankingLoss
from sentence_transformers.sentence_transformer.modules import Pooling
from sentence_transformers.training_args import BatchSamplers

from greenmatch.base_model import BaseModel, model_load_error

logger = logging.getLogger(__name__)


def build_sentence_model(
    base_model: BaseModel,
    pooling: str = "mean",
    dropout: float = 0.1,
    max_seq_length: int = 128,
) -> SentenceTransformer:
    """Create a `SentenceTransformer` (Transformer + pooling) from a base model.

    Args:
        base_model: the resolved base model.
        pooling: ``mean`` or ``cls``.
        dropout: hidden and attention dropout; SimCSE's only noise (the original used 0.3).
        max_seq_length: inputs are truncated to this many tokens; padding is per batch.
    """
    if pooling not in ("mean", "cls"):
        raise ValueError(f"pooling must be 'mean' or 'cls', got {pooling!r}")
    try:
        transformer = Transformer(
            base_model.path,
            max_seq_length=max_seq_length,
            config_kwargs={"hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout},
        )
    except (OSError, ValueError) as error:
        raise model_load_error(base_model.name, error) from error
    pooling_module = Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)
    logger.info("Built a SentenceTransformer from %s with %s pooling and dropout %.2f", base_model.name, pooling, dropout)
    return SentenceTransformer(modules=[transformer, pooling_module])


def set_dropout(model: SentenceTransformer, dropout: float) -> None:
    """Set hidden and attention dropout of the model's transformer, in its config and modules."""
    import torch

    backbone = model[0].auto_model
    backbone.config.hidden_dropout_prob = dropout
    backbone.config.attention_probs_dropout_prob = dropout
    for module in backbone.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = dropout


def _training_arguments(output_dir: Path, epochs: float, batch_size: int, learning_rate: float, seed: int, **extra):
    import torch

    # Pinned memory only speeds up copies to a GPU. On CPU, transformers warns about it at every stage.
    extra.setdefault("dataloader_pin_memory", torch.cuda.is_available())
    return SentenceTransformerTrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        warmup_steps=0.1,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        save_strategy="no",
        logging_steps=10,
        report_to="none",
        seed=seed,
        dataloader_drop_last=False,
        **extra,
    )


def _fit(model, dataset: Dataset, output_dir, epochs, batch_size, learning_rate, seed, **training_kwargs) -> SentenceTransformer:
    """Train ``model`` on (anchor, positive) rows with MultipleNegativesRankingLoss."""
    trainer = SentenceTransformerTrainer(
        model=model,
        args=_training_arguments(Path(output_dir), epochs, batch_size, learning_rate, seed, **training_kwargs),
        train_dataset=dataset,
        loss=MultipleNegativesRankingLoss(model),
    )
    trainer.train()
    return model


def train_simcse(
    model: SentenceTransformer,
    sentences: Sequence[str],
    output_dir,
    epochs: float = 1.0,
    batch_size: int = 32,
    learning_rate: float = 3e-5,
    seed: int = 42,
    **training_kwargs,
) -> SentenceTransformer:
    """Train unsupervised SimCSE on ``sentences``: each sentence is its own positive.

    Duplicates are removed first, since a duplicate in the batch would be a false negative.
    """
    unique = list(dict.fromkeys(s.strip() for s in sentences if s and s.strip()))
    random.Random(seed).shuffle(unique)
    dataset = Dataset.from_dict({"anchor": unique, "positive": unique})
    logger.info("SimCSE: %d unique sentences, %s epochs, batch size %d", len(unique), epochs, batch_size)

    return _fit(model, dataset, output_dir, epochs, batch_size, learning_rate, seed, **training_kwargs)


def train_contrastive(
    model: SentenceTransformer,
    pairs: Sequence[Tuple[str, str]],
    output_dir,
    epochs: float = 1.0,
    batch_size: int = 32,
    learning_rate: float = 3e-5,
    seed: int = 42,
    **training_kwargs,
) -> SentenceTransformer:
    """Train the retriever on (query, entry text) pairs with in-batch negatives.

    The no-duplicates batch sampler keeps two queries of the same entry out of one batch, so
    an entry text is never its own in-batch negative.
    """
    pairs = list(dict.fromkeys((q, p) for q, p in pairs if q and p))
    random.Random(seed).shuffle(pairs)
    dataset = Dataset.from_dict({"anchor": [q for q, _ in pairs], "positive": [p for _, p in pairs]})
    logger.info("Contrastive retriever pass: %d (query, entry) pairs, %s epochs", len(pairs), epochs)

    return _fit(model, dataset, output_dir, epochs, batch_size, learning_rate, seed, **training_kwargs)


def simcse_sentences(catalogue, queries: dict, extra_texts: Optional[List[str]] = None) -> List[str]:
    """Collect the SimCSE corpus: titles, matching texts, generated queries and the user's texts."""
    sentences = []
    for entry in catalogue:
        sentences.append(entry.title)
        sentences.append(entry.matching_text)
        sentences.extend(queries.get(entry.code, []))
    sentences.extend(extra_texts or [])
    return sentences
