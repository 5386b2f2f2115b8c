"""Training pairs for the cross-encoder: (query-like text, entry text, label) as a `datasets.Dataset`.

Kinds of pairs, counted and logged when built:

- ``title``: (entry title, entry text, 1), one per entry;
- ``query``: (generated query, its entry's text, 1), the balancing positives;
- ``example``: (hand-written or labelled text, each correct entry's text, 1);
- ``hard_negative``: (query, text of an entry the retriever ranks high but that is wrong, 0);
- ``random_negative``: (query, text of a random wrong entry, 0);
- ``not_green``: (not-green text, text of one of its most similar entries, 0), so that a score
  can learn to say no;
- ``original``: in the original mode every title is paired with all other entries' texts.

A candidate is never used as a negative when it could also be correct: when it is one of the
query's codes, or when the query names one of the candidate's keywords or its title.
"""

import hashlib
import json
import logging
import random
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from datasets import Dataset, load_from_disk

from greenmatch.catalogue import Catalogue
from greenmatch.labelled import LabelledText

logger = logging.getLogger(__name__)


@dataclass
class PairConfig:
    """How many negatives of each kind to build.

    Args:
        mode: ``sampled`` (hard-mined plus random negatives, the default) or ``original`` (every
            other entry is a negative of every title, as the original project trained).
        hard_negatives: negatives per query taken from the retriever's top-ranked wrong entries.
        random_negatives: negatives per query drawn at random from the wrong entries.
        not_green_negatives: entries each not-green text is paired with (its most similar ones).
        hard_negative_range: hard negatives are drawn from this many top-ranked wrong entries.
        seed: random seed of the sampling.
    """

    mode: str = "sampled"
    hard_negatives: int = 3
    random_negatives: int = 1
    not_green_negatives: int = 3
    hard_negative_range: int = 10
    seed: int = 42

    def __post_init__(self):
        if self.mode not in ("sampled", "original"):
            raise ValueError(f"mode must be 'sampled' or 'original', got {self.mode!r}")


@dataclass
class TrainingQuery:
    text: str
    codes: tuple
    kind: str  # "title", "query" or "example"


def could_also_match(query: str, entry) -> bool:
    """Tell whether ``query`` names ``entry``'s title or one of its keywords."""
    if entry.title and entry.title in query:
        return True
    return any(len(keyword) >= 2 and keyword in query for keyword in entry.keywords)


def collect_queries(catalogue: Catalogue, generated: Dict[str, List[str]], examples: Sequence[LabelledText]) -> List[TrainingQuery]:
    queries = [TrainingQuery(entry.title, (entry.code,), "title") for entry in catalogue]
    for code, texts in generated.items():
        queries.extend(TrainingQuery(text, (code,), "query") for text in texts)
    queries.extend(TrainingQuery(item.text, tuple(item.codes), "example") for item in examples if item.is_green)
    return queries


def _rank_entries(retriever, texts: List[str], catalogue: Catalogue, batch_size: int = 64) -> np.ndarray:
    """Return, per text, the entry indices sorted from most to least similar."""
    entry_embeddings = retriever.encode(
        [entry.matching_text for entry in catalogue], batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
    )
    text_embeddings = retriever.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    return np.argsort(-(text_embeddings @ entry_embeddings.T), axis=1)


def build_pairs(
    catalogue: Catalogue,
    queries: List[TrainingQuery],
    not_green: Sequence[LabelledText],
    retriever=None,
    config: Optional[PairConfig] = None,
) -> Dataset:
    """Build the labelled pairs; ``retriever`` (a SentenceTransformer) mines hard negatives.

    Returns:
        A dataset with the columns ``query``, ``passage`` (entry matching text), ``label``
        (1.0 or 0.0) and ``kind``. Drop ``kind`` before training, since the cross-encoder
        collator treats every column but the label as an input.
    """
    config = config or PairConfig()
    rng = random.Random(config.seed)
    entries = list(catalogue)
    passages = [entry.matching_text for entry in entries]
    index = {entry.code: i for i, entry in enumerate(entries)}
    records = []

    def add(query, entry_index, label, kind):
        records.append({"query": query, "passage": passages[entry_index], "label": float(label), "kind": kind})

    for query in queries:
        for code in query.codes:
            add(query.text, index[code], 1, query.kind)

    allowed = [
        [i for i, entry in enumerate(entries) if entry.code not in query.codes and not could_also_match(query.text, entry)]
        for query in queries
    ]

    if config.mode == "original":
        for query, candidates in zip(queries, allowed):
            if query.kind == "title":
                for i in candidates:
                    add(query.text, i, 0, "original")
    else:
        rankings = _rank_entries(retriever, [q.text for q in queries], catalogue) if retriever is not None else None
        for position, (query, candidates) in enumerate(zip(queries, allowed)):
            candidate_set = set(candidates)
            hard = []
            if rankings is not None and config.hard_negatives:
                ranked = [i for i in rankings[position] if i in candidate_set][: config.hard_negative_range]
                hard = rng.sample(ranked, min(config.hard_negatives, len(ranked)))
            for i in hard:
                add(query.text, i, 0, "hard_negative")
            rest = [i for i in candidates if i not in hard]
            for i in rng.sample(rest, min(config.random_negatives + (config.hard_negatives - len(hard)), len(rest))):
                add(query.text, i, 0, "random_negative")

    not_green_texts = [item.text for item in not_green if not item.is_green]
    if not_green_texts and config.not_green_negatives:
        if retriever is not None:
            rankings = _rank_entries(retriever, not_green_texts, catalogue)
            for text, ranking in zip(not_green_texts, rankings):
                for i in ranking[: config.not_green_negatives]:
                    add(text, int(i), 0, "not_green")
        else:
            for text in not_green_texts:
                for i in rng.sample(range(len(entries)), config.not_green_negatives):
                    add(text, i, 0, "not_green")

    counts = Counter(record["kind"] for record in records)
    logger.info("Built %d training pairs: %s", len(records), ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())))
    return Dataset.from_list(records)


def pair_counts(dataset: Dataset) -> Dict[str, int]:
    return dict(Counter(dataset["kind"]))


def fingerprint(*parts) -> str:
    """Hash JSON-serialisable inputs into a short key for the on-disk pair cache."""
    digest = hashlib.sha256()
    for part in parts:
        if hasattr(part, "__dataclass_fields__"):
            part = asdict(part)
        digest.update(json.dumps(part, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()[:16]


def cached_pairs(cache_dir, key: str, build) -> Dataset:
    """Load the pairs saved under ``cache_dir/key``, or build and save them."""
    path = Path(cache_dir) / f"pairs-{key}"
    if (path / "dataset_info.json").exists():
        logger.info("Reusing cached training pairs from %s", path)
        return load_from_disk(str(path))
    dataset = build()
    dataset.save_to_disk(str(path))
    return dataset


def split_by_text(items: Sequence, fraction: float, seed: int = 42):
    """Split items into (train, held_out) by their text, so one text never lands on both sides."""
    texts = sorted({item.text for item in items})
    random.Random(seed).shuffle(texts)
    held_out_texts = set(texts[: int(round(len(texts) * fraction))])
    train = [item for item in items if item.text not in held_out_texts]
    held_out = [item for item in items if item.text in held_out_texts]
    return train, held_out
