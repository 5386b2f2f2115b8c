"""The Matcher: retrieve a shortlist with the SimCSE bi-encoder, rerank it with the cross-encoder.

A trained greenmatch model is one folder:

    MODEL/                   the CrossEncoder (Tanh head) at the root, so CrossEncoder(MODEL) works
    MODEL/retriever/         the SimCSE SentenceTransformer
    MODEL/catalogue.jsonl    the catalogue it was trained on
    MODEL/greenmatch.json    matching settings: shortlist size, fusion weight and score
                             statistics, the not-green threshold and how it was chosen
    MODEL/entry_embeddings.npy   the retriever's entry embeddings, cached

Scoring. For every text and entry the retrieval score mixes the retriever's cosine similarity
with a BM25 score over character n-grams (hybrid retrieval: the lexical score catches exact
product names, the dense one catches paraphrases):

    retrieval = (1 - a) * (cosine - mean_c) / std_c + a * (bm25 - mean_b) / std_b

The top ``shortlist`` entries by that score are scored by the cross-encoder, and its logit is
fused in:

    fused = w * retrieval + (1 - w) * (logit - mean_l) / std_l

``a`` (``lexical_weight``), ``w`` (``fusion_weight``) and the statistics are chosen on texts
held out from training. The score shown to users is ``tanh(fused)``. The not-green verdict
compares one score of the top entry (``verdict_score``: ``retriever``, ``fused`` or
``cross_encoder``) with the threshold.
"""

import contextlib
import hashlib
import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np

from greenmatch.catalogue import Catalogue
from greenmatch.errors import ModelNotFoundError
from greenmatch.ranking import Ranking

logger = logging.getLogger(__name__)

CONFIG_NAME = "greenmatch.json"
CATALOGUE_NAME = "catalogue.jsonl"
RETRIEVER_FOLDER = "retriever"
EMBEDDINGS_NAME = "entry_embeddings.npy"

# Used when a model was saved without calibration data: the top retriever cosine below which
# a text is called not green. The CLI prints a warning whenever it applies.
# NOTE: a rough default, not measured; calibrate with `greenmatch calibrate --data FILE`.
DEFAULT_THRESHOLD = 0.45
VERDICT_SCORES = ("retriever", "fused", "cross_encoder")


@dataclass
class MatcherConfig:
    """Matching settings stored in ``greenmatch.json`` beside the model.

    Args:
        shortlist: entries the cross-encoder reranks per text; None scores every entry.
        fusion_weight: weight of the retrieval score in the fused score (1.0: no reranking).
        lexical_weight: weight of BM25 in the retrieval score (0.0: the retriever alone).
        cosine_mean, cosine_std, lexical_mean, lexical_std, logit_mean, logit_std:
            standardisation statistics of the three scores.
        verdict_score: which score of the top entry decides not green.
        threshold: texts whose verdict score is below it are not green.
        threshold_source: how the threshold was chosen, shown in logs and the model card.
        display_center, display_scale: map fused scores to the score users see (`Matcher.display_score`).
        max_length: token limit of the cross-encoder inputs.
    """

    shortlist: Optional[int] = 20
    fusion_weight: float = 0.5
    lexical_weight: float = 0.0
    cosine_mean: float = 0.0
    cosine_std: float = 1.0
    lexical_mean: float = 0.0
    lexical_std: float = 1.0
    logit_mean: float = 0.0
    logit_std: float = 1.0
    verdict_score: str = "retriever"
    threshold: float = DEFAULT_THRESHOLD
    display_center: float = 0.0
    display_scale: float = 1.0
    threshold_source: str = "default"
    max_length: int = 128
    base_model: str = ""
    base_model_licence: str = ""
    metrics: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path) -> "MatcherConfig":
        with open(path, encoding="utf-8") as handle:
            values = json.load(handle)
        known = {key: value for key, value in values.items() if key in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, path) -> None:
        """Write the settings to ``path`` atomically, so an interrupted save keeps the old file."""
        path = Path(path)
        temporary = path.with_name(f".{path.name}.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, ensure_ascii=False, indent=2)
        os.replace(temporary, path)


@dataclass
class Match:
    """One ranked entry for a text."""

    rank: int
    code: str
    title: str
    level1: str
    level2: str
    score: float
    retriever_score: float
    cross_encoder_score: Optional[float] = None


@dataclass
class MatchResult:
    """The ranked entries of one text and the green verdict."""

    text: str
    matches: List[Match]
    is_green: bool
    verdict_score: float
    threshold: float
    truncated: bool = False

    @property
    def top(self) -> Optional[Match]:
        return self.matches[0] if self.matches else None


class Matcher:
    """Match texts to catalogue entries with a retriever and a cross-encoder.

    Args:
        retriever: the SimCSE `SentenceTransformer`.
        cross_encoder: the `CrossEncoder`, or None to rank by the retriever alone.
        catalogue: the entries to match against.
        config: matching settings (shortlist, fusion, threshold).

    Example::

        matcher = Matcher.from_pretrained("outputs/quick")
        result = matcher.match("屋顶分布式光伏电站", top_k=3)
        print(result.top.code, result.top.title, result.is_green)
        # 3.2.2 太阳能利用设施建设和运营 True
    """

    def __init__(self, retriever, cross_encoder, catalogue: Catalogue, config: Optional[MatcherConfig] = None):
        self.retriever = retriever
        self.cross_encoder = cross_encoder
        self.catalogue = catalogue
        self.config = config or MatcherConfig()
        self._entry_embeddings = None
        self._entry_texts = [entry.matching_text for entry in catalogue]
        self._lexical_index = None
        self.path: Optional[Path] = None

    # --- loading and saving --------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, path_or_repo_id: Union[str, Path], device: Optional[str] = None, **hub_kwargs) -> "Matcher":
        """Load a training output folder, or a model published on the Hub.

        Raises:
            ModelNotFoundError: the folder is not a greenmatch model. The message says why.
            HubError: the Hub repo cannot be downloaded. The message says why.
        """
        from sentence_transformers import CrossEncoder, SentenceTransformer

        path = Path(path_or_repo_id).expanduser()
        if not path.exists():
            from greenmatch.hub import download_model

            path = download_model(str(path_or_repo_id), **hub_kwargs)
        if not (path / CONFIG_NAME).exists():
            raise ModelNotFoundError(
                f"{path} 不是 greenmatch 模型文件夹（缺少 {CONFIG_NAME}）。请给出 greenmatch train 的输出文件夹或已发布的模型 ID。"
            )

        config = MatcherConfig.load(path / CONFIG_NAME)
        catalogue = Catalogue.from_file(path / CATALOGUE_NAME, name=config.training.get("catalogue_name", "catalogue"))
        catalogue.title = config.training.get("catalogue_title", catalogue.title)
        with _quiet_weight_loading():
            retriever = SentenceTransformer(str(path / RETRIEVER_FOLDER), device=device)
            cross_encoder = None
            if (path / "config.json").exists():
                cross_encoder = CrossEncoder(str(path), device=device, max_length=config.max_length)
        matcher = cls(retriever, cross_encoder, catalogue, config)
        matcher.path = path
        matcher._load_cached_embeddings(path / EMBEDDINGS_NAME)
        logger.info(
            "Loaded matcher from %s: %d entries, shortlist %s, fusion weight %.2f, not-green threshold %.3f on the %s score (%s)",
            path,
            len(catalogue),
            config.shortlist,
            config.fusion_weight,
            config.threshold,
            config.verdict_score,
            config.threshold_source,
        )
        return matcher

    def save_pretrained(self, path) -> None:
        """Write the retriever, catalogue, settings and entry embeddings (the cross-encoder is saved by training)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(path / RETRIEVER_FOLDER))
        if self.cross_encoder is not None and not (path / "config.json").exists():
            self.cross_encoder.save(str(path))
        self.catalogue.save(path / CATALOGUE_NAME)
        self.config.save(path / CONFIG_NAME)
        np.save(path / EMBEDDINGS_NAME, self.entry_embeddings())
        (path / (EMBEDDINGS_NAME + ".sha256")).write_text(self._catalogue_digest(), encoding="utf-8")
        self.path = path

    def push_to_hub(
        self,
        repo_id: str,
        private: bool = False,
        revision: Optional[str] = None,
        token: Optional[str] = None,
        commit_message: Optional[str] = None,
        **kwargs,
    ) -> str:
        """Publish the folder this matcher was loaded from or saved to; return the repository URL.

        Changes made in memory after loading are not published: call `save_pretrained` first.
        The repository layout and the other keyword arguments are those of
        `greenmatch.hub.push_model`.

        Raises:
            HubError: the matcher has no folder yet, or a Hub call failed.
        """
        from greenmatch.hub import push_matcher

        return push_matcher(self, repo_id, private=private, revision=revision, token=token, commit_message=commit_message, **kwargs)

    def _catalogue_digest(self) -> str:
        return hashlib.sha256("\n".join(self._entry_texts).encode("utf-8")).hexdigest()

    def _load_cached_embeddings(self, path: Path) -> None:
        digest_path = path.with_name(path.name + ".sha256")
        if path.exists() and digest_path.exists() and digest_path.read_text(encoding="utf-8").strip() == self._catalogue_digest():
            self._entry_embeddings = np.load(path)
            logger.info("Using cached entry embeddings from %s", path)

    # --- scoring -----------------------------------------------------------------------------

    def entry_embeddings(self) -> np.ndarray:
        if self._entry_embeddings is None:
            self._entry_embeddings = self.retriever.encode(
                self._entry_texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
            )
        return self._entry_embeddings

    def retriever_scores(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Return the cosine similarity of every text to every entry, shape (texts, entries)."""
        embeddings = self.retriever.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return embeddings @ self.entry_embeddings().T

    def lexical_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Return the BM25 score of every text for every entry, shape (texts, entries).

        BM25 reads the same leading characters the models read, and counts a repeated token
        once. Unbounded, the score of a long text grows with its length, so a 382-character
        business scope with no green item scored far above the threshold.
        """
        from greenmatch.baselines import BM25Ranker

        if self._lexical_index is None:
            self._lexical_index = BM25Ranker(self.catalogue, max_chars=self._character_limit(), max_repeats=1)
        return np.stack([self._lexical_index.score_all(text) for text in texts]).astype(np.float64)

    def retrieval_scores(self, cosines: np.ndarray, lexical: np.ndarray, lexical_weight: Optional[float] = None) -> np.ndarray:
        """Mix standardised cosine and BM25 scores into the first-stage retrieval score."""
        weight = self.config.lexical_weight if lexical_weight is None else lexical_weight
        z_cosine = (cosines - self.config.cosine_mean) / self.config.cosine_std
        if weight == 0.0:
            return z_cosine
        z_lexical = (lexical - self.config.lexical_mean) / self.config.lexical_std
        return (1.0 - weight) * z_cosine + weight * z_lexical

    def cross_encoder_logits(self, pairs: List[tuple], batch_size: int = 32) -> np.ndarray:
        import torch

        if not pairs:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(
            self.cross_encoder.predict(pairs, batch_size=batch_size, activation_fn=torch.nn.Identity(), show_progress_bar=False),
            dtype=np.float64,
        ).reshape(-1)

    def score(
        self,
        texts: Sequence[str],
        shortlist: Union[int, None, str] = "config",
        fusion_weight: Optional[float] = None,
        batch_size: int = 32,
        rerank: Optional[bool] = None,
        lexical_weight: Optional[float] = None,
    ) -> List[dict]:
        """Score every entry for each text.

        The cross-encoder runs when the model has one and ``rerank`` is True, or, by default,
        when the fusion weight gives it any say (below 1.0).

        Returns:
            One dict per text with numpy arrays over all entries: ``cosine``, ``lexical``
            (BM25), ``retrieval`` (their standardised mix), ``logit`` (NaN outside the
            shortlist or without reranking), ``fused`` (-inf outside the shortlist, so
            shortlisted entries rank first) and ``order`` (entry indices, best first).
        """
        shortlist = self.config.shortlist if shortlist == "config" else shortlist
        if shortlist is not None and int(shortlist) < 1:
            raise ValueError(f"shortlist must be at least 1, or None to score every entry; got {shortlist}")
        weight = self.config.fusion_weight if fusion_weight is None else fusion_weight
        texts = list(texts)
        cosines = self.retriever_scores(texts, batch_size=batch_size * 2)
        lexical = self.lexical_scores(texts)
        retrieval = self.retrieval_scores(cosines, lexical, lexical_weight)
        num_entries = cosines.shape[1]
        use_cross_encoder = self.cross_encoder is not None and (weight < 1.0 if rerank is None else rerank)
        size = num_entries if shortlist is None else min(int(shortlist), num_entries)

        candidates = [np.argsort(-row, kind="stable")[:size] for row in retrieval]
        logits = np.full(cosines.shape, np.nan)
        if use_cross_encoder:
            pairs = [(text, self._entry_texts[i]) for text, row in zip(texts, candidates) for i in row]
            flat = self.cross_encoder_logits(pairs, batch_size=batch_size)
            for position, row in enumerate(candidates):
                logits[position, row] = flat[position * size : (position + 1) * size]

        results = []
        for position, row in enumerate(candidates):
            fused = np.full(num_entries, -np.inf)
            if use_cross_encoder:
                z_logit = (logits[position, row] - self.config.logit_mean) / self.config.logit_std
                fused[row] = weight * retrieval[position, row] + (1.0 - weight) * z_logit
            else:
                fused[row] = retrieval[position, row]
            rest = np.setdiff1d(np.arange(num_entries), row, assume_unique=True)
            order = np.concatenate(
                [row[np.argsort(-fused[row], kind="stable")], rest[np.argsort(-retrieval[position, rest], kind="stable")]]
            )
            results.append(
                {
                    "cosine": cosines[position],
                    "lexical": lexical[position],
                    "retrieval": retrieval[position],
                    "logit": logits[position],
                    "fused": fused,
                    "order": order,
                }
            )
        return results

    def verdict_value(self, scored: dict, verdict_score: Optional[str] = None) -> float:
        """Return the score of a text's top entry that the not-green threshold applies to."""
        kind = verdict_score or self.config.verdict_score
        top = scored["order"][0]
        reranked = not np.all(np.isnan(scored["logit"]))
        if kind == "retriever" or not reranked:
            return float(np.max(scored["retrieval"]))
        if kind == "cross_encoder":
            return float(np.nanmax(scored["logit"]))
        return float(scored["fused"][top])

    # --- the public API ----------------------------------------------------------------------

    def match(
        self,
        texts: Union[str, Sequence[str]],
        top_k: int = 5,
        shortlist: Union[int, None, str] = "config",
        batch_size: int = 32,
    ) -> Union[MatchResult, List[MatchResult]]:
        """Rank catalogue entries for one text or a list of texts.

        Args:
            texts: a text or a list of texts.
            top_k: how many entries to return per text.
            shortlist: entries the cross-encoder reranks; None scores every entry (the
                original's way, slower); by default the model's setting.

        Returns:
            A `MatchResult` for a single text, or a list of them.
        """
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        cleaned = [str(text).strip() for text in batch]
        results = []
        truncation_limit = self._character_limit()
        for text, scored in zip(cleaned, self.score(cleaned, shortlist=shortlist, batch_size=batch_size) if cleaned else []):
            verdict = self.verdict_value(scored)
            matches = []
            for rank, index in enumerate(scored["order"][:top_k], start=1):
                entry = self.catalogue.entries[index]
                fused = scored["fused"][index]
                logit = scored["logit"][index]
                score = self.display_score(fused if np.isfinite(fused) else scored["retrieval"][index])
                matches.append(
                    Match(
                        rank=rank,
                        code=entry.code,
                        title=entry.title,
                        level1=entry.level1,
                        level2=entry.level2,
                        score=round(float(score), 4),
                        retriever_score=round(float(scored["cosine"][index]), 4),
                        cross_encoder_score=None if np.isnan(logit) else round(math.tanh(float(logit)), 4),
                    )
                )
            results.append(
                MatchResult(
                    text=text,
                    matches=matches,
                    is_green=bool(text) and verdict >= self.config.threshold,
                    verdict_score=verdict,
                    threshold=self.config.threshold,
                    truncated=len(text) > truncation_limit,
                )
            )
        return results[0] if single else results

    def display_score(self, fused: float) -> float:
        """Map a fused score to the (-1, 1) score users see: ``tanh((fused - center) / scale)``.

        Raw fused scores are sums of z-scores, and the top entries sit several standard
        deviations above the mean, where a plain tanh reads 1.0000 for all of them. Calibration
        centres the scale on the not-green threshold where the verdict uses the same score, so
        a positive score is above the threshold, and spreads it by the spread of top scores.
        """
        return math.tanh((float(fused) - self.config.display_center) / self.config.display_scale)

    def _character_limit(self) -> int:
        # Chinese text takes about one token per character; two slots go to [CLS] and [SEP].
        return int(getattr(self.retriever, "max_seq_length", 128) or 128) - 2

    def rankers(self, full_scoring: bool = False) -> list:
        """Return the ways of ranking a trained model is compared by.

        The retriever alone, retrieve-then-rerank as configured, and with ``full_scoring``
        the cross-encoder over every entry (the original's way, 211 pairs per text).
        """
        rankers = [_MatcherRanker(self, "检索器（SimCSE）", fusion_weight=1.0, shortlist=0, verdict_score="retriever", lexical_weight=0.0)]
        if self.config.lexical_weight > 0:
            rankers.append(_MatcherRanker(self, "混合检索（SimCSE + BM25）", fusion_weight=1.0, shortlist=0, verdict_score="retriever"))
        if self.cross_encoder is not None:
            rankers.append(_MatcherRanker(self, "检索后重排（greenmatch）", fusion_weight=None, shortlist="config", verdict_score=None))
        if self.cross_encoder is not None and full_scoring:
            rankers.append(_MatcherRanker(self, "交叉编码器全量打分（原方法）", fusion_weight=0.0, shortlist=None, verdict_score="cross_encoder"))
        return rankers


@contextlib.contextmanager
def _quiet_weight_loading():
    """Hide transformers' "Loading weights" bar, which prints once for each model a command loads."""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


class _MatcherRanker:
    """Adapter from a Matcher with fixed settings to the `Ranker` interface used by evaluation."""

    def __init__(self, matcher: Matcher, name: str, fusion_weight, shortlist, verdict_score, lexical_weight=None):
        self.matcher = matcher
        self.name = name
        self.fusion_weight = fusion_weight
        self.shortlist = shortlist
        self.verdict_score = verdict_score
        self.lexical_weight = lexical_weight
        configured = verdict_score in (None, matcher.config.verdict_score) and lexical_weight in (None, matcher.config.lexical_weight)
        self.threshold = matcher.config.threshold if configured else None

    def rank(self, texts: Sequence[str], top_k: int = 10) -> List[Ranking]:
        shortlist = 1 if self.shortlist == 0 else self.shortlist
        rankings = []
        scored_texts = self.matcher.score(texts, shortlist=shortlist, fusion_weight=self.fusion_weight, lexical_weight=self.lexical_weight)
        for scored in scored_texts:
            if self.fusion_weight == 1.0:
                order = np.argsort(-scored["retrieval"], kind="stable")
                values = scored["retrieval"]
            else:
                order = scored["order"]
                values = scored["fused"]
            top = order[:top_k]
            rankings.append(
                Ranking(
                    codes=[self.matcher.catalogue.entries[i].code for i in top],
                    scores=[float(values[i]) for i in top],
                    verdict_score=self.matcher.verdict_value(scored, self.verdict_score),
                )
            )
        return rankings
