"""Domain fine-tuning: continue training a greenmatch model on a team's own labelled texts.

A team labels its own project names, loan purposes or 经营范围 with the entry codes an analyst
chose, leaving the codes empty for texts that are not green. `finetune` then:

1. loads the model and the labelled file; codes missing from the model's catalogue are
   dropped with a warning;
2. resolves repeated texts: identical labels are kept once, green labels with different
   codes are merged into their union (every code an analyst accepted counts as correct), and
   a text labelled both green and not green is dropped;
3. splits the texts into train and held-out, separately for green and not-green texts;
4. evaluates the model on the held-out split (before);
5. builds cross-encoder pairs from the training texts, with negatives mined by the model's own
   scores, and mixes in catalogue pairs (titles and generated queries) so that the catalogue
   is not forgotten;
6. optionally trains the retriever on (text, entry) pairs, then continues training the
   cross-encoder from its own weights;
7. recalibrates the matcher on the held-out split and evaluates it again (after);
8. writes a complete model folder whose card states the metrics before → after.

Small data. With fewer than `MIN_SPLIT_TEXTS` distinct texts, fewer than 2 green texts or
``held_out_fraction`` 0 there is no held-out split: every text trains, before and after are
measured on the training texts themselves (an optimistic figure, and the warnings say so), and
the base model's calibration (score statistics, fusion weight, verdict score, threshold) is
kept, because a threshold fitted to the texts the model was just trained on does not carry
over to new texts.
The base calibration is also kept when the held-out split lacks not-green texts, since the
threshold cannot be chosen without them.

Warnings meant for the user are Chinese; they are logged and returned in
``FinetuneResult.warnings`` so that the command line can list them again at the end.
"""

import copy
import logging
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from datasets import Dataset, concatenate_datasets

from greenmatch.catalogue import Catalogue
from greenmatch.errors import GreenmatchError, check_writable_folder
from greenmatch.labelled import LabelledText, load_dataset_or_file
from greenmatch.pairs import PairConfig, build_pairs, collect_queries, could_also_match, pair_counts, split_by_text
from greenmatch.queries import build_generators, generate_queries

logger = logging.getLogger(__name__)

# Below this many distinct texts no held-out split is made (see the module docstring).
MIN_SPLIT_TEXTS = 10
# A held-out split with fewer not-green texts still calibrates, with a warning.
MIN_CALIBRATION_NOT_GREEN = 5
# Texts scored per call while mining negatives; bounds memory and drives the progress bar.
SCORING_CHUNK = 256
# Rows shown per warning before "…".
EXAMPLES_PER_WARNING = 5


class FinetuneError(GreenmatchError, ValueError):
    """Invalid fine-tuning settings or unusable data. The message names the value and the fix."""


@dataclass
class FinetuneConfig:
    """Settings of a fine-tuning run. Every field is also a command-line option."""

    model: str = field(metadata={"help": "要微调的 greenmatch 模型：本地模型文件夹或 Hub 模型 ID"})
    data: str = field(metadata={"help": "团队的标注数据：CSV、XLSX、JSONL 或原项目的三列 TSV，或内置数据集名称 finetune_example"})
    output_dir: str = field(metadata={"help": "微调后模型的输出文件夹（不能是原模型的文件夹）"})
    text_column: Optional[str] = field(default=None, metadata={"help": "文本所在的列；默认自动识别"})
    codes_column: Optional[str] = field(default=None, metadata={"help": "目录代码所在的列（多个代码用分号分隔，留空表示非绿色）；默认自动识别"})
    held_out_fraction: float = field(default=0.2, metadata={"help": "留出多少比例的文本用于微调前后的评估和重新校准阈值；0 表示不留出"})
    catalogue_share: float = field(default=0.5, metadata={"help": "混入的目录样本对数量，为团队样本对数量的倍数，防止模型遗忘目录；0 不混入"})
    hard_negatives: int = field(default=3, metadata={"help": "每条绿色文本的难负例数：当前模型排得靠前但不正确的条目"})
    not_green_negatives: int = field(default=3, metadata={"help": "每条非绿色文本配对的负例数：当前模型给它打分最高的条目"})
    epochs: Optional[float] = field(default=None, metadata={"help": "交叉编码器训练轮数；默认按数据量选择（数据越少轮数越多）"})
    batch_size: int = field(default=16, metadata={"help": "交叉编码器批大小"})
    learning_rate: float = field(default=2e-5, metadata={"help": "交叉编码器学习率"})
    retriever_epochs: float = field(default=1.0, metadata={"help": "检索器在（文本，条目）对上的对比学习轮数；0 不训练检索器"})
    retriever_batch_size: int = field(default=32, metadata={"help": "检索器对比学习的批大小（批内其他条目充当负例）"})
    retriever_learning_rate: float = field(default=1e-5, metadata={"help": "检索器学习率"})
    catalogue_check: bool = field(default=True, metadata={"help": "用每个条目一条未参与训练的生成查询检查目录知识是否被遗忘"})
    target_precision: Optional[float] = field(default=None, metadata={"help": "非绿色判定的目标精确率；默认取 F1 最大的阈值"})
    seed: int = field(default=42, metadata={"help": "随机种子"})
    use_cpu: bool = field(default=False, metadata={"help": "即使有 GPU 也只用 CPU"})

    def __post_init__(self):
        if not 0.0 <= self.held_out_fraction < 1.0:
            raise FinetuneError(f"held_out_fraction 应在 0 到 1 之间（不含 1），实际为 {self.held_out_fraction}。")
        if self.catalogue_share < 0:
            raise FinetuneError(f"catalogue_share 不能为负数，实际为 {self.catalogue_share}。")
        if self.hard_negatives < 0 or self.not_green_negatives < 0:
            raise FinetuneError(f"负例数不能为负数（hard_negatives {self.hard_negatives}，not_green_negatives {self.not_green_negatives}）。")
        if self.epochs is not None and self.epochs <= 0:
            raise FinetuneError(f"epochs 应大于 0，实际为 {self.epochs}。不想训练交叉编码器时无需微调。")
        if self.retriever_epochs < 0:
            raise FinetuneError(f"retriever_epochs 不能为负数，实际为 {self.retriever_epochs}。")
        if self.target_precision is not None and not 0.0 < self.target_precision <= 1.0:
            raise FinetuneError(f"target_precision 应在 0 到 1 之间，实际为 {self.target_precision}。")
        for name in ("batch_size", "retriever_batch_size"):
            if getattr(self, name) < 1:
                raise FinetuneError(f"{name}（命令行 --{name.replace('_', '-')}）至少为 1，实际为 {getattr(self, name)}。")
        for name in ("learning_rate", "retriever_learning_rate"):
            if not getattr(self, name) > 0:
                raise FinetuneError(
                    f"{name}（命令行 --{name.replace('_', '-')}）应大于 0，实际为 {getattr(self, name)}。默认值为 {type(self).__dataclass_fields__[name].default}。"
                )


def default_epochs(num_train_texts: int) -> float:
    """Choose the cross-encoder epochs from the number of training texts.

    Few texts make few steps per epoch, so they get more passes; large sets need one.
    """
    if num_train_texts < 100:
        return 4.0
    if num_train_texts < 1000:
        return 2.0
    return 1.0


@dataclass
class TeamData:
    """The team's labelled texts after cleaning and splitting.

    ``evaluation`` is the held-out split, or the training texts when no split could be made
    (``split`` is then ``"none"``). ``recalibrate`` is True when the held-out split contains
    green and not-green texts, so it can set a new threshold.
    """

    name: str
    loaded: int
    texts: List[LabelledText]
    train: List[LabelledText]
    held_out: List[LabelledText]
    split: str
    recalibrate: bool
    warnings: List[str] = field(default_factory=list)

    @property
    def evaluation(self) -> List[LabelledText]:
        return self.held_out if self.held_out else self.train

    def counts(self) -> dict:
        return {
            "loaded": self.loaded,
            "used": len(self.texts),
            "train": len(self.train),
            "train_not_green": sum(not item.is_green for item in self.train),
            "held_out": len(self.held_out),
            "held_out_not_green": sum(not item.is_green for item in self.held_out),
        }


@dataclass
class FinetuneResult:
    """The model folder a fine-tuning run wrote, and the ``finetune`` summary stored in it."""

    output_dir: Path
    summary: dict

    @property
    def warnings(self) -> List[str]:
        return self.summary.get("warnings", [])


def _warn(warnings: List[str], message: str) -> None:
    warnings.append(message)
    logger.warning(message)


def _examples(items: Sequence[str]) -> str:
    shown = "；".join(items[:EXAMPLES_PER_WARNING])
    return shown + ("……" if len(items) > EXAMPLES_PER_WARNING else "")


# --- step 1: the model and the data -------------------------------------------------------------


def load_base_matcher(config: FinetuneConfig):
    """Load the greenmatch model to fine-tune, from a folder or the Hub.

    Raises:
        FinetuneError: the output folder is the model's own folder.
        ModelNotFoundError, HubError: the model cannot be loaded.
    """
    from greenmatch.matcher import Matcher

    matcher = Matcher.from_pretrained(config.model, device="cpu" if config.use_cpu else None)
    if Path(config.output_dir).resolve() == Path(matcher.path).resolve():
        raise FinetuneError(f"输出文件夹 {config.output_dir} 就是原模型的文件夹。请换一个输出文件夹，原模型不会被覆盖。")
    if matcher.cross_encoder is None and config.retriever_epochs == 0:
        raise FinetuneError(f"模型 {config.model} 没有交叉编码器，且 retriever_epochs 为 0，没有可以训练的部分。请把 retriever_epochs 设为大于 0。")
    return matcher


class _DroppedCodeRecorder(logging.Handler):
    """Collect the (row, code) of every unknown code `load_labelled` drops and logs."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.dropped: List[Tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # load_labelled logs "%s:%d: unknown code %r dropped" with (path, row, code).
        if "unknown code" in str(record.msg) and isinstance(record.args, tuple) and len(record.args) == 3:
            self.dropped.append((record.args[1], str(record.args[2])))


def read_team_texts(config: FinetuneConfig, catalogue: Catalogue, warnings: List[str]) -> List[LabelledText]:
    """Read the labelled file, dropping codes the catalogue lacks with a warning.

    A row whose codes are all unknown is skipped (it is not taken as not green).

    Raises:
        LabelledDataError: the file or a column is missing, or no row is usable.
    """
    # NOTE: load_labelled reports dropped codes only in its log, so they are read back from
    # there. If that log message changes, the codes are still dropped but the warning is lost.
    recorder = _DroppedCodeRecorder()
    labelled_logger = logging.getLogger("greenmatch.labelled")
    previous_level = labelled_logger.level
    if labelled_logger.getEffectiveLevel() > logging.WARNING:
        labelled_logger.setLevel(logging.WARNING)
    labelled_logger.addHandler(recorder)
    try:
        rows = load_dataset_or_file(
            config.data, catalogue, text_column=config.text_column, codes_column=config.codes_column, unknown_codes="warn"
        )
    finally:
        labelled_logger.removeHandler(recorder)
        labelled_logger.setLevel(previous_level)

    if recorder.dropped:
        described = [f"第 {row} 行“{code}”" for row, code in recorder.dropped]
        _warn(
            warnings,
            f"{config.data} 中有 {len(recorder.dropped)} 个目录代码不在《{catalogue.title}》中，已忽略：{_examples(described)}。"
            "只含未知代码的行整行不用（不会当作非绿色）。请改为目录中的三级代码后重新微调。",
        )
    return rows


def resolve_repeated_texts(rows: Sequence[LabelledText], warnings: List[str]) -> List[LabelledText]:
    """Keep one labelled text per distinct text.

    Identical labels collapse silently. Green labels with different codes are merged into the
    union of their codes, since a text may belong to several entries and evaluation counts any
    of them as correct. A text labelled green in one row and not green in another is dropped,
    because neither label can be trusted; both cases are warned about.
    """
    labels: Dict[str, List[LabelledText]] = {}
    for row in rows:
        labels.setdefault(row.text, []).append(row)

    resolved, merged, conflicting = [], [], []
    for text, group in labels.items():
        code_sets = list(dict.fromkeys(tuple(item.codes) for item in group))
        if len(code_sets) == 1:
            resolved.append(group[0])
        elif all(codes for codes in code_sets):
            union = tuple(dict.fromkeys(code for codes in code_sets for code in codes))
            resolved.append(LabelledText(text=text, codes=union, kind=group[0].kind))
            merged.append(f"“{text}”（{' / '.join(';'.join(codes) for codes in code_sets)}）")
        else:
            conflicting.append(f"“{text}”")

    repeats = len(rows) - len(labels)
    if repeats:
        logger.info("%d rows repeat a text of another row; each text is used once", repeats)
    if merged:
        _warn(
            warnings,
            f"有 {len(merged)} 条文本在不同行中标注了不同的代码，已合并为这些代码的并集（任一代码都算正确）：{_examples(merged)}。"
            "如果其中有错标，请修正后重新微调。",
        )
    if conflicting:
        _warn(
            warnings,
            f"有 {len(conflicting)} 条文本在一些行中标注为绿色、在另一些行中代码为空（非绿色），无法判断，已从训练和评估中去掉：{_examples(conflicting)}。",
        )
    return resolved


def _class_fraction(count: int, fraction: float) -> float:
    """Return the fraction that `split_by_text` needs to hold out at least one and keep at least one of ``count`` texts."""
    held_out = min(max(int(round(count * fraction)), 1), count - 1)
    return held_out / count


def split_team_texts(texts: List[LabelledText], fraction: float, seed: int, warnings: List[str]) -> Tuple[list, list, str]:
    """Split the texts into train and held-out, green and not-green texts separately.

    Returns:
        ``(train, held_out, split)`` where ``split`` is ``"held_out"``, or ``"none"`` when the
        data is too small or ``fraction`` is 0 (``held_out`` is then empty).
    """
    green = [item for item in texts if item.is_green]
    not_green = [item for item in texts if not item.is_green]
    if fraction <= 0:
        _warn(warnings, "held_out_fraction 为 0：没有留出评估集。微调前后的指标在训练文本本身上计算，会偏乐观；非绿色阈值沿用原模型的校准。")
        return list(texts), [], "none"
    if len(texts) < MIN_SPLIT_TEXTS or len(green) < 2:
        _warn(
            warnings,
            f"微调数据太少：只有 {len(texts)} 条不同的文本（绿色 {len(green)} 条，非绿色 {len(not_green)} 条），"
            f"留出评估集至少需要 {MIN_SPLIT_TEXTS} 条文本且其中至少 2 条绿色。全部文本都用于训练；"
            "微调前后的指标是在训练文本本身上算的，会偏乐观；非绿色阈值和融合设置沿用原模型的校准，没有重新校准。",
        )
        return list(texts), [], "none"

    train, held_out = split_by_text(green, _class_fraction(len(green), fraction), seed=seed)
    if len(not_green) >= 2:
        train_not_green, held_out_not_green = split_by_text(not_green, _class_fraction(len(not_green), fraction), seed=seed)
    else:
        train_not_green, held_out_not_green = not_green, []
    return train + train_not_green, held_out + held_out_not_green, "held_out"


def load_team_data(config: FinetuneConfig, catalogue: Catalogue) -> TeamData:
    """Read, clean and split the team's labelled texts, collecting the warnings in Chinese."""
    warnings: List[str] = []
    rows = read_team_texts(config, catalogue, warnings)
    texts = resolve_repeated_texts(rows, warnings)
    if not texts:
        raise FinetuneError(f"{config.data} 中去掉冲突标注后没有可用的文本。请检查标注后重试。")
    train, held_out, split = split_team_texts(texts, config.held_out_fraction, config.seed, warnings)

    held_out_not_green = sum(not item.is_green for item in held_out)
    held_out_green = len(held_out) - held_out_not_green
    recalibrate = held_out_green > 0 and held_out_not_green > 0
    if split == "held_out" and held_out_not_green == 0:
        _warn(
            warnings,
            "数据中的非绿色文本（代码为空的行）少于 2 条，留出集中没有非绿色文本，无法重新校准非绿色阈值，沿用原模型的校准。"
            "建议补充一些非绿色的样本。",
        )
    elif recalibrate and held_out_not_green < MIN_CALIBRATION_NOT_GREEN:
        _warn(warnings, f"留出集中只有 {held_out_not_green} 条非绿色文本，据此校准的阈值可能不稳定。建议补充非绿色样本。")

    name = Path(config.data).name if Path(config.data).exists() else config.data
    data = TeamData(name, len(rows), texts, train, held_out, split, recalibrate, warnings)
    logger.info("Fine-tuning texts: %s (split: %s, recalibrate: %s)", data.counts(), split, recalibrate)
    return data


# --- step 2: evaluation -------------------------------------------------------------------------


def evaluate_matcher(matcher, texts: Sequence[LabelledText]) -> Dict[str, dict]:
    """Evaluate every ranker of the matcher (retriever, hybrid, retrieve-then-rerank) on ``texts``.

    Returns:
        ``{ranker name: metrics}``, with hit@k, MRR, NDCG@10, AUROC and the not-green
        precision, recall and F1 at the ranker's threshold (its calibrated one when it has
        one, else the best on these texts, marked ``oracle (dev)``).
    """
    from greenmatch.evaluation import evaluate_ranker

    results = {}
    for ranker in matcher.rankers():
        result = evaluate_ranker(ranker, list(texts), matcher.catalogue, top_k=10)
        results[ranker.name] = {key: value for key, value in result.metrics.items() if value is None or isinstance(value, (int, float, str))}
    return results


def catalogue_check_queries(catalogue: Catalogue, seed: int) -> Tuple[Dict[str, List[str]], List[LabelledText]]:
    """Generate catalogue queries: the extra ones to mix into training, and one per entry kept out of it.

    Returns:
        ``(generated, check)``: a map from code to one generated query, which `catalogue_pairs`
        extends as needed, and the held-out queries as labelled texts.
    """
    generated = generate_queries(catalogue, build_generators(["rules"]), 2, seed=seed)
    check = [LabelledText(texts[-1], (code,), "query") for code, texts in generated.items() if len(texts) > 1]
    return {code: texts[:1] for code, texts in generated.items()}, check


def catalogue_hit_at_1(matcher, check: Sequence[LabelledText]) -> Optional[float]:
    """Return hit@1 of the matcher's own ranking (its last ranker) on the held-out catalogue queries."""
    from greenmatch.evaluation import evaluate_ranker

    if not check:
        return None
    # rankers() lists the retriever first and the model's full configuration last.
    ranker = matcher.rankers()[-1]
    return evaluate_ranker(ranker, list(check), matcher.catalogue, top_k=1).metrics.get("hit@1")


# --- step 3: training pairs ---------------------------------------------------------------------


def _top_entries(matcher, texts: List[str], depth: int) -> List[List[int]]:
    """Rank the entries for each text with the matcher's own scores; keep the first ``depth``."""
    from tqdm.auto import tqdm

    orders = []
    chunks = range(0, len(texts), SCORING_CHUNK)
    for start in tqdm(chunks, desc="用当前模型为训练文本挖掘难负例", unit="批", disable=len(chunks) < 2):
        for scored in matcher.score(texts[start : start + SCORING_CHUNK]):
            orders.append([int(i) for i in scored["order"][:depth]])
    return orders


def team_pairs(matcher, train: Sequence[LabelledText], config: FinetuneConfig) -> Dataset:
    """Build the pairs of the team's training texts, with negatives mined by the current model.

    Kinds: ``team_positive`` (text, each correct entry); ``team_hard_negative`` (text, the
    model's top-ranked wrong entries, leaving out any entry the text names, see
    `could_also_match`); ``team_not_green`` (not-green text, its top-scored entries).
    """
    entries = matcher.catalogue.entries
    passages = [entry.matching_text for entry in entries]
    index = {entry.code: i for i, entry in enumerate(entries)}
    depth = max(config.hard_negatives, config.not_green_negatives) + 20
    orders = _top_entries(matcher, [item.text for item in train], depth) if train else []

    records = []
    for item, order in zip(train, orders):
        if item.is_green:
            for code in item.codes:
                records.append({"query": item.text, "passage": passages[index[code]], "label": 1.0, "kind": "team_positive"})
            wrong = [i for i in order if entries[i].code not in item.codes and not could_also_match(item.text, entries[i])]
            for i in wrong[: config.hard_negatives]:
                records.append({"query": item.text, "passage": passages[i], "label": 0.0, "kind": "team_hard_negative"})
        else:
            for i in order[: config.not_green_negatives]:
                records.append({"query": item.text, "passage": passages[i], "label": 0.0, "kind": "team_not_green"})
    if not records:
        return Dataset.from_dict({"query": [], "passage": [], "label": [], "kind": []})
    return Dataset.from_list(records)


def catalogue_pairs(
    matcher, generated: Dict[str, List[str]], target: int, config: FinetuneConfig, excluded: Sequence[str] = ()
) -> Dataset:
    """Build about ``target`` catalogue pairs: titles and generated queries with sampled negatives.

    Each query gives one positive, ``hard_negatives`` retriever-mined and one random negative
    (`build_pairs`). Titles come first; ``generated`` and, when still too few, newly generated
    queries follow. Queries in ``excluded`` (the catalogue check) are never used.
    """
    catalogue = matcher.catalogue
    if target <= 0:
        return Dataset.from_dict({"query": [], "passage": [], "label": [], "kind": []})
    per_query = 1 + config.hard_negatives + 1
    queries_needed = math.ceil(target / per_query)
    extra_per_entry = max(0, math.ceil((queries_needed - len(catalogue)) / len(catalogue)))
    if extra_per_entry > 1:
        more = generate_queries(catalogue, build_generators(["rules"]), extra_per_entry, seed=config.seed + 1)
        generated = {code: list(dict.fromkeys(generated.get(code, []) + texts)) for code, texts in more.items()}
    excluded = set(excluded)
    generated = {code: [text for text in texts if text not in excluded] for code, texts in generated.items()}
    queries = collect_queries(catalogue, generated if extra_per_entry else {}, [])
    pair_config = PairConfig(hard_negatives=config.hard_negatives, random_negatives=1, not_green_negatives=0, seed=config.seed)
    pairs = build_pairs(catalogue, queries, [], retriever=matcher.retriever, config=pair_config)
    if len(pairs) > target:
        pairs = pairs.shuffle(seed=config.seed).select(range(target))
    elif len(pairs) < target:
        logger.info("Only %d catalogue pairs could be built of the %d requested", len(pairs), target)
    return pairs.map(lambda row: {"kind": "catalogue_" + row["kind"]})


def build_finetune_pairs(
    matcher, data: TeamData, generated: Dict[str, List[str]], config: FinetuneConfig, excluded: Sequence[str] = ()
) -> Dataset:
    """Build the team's pairs and mix in ``catalogue_share`` times as many catalogue pairs, shuffled.

    ``excluded`` lists the catalogue check queries, which stay out of training.
    """
    team = team_pairs(matcher, data.train, config)
    catalogue = catalogue_pairs(matcher, generated, int(round(len(team) * config.catalogue_share)), config, excluded)
    parts = [part for part in (team, catalogue) if len(part)]
    if not parts:
        raise FinetuneError("没有生成任何训练样本对：训练文本为空，且未混入目录样本对（catalogue_share 为 0）。")
    pairs = concatenate_datasets(parts).shuffle(seed=config.seed)
    counts = pair_counts(pairs)
    logger.info(
        "Fine-tuning pairs: %d (%s), %d team and %d catalogue",
        len(pairs),
        ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items())),
        len(team),
        len(catalogue),
    )
    return pairs


# --- step 4: training ---------------------------------------------------------------------------


def _trainer_kwargs(config: FinetuneConfig) -> dict:
    return {"use_cpu": True} if config.use_cpu else {}


def train_retriever_pass(matcher, train: Sequence[LabelledText], config: FinetuneConfig, work_dir: Path) -> int:
    """Train the retriever in place on the team's (text, entry) pairs and the catalogue's (title, entry) pairs.

    Returns:
        The number of pairs, 0 when the pass is disabled.
    """
    from greenmatch.simcse import train_contrastive

    if config.retriever_epochs <= 0:
        return 0
    catalogue = matcher.catalogue
    pairs = [(item.text, catalogue[code].matching_text) for item in train for code in item.codes]
    pairs += [(entry.title, entry.matching_text) for entry in catalogue]
    train_contrastive(
        matcher.retriever, pairs, work_dir / "retriever", epochs=config.retriever_epochs, batch_size=config.retriever_batch_size,
        learning_rate=config.retriever_learning_rate, seed=config.seed, **_trainer_kwargs(config),
    )
    return len(pairs)


def train_reranker_pass(matcher, pairs: Dataset, epochs: float, config: FinetuneConfig, work_dir: Path) -> dict:
    """Continue training the matcher's cross-encoder (loaded from the model folder, Tanh kept) in place."""
    import torch

    from greenmatch.cross_encoder import train_cross_encoder

    model = matcher.cross_encoder
    if not isinstance(model.activation_fn, torch.nn.Tanh):
        logger.warning("The cross-encoder's activation is %s, not Tanh; it is kept as loaded", type(model.activation_fn).__name__)
    return train_cross_encoder(
        model, pairs, work_dir / "checkpoints" / "cross", epochs=epochs, batch_size=config.batch_size,
        learning_rate=config.learning_rate, seed=config.seed, **_trainer_kwargs(config),
    )


# --- step 5: calibration ------------------------------------------------------------------------


def recalibrate(matcher, data: TeamData, config: FinetuneConfig, base_source: str) -> dict:
    """Recalibrate the fine-tuned matcher on the held-out split, or keep the base calibration.

    The matcher's ``threshold_source`` (shown on the card) names the held-out split it was
    calibrated on, or states that the base model's calibration was kept. A base threshold that
    was never calibrated keeps the source ``"default"``, which the web page and batch
    matching look for.
    """
    from greenmatch.calibration import calibrate

    if not data.recalibrate:
        # NOTE: the kept statistics and threshold were measured on the base model's scores. The
        # retriever pass and the cross-encoder training shift those scores a little, so the kept
        # threshold is approximate until the model is recalibrated on labelled texts.
        if base_source != "default":
            matcher.config.threshold_source = f"沿用原模型的校准（微调数据没有可用于重新校准的留出集）：{base_source}"
        logger.info("Kept the base model's calibration (%s)", base_source)
        return {}
    report = calibrate(matcher, data.held_out, target_precision=config.target_precision, shortlist=matcher.config.shortlist)
    _use_retriever_verdict_without_reranking(matcher, data.held_out, config, report)
    matcher.config.threshold_source = f"微调数据 {data.name} 的留出集：{matcher.config.threshold_source}"
    return report


def _use_retriever_verdict_without_reranking(matcher, held_out: List[LabelledText], config: FinetuneConfig, report: dict) -> None:
    """Re-choose the threshold on the retrieval score when calibration gave the cross-encoder no weight.

    `calibrate` compares the verdict scores with the cross-encoder run, but with a fusion
    weight of 1.0 `Matcher.score` skips the cross-encoder and `verdict_value` falls back to
    the retrieval score. A ``fused`` or ``cross_encoder`` threshold would then be compared
    with the wrong score, so the verdict is moved to ``retriever`` and its threshold chosen again.
    """
    from greenmatch.calibration import choose_threshold

    settings = matcher.config
    if settings.fusion_weight < 1.0 or settings.verdict_score == "retriever":
        return
    # TODO: remove once calibrate only considers verdict scores that Matcher.score computes at
    # the chosen fusion weight.
    is_green = [item.is_green for item in held_out]
    values = [matcher.verdict_value(scored, "retriever") for scored in matcher.score([item.text for item in held_out])]
    threshold, f1 = choose_threshold(values, is_green, config.target_precision)
    logger.info(
        "Fusion weight 1.0 skips the cross-encoder, so the %s verdict becomes retriever: threshold %.4f, F1 %.3f",
        settings.verdict_score,
        threshold,
        f1,
    )
    settings.verdict_score, settings.threshold = "retriever", threshold
    if hasattr(settings, "display_center"):
        # calibrate centres the displayed score on the threshold when the verdict is the ranking score.
        settings.display_center = float(threshold)
    goal = f"目标精确率 ≥ {config.target_precision}" if config.target_precision else "取非绿色 F1 最大的阈值"
    settings.threshold_source = f"在 {len(held_out)} 条留出的标注文本（其中非绿色 {is_green.count(False)} 条）上校准，{goal}，非绿色 F1 {f1:.3f}"
    report.update({"verdict_score": "retriever", "threshold": threshold, "not_green_f1": f1})


# --- step 6: the model folder -------------------------------------------------------------------


def working_folder(output_dir) -> Path:
    """Return the folder a run writes into before it replaces ``output_dir`` in one rename."""
    output = Path(output_dir)
    return output.with_name(output.name + ".partial")


def check_output_folder(output_dir) -> None:
    """Reject an output folder that contains files but no greenmatch model, since the run replaces the folder.

    Raises:
        FinetuneError: the folder exists, is not empty and is no greenmatch model.
        OutputLocationError: a part of the path is a file, or the folder or its parent cannot be written.
    """
    from greenmatch.matcher import CONFIG_NAME

    output = Path(output_dir)
    if output.is_file():
        raise FinetuneError(f"输出路径 {output} 是一个文件。请给出一个新的文件夹路径。")
    check_writable_folder(output, "--output-dir")
    if output.exists():
        # The new model is written to OUTPUT.partial beside the folder and renamed into its place.
        check_writable_folder(output.parent, "--output-dir")
    if output.is_dir() and any(output.iterdir()) and not (output / CONFIG_NAME).exists():
        raise FinetuneError(f"输出文件夹 {output} 已存在且不是 greenmatch 模型，微调结果会替换整个文件夹。请换一个新的或空的文件夹。")


def save_finetuned(matcher, work: Path, output_dir) -> Path:
    """Write the model folder (cross-encoder, retriever, catalogue, settings, card) and move it into place.

    An existing model at ``output_dir`` is replaced only after the new folder is complete.
    """
    from greenmatch.model_card import write_model_card

    work.mkdir(parents=True, exist_ok=True)
    if matcher.cross_encoder is not None:
        matcher.cross_encoder.save(str(work))
    matcher.save_pretrained(work)
    write_model_card(work, matcher.config)
    shutil.rmtree(work / "checkpoints", ignore_errors=True)
    shutil.rmtree(work / "retriever-training", ignore_errors=True)

    output = Path(output_dir)
    if output.exists():
        replaced = output.with_name(output.name + ".replaced")
        shutil.rmtree(replaced, ignore_errors=True)
        output.rename(replaced)
        work.rename(output)
        shutil.rmtree(replaced, ignore_errors=True)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        work.rename(output)
    matcher.path = output
    logger.info("Fine-tuned model saved to %s", output)
    return output


# --- the whole run ------------------------------------------------------------------------------


def finetuned_matcher(base):
    """Return a new Matcher over the base matcher's (trained) models with a copy of its settings.

    The copy drops the base model's stored evaluation metrics, which do not describe the new model.
    """
    from greenmatch.matcher import Matcher

    settings = copy.deepcopy(base.config)
    settings.metrics = {}
    return Matcher(base.retriever, base.cross_encoder, base.catalogue, settings)


@dataclass
class FinetuneRun:
    """The state of one fine-tuning run, passed from step to step.

    ``matcher`` is the base model, whose retriever and cross-encoder are trained in place.
    ``check`` contains the catalogue check queries (empty when the check is off).
    """

    config: FinetuneConfig
    matcher: object
    data: TeamData
    generated: Dict[str, List[str]]
    check: List[LabelledText]
    work: Path
    base_threshold: float
    base_source: str
    started: float = field(default_factory=time.time)
    timings: dict = field(default_factory=dict)
    before: dict = field(default_factory=dict)
    catalogue_before: Optional[float] = None
    pairs: Optional[Dataset] = None
    retriever_pairs: int = 0
    epochs: float = 0.0
    cross_metrics: dict = field(default_factory=dict)

    def mark(self, name: str, since: float) -> None:
        self.timings[name] = round(time.time() - since, 1)


def start_run(config: FinetuneConfig) -> FinetuneRun:
    """Step 1: check the output folder, load the model and the team's texts, generate the catalogue queries."""
    check_output_folder(config.output_dir)
    matcher = load_base_matcher(config)
    data = load_team_data(config, matcher.catalogue)
    generated, check = catalogue_check_queries(matcher.catalogue, config.seed)
    return FinetuneRun(
        config=config,
        matcher=matcher,
        data=data,
        generated=generated,
        check=check if config.catalogue_check else [],
        work=working_folder(config.output_dir),
        base_threshold=matcher.config.threshold,
        base_source=matcher.config.threshold_source,
    )


def evaluate_before(run: FinetuneRun) -> None:
    """Step 2: evaluate the base model on the held-out split (or the training texts) and the catalogue check."""
    step = time.time()
    run.before = evaluate_matcher(run.matcher, run.data.evaluation)
    run.catalogue_before = catalogue_hit_at_1(run.matcher, run.check)
    run.mark("evaluate_before_s", step)


def build_run_pairs(run: FinetuneRun) -> None:
    """Step 3: build the team's pairs, with negatives mined by the base model, and mix in catalogue pairs."""
    step = time.time()
    if run.matcher.cross_encoder is not None:
        run.pairs = build_finetune_pairs(run.matcher, run.data, run.generated, run.config, excluded=[item.text for item in run.check])
    run.mark("pairs_s", step)


def train_run(run: FinetuneRun) -> None:
    """Step 4: train the retriever contrastively, then continue training the cross-encoder from its own weights."""
    step = time.time()
    config = run.config
    run.retriever_pairs = train_retriever_pass(run.matcher, run.data.train, config, run.work / "retriever-training")
    if run.pairs is not None:
        run.epochs = config.epochs if config.epochs is not None else default_epochs(len(run.data.train))
        reason = "given" if config.epochs is not None else f"chosen for {len(run.data.train)} training texts"
        logger.info("Cross-encoder: %s epochs (%s)", run.epochs, reason)
        run.cross_metrics = train_reranker_pass(run.matcher, run.pairs, run.epochs, config, run.work)
    run.mark("training_s", step)


def finish_run(run: FinetuneRun) -> FinetuneResult:
    """Steps 5 and 6: recalibrate and evaluate the fine-tuned matcher, then write the model folder."""
    step = time.time()
    data = run.data
    tuned = finetuned_matcher(run.matcher)
    calibration = recalibrate(tuned, data, run.config, run.base_source)
    after = evaluate_matcher(tuned, data.evaluation)
    catalogue_after = catalogue_hit_at_1(tuned, run.check)
    run.mark("calibrate_evaluate_s", step)
    run.mark("total_s", run.started)

    summary = {
        "base_model": run.config.model,
        "data": data.name,
        "texts": data.counts(),
        "evaluated_on": "held_out" if data.split == "held_out" else "training_texts",
        "recalibrated": data.recalibrate,
        "threshold_before": run.base_threshold,
        "threshold_source_before": run.base_source,
        "evaluation": {"before": run.before, "after": after},
        "catalogue_check": {"queries": len(run.check), "hit@1_before": run.catalogue_before, "hit@1_after": catalogue_after},
        "pairs": pair_counts(run.pairs) if run.pairs is not None else {},
        "retriever_pairs": run.retriever_pairs,
        "cross_encoder_epochs": run.epochs,
        "cross_encoder": run.cross_metrics,
        "calibration": calibration,
        "settings": asdict(run.config),
        "warnings": list(data.warnings),
        "timings": run.timings,
    }
    tuned.config.training = {**(run.matcher.config.training or {}), "finetune": summary}
    output = save_finetuned(tuned, run.work, run.config.output_dir)
    _log_comparison(summary)
    return FinetuneResult(output, summary)


def run_finetune(config: FinetuneConfig) -> FinetuneResult:
    """Fine-tune a greenmatch model on a team's labelled texts and write the new model folder.

    Returns:
        The output folder and the summary stored under ``training["finetune"]`` in its
        ``greenmatch.json``: text counts, metrics before and after, pair counts, warnings.

    Raises:
        FinetuneError, LabelledDataError, ModelNotFoundError: the settings, the data or the
            model cannot be used. The message names the fix.
    """
    run = start_run(config)
    shutil.rmtree(run.work, ignore_errors=True)
    evaluate_before(run)
    build_run_pairs(run)
    train_run(run)
    return finish_run(run)


def finetune(config: FinetuneConfig) -> Path:
    """Fine-tune a greenmatch model on a team's labelled texts; return the new model folder.

    Example::

        from greenmatch import Matcher
        from greenmatch.finetune import FinetuneConfig, finetune

        output = finetune(FinetuneConfig(model="outputs/quick", data="labelled.xlsx", output_dir="outputs/bank"))
        matcher = Matcher.from_pretrained(output)
    """
    return run_finetune(config).output_dir


COMPARISON_METRICS = ("hit@1", "hit@3", "hit@10", "mrr", "auroc", "f1")


def comparison_rows(summary: dict) -> List[Tuple[str, ...]]:
    """Return ``(ranker, "before → after" per metric)`` rows of the summary, metrics in `COMPARISON_METRICS`."""
    from greenmatch.evaluation import format_metric

    before, after = summary["evaluation"]["before"], summary["evaluation"]["after"]
    rows = []
    for name, metrics in after.items():
        previous = before.get(name, {})
        rows.append((name, *(f"{format_metric(previous.get(key))} → {format_metric(metrics.get(key))}" for key in COMPARISON_METRICS)))
    return rows


def _log_comparison(summary: dict) -> None:
    from greenmatch.evaluation import format_table

    table = format_table([("ranker", *COMPARISON_METRICS), *comparison_rows(summary)])
    check = summary["catalogue_check"]
    held_out = summary["evaluated_on"] == "held_out"
    logger.info(
        "Metrics before → after on the %s (%d texts):\n%s\nCatalogue check queries hit@1: %s → %s",
        "held-out split" if held_out else "training texts (no held-out split)",
        summary["texts"]["held_out"] if held_out else summary["texts"]["train"],
        table,
        check["hit@1_before"],
        check["hit@1_after"],
    )
