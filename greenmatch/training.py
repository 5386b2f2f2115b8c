"""The training pipeline: SimCSE retriever → training pairs → cross-encoder → calibration.

`TrainConfig` holds every setting; the presets fill it for a quick CPU run or for the original
design on a GPU. `train` runs the stages in order and writes one folder that `Matcher` loads:

    OUTPUT/retriever/          the SimCSE SentenceTransformer (stage 1)
    OUTPUT/ (root)             the CrossEncoder with its Tanh head and model card (stage 2)
    OUTPUT/catalogue.jsonl, OUTPUT/greenmatch.json, OUTPUT/entry_embeddings.npy   (stage 3)
    OUTPUT/checkpoints/        Trainer checkpoints, used by ``resume``
    OUTPUT/cache/              the training pairs, reused while the inputs are unchanged

A stage whose output already exists is skipped when ``resume`` is set, and the cross-encoder
continues from its last checkpoint, so an interrupted run loses at most one epoch.
"""

import json
import logging
import random
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import List, Optional

import numpy as np

from greenmatch.base_model import resolve_base_model
from greenmatch.catalogue import Catalogue
from greenmatch.errors import ConfigError, OutputLocationError, check_writable_folder
from greenmatch.labelled import LabelledText, load_dataset_or_file
from greenmatch.queries import build_generators, generate_queries

# accelerate (which imports torch) and greenmatch.pairs (which imports datasets) are imported
# inside the functions that use them, because `greenmatch train --help` reads TrainConfig from here.

logger = logging.getLogger(__name__)

STAGE_DONE = ".done"
# Files and folders of which any one marks a folder as a greenmatch training folder.
TRAINING_FOLDER_MARKERS = ("greenmatch.json", "cross_encoder.done", "retriever", "checkpoints")

PAIR_MODES = ("sampled", "original")
POOLING_MODES = ("mean", "cls")


@dataclass
class TrainConfig:
    """Settings of a greenmatch training run. Every field is also a command-line option."""

    output_dir: str = field(default="outputs/greenmatch", metadata={"help": "输出文件夹"})
    preset: str = field(default="quick", metadata={"help": "预设：quick（CPU 上约 10 分钟）或 full（原方法：全部负例，需 GPU）"})
    catalogue: Optional[str] = field(default=None, metadata={"help": "目录文件；默认内置 2019 年版目录"})
    base_model: Optional[str] = field(default=None, metadata={"help": "基础模型的本地路径或 Hub ID；默认 moka-ai/m3e-small"})
    train_examples: Optional[str] = field(default="train", metadata={"help": "带标注的训练文本（文件路径，或内置的 train）；设为 none 不使用"})
    not_green_texts: Optional[str] = field(default="not_green_train", metadata={"help": "非绿色训练文本（文件路径，或内置的 not_green_train）；none 不使用"})
    unlabelled_texts: Optional[str] = field(default=None, metadata={"help": "用于 SimCSE 的无标注文本文件，每行一条"})
    selection_fraction: float = field(default=0.2, metadata={"help": "留出多少比例的训练文本用于选择融合权重和校准阈值"})

    # Stage 1: the retriever.
    pooling: str = field(default="mean", metadata={"help": "池化方式：mean 或 cls"})
    max_seq_length: int = field(default=128, metadata={"help": "检索器输入的最大 token 数"})
    simcse_dropout: float = field(default=0.1, metadata={"help": "SimCSE 的 dropout（原项目用 0.3）"})
    simcse_epochs: float = field(default=1.0, metadata={"help": "SimCSE 训练轮数；0 跳过"})
    simcse_batch_size: int = field(default=32, metadata={"help": "SimCSE 批大小"})
    simcse_max_seq_length: int = field(default=64, metadata={"help": "SimCSE 阶段输入的最大 token 数（较短可以加快训练）"})
    simcse_queries_per_entry: int = field(default=1, metadata={"help": "SimCSE 语料中每个条目使用的生成查询数"})
    contrastive_epochs: float = field(default=1.0, metadata={"help": "（查询，条目）对比学习轮数；0 跳过，只做无监督 SimCSE"})
    retriever_learning_rate: float = field(default=3e-5, metadata={"help": "检索器学习率"})

    # Training queries and pairs.
    num_queries: int = field(default=4, metadata={"help": "每个条目生成的查询数"})
    query_generators: List[str] = field(default_factory=lambda: ["rules"], metadata={"help": "查询生成器：rules，或 transformers 模型 ID"})
    pair_mode: str = field(default="sampled", metadata={"help": "负例方式：sampled（难负例+随机负例）或 original（全部其他条目）"})
    hard_negatives: int = field(default=3, metadata={"help": "每个查询的难负例数"})
    random_negatives: int = field(default=1, metadata={"help": "每个查询的随机负例数"})
    not_green_negatives: int = field(default=3, metadata={"help": "每条非绿色文本配对的最相似条目数"})
    cross_queries_per_entry: int = field(default=1, metadata={"help": "交叉编码器每个条目使用的生成查询数"})
    max_cross_pairs: int = field(default=3200, metadata={"help": "交叉编码器训练样本对的上限（超出时按比例随机抽样）；0 不限"})
    cross_dev_queries: int = field(default=60, metadata={"help": "训练中用于评估重排效果的留出生成查询数"})

    # Stage 2: the cross-encoder.
    cross_epochs: float = field(default=2.0, metadata={"help": "交叉编码器训练轮数；0 不训练交叉编码器"})
    cross_batch_size: int = field(default=32, metadata={"help": "交叉编码器批大小"})
    cross_learning_rate: float = field(default=1e-4, metadata={"help": "交叉编码器学习率"})
    max_length: int = field(default=64, metadata={"help": "交叉编码器输入（查询加条目说明）的最大 token 数"})

    # Stage 3: matching settings.
    shortlist: int = field(default=10, metadata={"help": "交叉编码器重排的候选条目数"})
    target_precision: Optional[float] = field(default=None, metadata={"help": "非绿色判定的目标精确率；默认取 F1 最大的阈值"})

    seed: int = field(default=42, metadata={"help": "随机种子"})
    resume: bool = field(default=False, metadata={"help": "从上次中断处继续"})
    use_cpu: bool = field(default=False, metadata={"help": "即使有 GPU 也只用 CPU"})

    def __post_init__(self):
        check_train_config(self)


# Allowed values of the fields that take one of a fixed set. The CLI offers them as choices.
FIELD_CHOICES = {"pair_mode": PAIR_MODES, "pooling": POOLING_MODES}

# The smallest value of each numeric field: 1, or 0 where zero means skip, none or no limit.
MINIMUM_VALUES = {
    "max_seq_length": 1,
    "simcse_batch_size": 1,
    "simcse_max_seq_length": 1,
    "num_queries": 1,
    "cross_batch_size": 1,
    "max_length": 1,
    "shortlist": 1,
    "simcse_epochs": 0,
    "contrastive_epochs": 0,
    "cross_epochs": 0,
    "simcse_queries_per_entry": 0,
    "hard_negatives": 0,
    "random_negatives": 0,
    "not_green_negatives": 0,
    "cross_queries_per_entry": 0,
    "max_cross_pairs": 0,
    "cross_dev_queries": 0,
}
POSITIVE_FIELDS = ("retriever_learning_rate", "cross_learning_rate")
# Fields that must lie in [0, 1).
FRACTION_FIELDS = ("selection_fraction", "simcse_dropout")


def _setting_name(name: str) -> str:
    return f"训练参数 {name}（命令行 --{name.replace('_', '-')}）"


def _check_number(config: TrainConfig, spec) -> None:
    """Raise ConfigError if a numeric field contains something else, such as a string from YAML."""
    value = getattr(config, spec.name)
    kinds = (int,) if spec.type in (int, "int") else (int, float)
    if isinstance(value, kinds) and not isinstance(value, bool):
        return
    expected = "整数" if kinds == (int,) else "数字"
    hint = ""
    if isinstance(value, str):
        # PyYAML reads 3e-5 as a string. It needs a dot (3.0e-5) to read a float.
        hint = "YAML 文件中的科学计数法请带小数点，例如 3.0e-5。"
    raise ConfigError(f"{_setting_name(spec.name)}应为{expected}，实际为“{value}”。{hint}")


def check_train_config(config: TrainConfig) -> None:
    """Check every field of a TrainConfig that has a known range or set of values.

    Raises:
        ConfigError: a field is out of range or not an allowed value. The message names the
            field, its command-line option, the value and the allowed values.
    """
    if config.preset not in PRESETS:
        raise ConfigError(f"未知的预设“{config.preset}”（preset）。可用：{'、'.join(PRESETS)}。")
    for name, allowed in FIELD_CHOICES.items():
        value = getattr(config, name)
        if value not in allowed:
            raise ConfigError(f"{_setting_name(name)}的值“{value}”无效。可用：{'、'.join(allowed)}。")

    by_name = {spec.name: spec for spec in fields(config)}
    numeric = [*MINIMUM_VALUES, *POSITIVE_FIELDS, *FRACTION_FIELDS, "seed"]
    for name in numeric:
        _check_number(config, by_name[name])
    for name, minimum in MINIMUM_VALUES.items():
        value = getattr(config, name)
        if value < minimum:
            requirement = "至少为 1" if minimum == 1 else "不能为负数"
            raise ConfigError(f"{_setting_name(name)}{requirement}，实际为 {value}。")
    for name in POSITIVE_FIELDS:
        value = getattr(config, name)
        if not value > 0:
            raise ConfigError(f"{_setting_name(name)}应大于 0，实际为 {value}。默认值为 {by_name[name].default}。")
    for name in FRACTION_FIELDS:
        value = getattr(config, name)
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"{_setting_name(name)}应在 0 到 1 之间（含 0，不含 1），实际为 {value}。")
    if config.target_precision is not None:
        _check_number(config, by_name["target_precision"])
        if not 0.0 < config.target_precision <= 1.0:
            raise ConfigError(
                f"{_setting_name('target_precision')}应大于 0 且不超过 1（例如 0.9 表示 90%），实际为 {config.target_precision}。"
            )


# Values a preset sets unless the user gave them explicitly.
PRESETS = {
    "quick": {},
    "full": {
        "pair_mode": "original",
        "simcse_epochs": 1.0,
        "simcse_dropout": 0.3,
        "num_queries": 12,
        "cross_queries_per_entry": 12,
        "simcse_queries_per_entry": 12,
        "simcse_max_seq_length": 256,
        "max_cross_pairs": 0,
        "cross_dev_queries": 211,
        "cross_epochs": 2.0,
        "max_seq_length": 256,
        "max_length": 256,
        "cross_learning_rate": 4e-5,
        "shortlist": 20,
    },
}


def apply_preset(config: TrainConfig, explicit: Optional[set] = None) -> TrainConfig:
    """Fill the preset's values into the fields the user did not set explicitly."""
    explicit = explicit or set()
    for name, value in PRESETS[config.preset].items():
        if name not in explicit:
            setattr(config, name, value)
    return config


@dataclass
class TrainingData:
    catalogue: Catalogue
    generated: dict
    cross_generated: dict
    held_out_generated: dict
    examples: List[LabelledText]
    not_green: List[LabelledText]
    selection: List[LabelledText]
    unlabelled: List[str]


def _load_optional(name_or_path: Optional[str], catalogue: Catalogue) -> List[LabelledText]:
    if not name_or_path or str(name_or_path).lower() == "none":
        return []
    return load_dataset_or_file(name_or_path, catalogue)


def prepare_data(config: TrainConfig) -> TrainingData:
    """Load the catalogue and texts, generate queries and split off the selection set."""
    from greenmatch.pairs import split_by_text

    catalogue = Catalogue.load(config.catalogue)
    generators = build_generators(config.query_generators)
    generated = generate_queries(catalogue, generators, config.num_queries + 1, seed=config.seed)

    # One generated query per entry is held out to evaluate reranking during training.
    held_out_generated = {code: texts[-1:] for code, texts in generated.items() if len(texts) > 1}
    generated = {code: (texts[:-1] if len(texts) > 1 else texts) for code, texts in generated.items()}
    cross_generated = {code: texts[: config.cross_queries_per_entry] for code, texts in generated.items()}

    examples = _load_optional(config.train_examples, catalogue)
    examples, selection_green = split_by_text(examples, config.selection_fraction, seed=config.seed)
    not_green = _load_optional(config.not_green_texts, catalogue)
    not_green = [item for item in not_green if not item.is_green] + [item for item in examples if not item.is_green]
    examples = [item for item in examples if item.is_green]
    not_green, selection_not_green = split_by_text(not_green, config.selection_fraction, seed=config.seed)

    unlabelled = []
    if config.unlabelled_texts:
        unlabelled = [line.strip() for line in Path(config.unlabelled_texts).read_text(encoding="utf-8").splitlines() if line.strip()]

    selection = selection_green + selection_not_green
    logger.info(
        "Training texts: %d generated queries, %d labelled examples, %d not-green texts, %d unlabelled; selection set %d (%d not green)",
        sum(map(len, generated.values())),
        len(examples),
        len(not_green),
        len(unlabelled),
        len(selection),
        sum(not item.is_green for item in selection),
    )
    return TrainingData(catalogue, generated, cross_generated, held_out_generated, examples, not_green, selection, unlabelled)


def _trainer_kwargs(config: TrainConfig) -> dict:
    from accelerate.utils import parse_flag_from_env

    return {"use_cpu": True} if config.use_cpu or parse_flag_from_env("ACCELERATE_USE_CPU") else {}


def process_state():
    """Return the accelerate process state; on CPU-only machines it forms a group of CPU processes.

    Under ``accelerate launch`` every process trains, and only the main process writes files.
    Without a launcher this is a single process and the guards below cost nothing.
    """
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env

    return PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))


def train_retriever(config: TrainConfig, data: TrainingData):
    """Stage 1: unsupervised SimCSE, then the optional (query, entry) contrastive pass."""
    from sentence_transformers import SentenceTransformer

    from greenmatch.simcse import build_sentence_model, set_dropout, simcse_sentences, train_contrastive, train_simcse

    output = Path(config.output_dir) / "retriever"
    if config.resume and (output / STAGE_DONE).exists():
        logger.info("Stage 1 already done, loading the retriever from %s", output)
        return SentenceTransformer(str(output))

    base = resolve_base_model(config.base_model)
    model = build_sentence_model(base, pooling=config.pooling, dropout=config.simcse_dropout, max_seq_length=config.max_seq_length)
    work = Path(config.output_dir) / "checkpoints"
    if config.simcse_epochs > 0:
        simcse_queries = {code: texts[: config.simcse_queries_per_entry] for code, texts in data.generated.items()}
        sentences = simcse_sentences(data.catalogue, simcse_queries, data.unlabelled)
        model.max_seq_length = config.simcse_max_seq_length
        train_simcse(
            model, sentences, work / "simcse", epochs=config.simcse_epochs, batch_size=config.simcse_batch_size,
            learning_rate=config.retriever_learning_rate, seed=config.seed, **_trainer_kwargs(config),
        )
    model.max_seq_length = config.max_seq_length
    set_dropout(model, 0.1)
    if config.contrastive_epochs > 0:
        pairs = [(entry.title, entry.matching_text) for entry in data.catalogue]
        pairs += [(text, data.catalogue[code].matching_text) for code, texts in data.generated.items() for text in texts]
        pairs += [(item.text, data.catalogue[code].matching_text) for item in data.examples for code in item.codes]
        train_contrastive(
            model, pairs, work / "contrastive", epochs=config.contrastive_epochs, batch_size=config.simcse_batch_size,
            learning_rate=config.retriever_learning_rate, seed=config.seed, **_trainer_kwargs(config),
        )

    model.model_card_data.language = ["zh"]
    model.model_card_data.license = base.licence_id
    state = process_state()
    state.wait_for_everyone()
    if state.is_main_process:
        model.save(str(output))
        (output / STAGE_DONE).write_text(time.strftime("%Y-%m-%d %H:%M:%S"), encoding="utf-8")
        logger.info("Saved the retriever to %s", output)
    state.wait_for_everyone()
    return model


def train_reranker(config: TrainConfig, data: TrainingData, retriever):
    """Stage 2: build the pairs and train the cross-encoder, initialised from the retriever."""
    from sentence_transformers import CrossEncoder

    from greenmatch.cross_encoder import build_cross_encoder, reranking_samples, train_cross_encoder
    from greenmatch.pairs import PairConfig, TrainingQuery, build_pairs, cached_pairs, collect_queries, fingerprint, pair_counts

    output = Path(config.output_dir)
    if config.resume and (output / "cross_encoder.done").exists():
        logger.info("Stage 2 already done, loading the cross-encoder from %s", output)
        return CrossEncoder(str(output), max_length=config.max_length), json.loads((output / "cross_encoder.done").read_text())

    pair_config = PairConfig(
        mode=config.pair_mode,
        hard_negatives=config.hard_negatives,
        random_negatives=config.random_negatives,
        not_green_negatives=config.not_green_negatives,
        seed=config.seed,
    )
    queries = collect_queries(data.catalogue, data.cross_generated, data.examples)
    key = fingerprint(data.catalogue.to_records(), [asdict(q) for q in queries], [i.text for i in data.not_green], pair_config, str(output / "retriever"))
    state = process_state()
    with state.main_process_first():
        pairs = cached_pairs(output / "cache", key, lambda: build_pairs(data.catalogue, queries, data.not_green, retriever, pair_config))
    if config.max_cross_pairs and len(pairs) > config.max_cross_pairs:
        logger.info("Sampling %d of %d training pairs (max_cross_pairs)", config.max_cross_pairs, len(pairs))
        pairs = pairs.shuffle(seed=config.seed).select(range(config.max_cross_pairs))
    counts = pair_counts(pairs)

    dev_queries = [TrainingQuery(text, (code,), "query") for code, texts in data.held_out_generated.items() for text in texts]
    dev_queries = random.Random(config.seed).sample(dev_queries, min(config.cross_dev_queries, len(dev_queries)))
    rankings = _retriever_rankings(retriever, [q.text for q in dev_queries], data.catalogue)
    dev_samples = reranking_samples(dev_queries, data.catalogue, rankings, shortlist=min(config.shortlist, 10))

    backbone = output / "checkpoints" / "backbone"
    if state.is_main_process:
        retriever[0].auto_model.save_pretrained(str(backbone))
        retriever[0].tokenizer.save_pretrained(str(backbone))
    state.wait_for_everyone()
    model = build_cross_encoder(str(backbone), max_length=config.max_length)

    checkpoint = _last_checkpoint(output / "checkpoints" / "cross") if config.resume else None
    if checkpoint:
        logger.info("Resuming the cross-encoder from %s", checkpoint)
    metrics = {"pairs": counts}
    if config.cross_epochs > 0:
        metrics.update(
            train_cross_encoder(
                model, pairs, output / "checkpoints" / "cross", dev_samples=dev_samples, epochs=config.cross_epochs,
                batch_size=config.cross_batch_size, learning_rate=config.cross_learning_rate, seed=config.seed,
                resume_from_checkpoint=checkpoint, **_trainer_kwargs(config),
            )
        )
    state.wait_for_everyone()
    if state.is_main_process:
        model.save(str(output))
        (output / "cross_encoder.done").write_text(json.dumps(metrics, ensure_ascii=False), encoding="utf-8")
    state.wait_for_everyone()
    return model, metrics


def _retriever_rankings(retriever, texts: List[str], catalogue: Catalogue) -> np.ndarray:
    entries = retriever.encode([e.matching_text for e in catalogue], normalize_embeddings=True, convert_to_numpy=True)
    queries = retriever.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    return np.argsort(-(queries @ entries.T), axis=1)


def _last_checkpoint(folder: Path) -> Optional[str]:
    if not folder.exists():
        return None
    checkpoints = sorted(folder.glob("checkpoint-*"), key=lambda path: int(path.name.split("-")[-1]))
    return str(checkpoints[-1]) if checkpoints else None


def check_output_dir(config: TrainConfig) -> None:
    """Reject an output folder that training cannot write, or one that contains other files.

    Without ``resume``, a folder that exists and is not empty must be a greenmatch training
    folder (one of `TRAINING_FOLDER_MARKERS` is in it), because training writes and replaces
    files in it.

    Raises:
        OutputLocationError: the path is a file, cannot be written, or contains files that are not a greenmatch training run.
    """
    output = Path(config.output_dir)
    check_writable_folder(output, "--output-dir")
    if config.resume or not output.is_dir() or not any(output.iterdir()):
        return
    if not any((output / marker).exists() for marker in TRAINING_FOLDER_MARKERS):
        raise OutputLocationError(
            f"输出文件夹 {output} 已存在且不是空的，也不是 greenmatch 的训练文件夹（没有 greenmatch.json 或 retriever 等）。"
            "训练会在其中写入并覆盖文件。请用 --output-dir 换一个新的或空的文件夹。"
        )


def _first_missing_folder(folder: Path) -> Optional[Path]:
    """Return the outermost folder on the path to ``folder`` that does not exist yet, if any."""
    missing = None
    while not folder.exists() and folder != folder.parent:
        missing = folder
        folder = folder.parent
    return missing


def _remove_empty_folders(folder: Path) -> None:
    """Remove ``folder`` and the folders below it, bottom up, where they contain no files."""
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            _remove_empty_folders(child)
    try:
        folder.rmdir()
    except OSError:
        pass  # Not empty: the run wrote something worth keeping, such as a checkpoint.


def train(config: TrainConfig) -> Path:
    """Run every stage and write the model folder. Returns its path.

    The output folder is checked before anything is loaded. Folders this call creates are
    removed again when it fails before writing a file into them.
    """
    started = time.time()
    output = Path(config.output_dir)
    check_output_dir(config)
    created = _first_missing_folder(output)
    try:
        return _train_stages(config, output, started)
    except BaseException:
        if created is not None:
            _remove_empty_folders(created)
        raise


def _train_stages(config: TrainConfig, output: Path, started: float) -> Path:
    resolve_base_model(config.base_model)
    data = prepare_data(config)
    output.mkdir(parents=True, exist_ok=True)
    logger.info("Training greenmatch (%s preset) into %s", config.preset, output)

    retriever = train_retriever(config, data)
    timings = {"retriever_s": round(time.time() - started, 1)}

    cross_encoder, cross_metrics = (None, {})
    if config.cross_epochs > 0:
        cross_encoder, cross_metrics = train_reranker(config, data, retriever)
    timings["cross_encoder_s"] = round(time.time() - started - timings["retriever_s"], 1)

    if process_state().is_main_process:
        finish_training(config, data, retriever, cross_encoder, cross_metrics, timings=timings, started=started)
    return output


def finish_training(config: TrainConfig, data: TrainingData, retriever, cross_encoder, cross_metrics: dict, timings=None, started=None) -> Path:
    """Stage 3: calibrate the matcher on the selection set and write its files and model card."""
    from greenmatch.calibration import calibrate
    from greenmatch.matcher import Matcher, MatcherConfig
    from greenmatch.model_card import write_model_card

    output = Path(config.output_dir)
    base = resolve_base_model(config.base_model)
    matcher_config = MatcherConfig(shortlist=config.shortlist, max_length=config.max_length, base_model=base.name, base_model_licence=base.licence)
    matcher = Matcher(retriever, cross_encoder, data.catalogue, matcher_config)
    calibration = {}
    if data.selection:
        calibration = calibrate(matcher, data.selection, target_precision=config.target_precision, shortlist=config.shortlist)
    timings = dict(timings or {})
    if started is not None:
        timings["total_s"] = round(time.time() - started, 1)

    matcher.config.training = {
        "preset": config.preset,
        "config": asdict(config),
        "catalogue_name": data.catalogue.name,
        "catalogue_title": data.catalogue.title,
        "catalogue_entries": len(data.catalogue),
        "cross_encoder": cross_metrics,
        "calibration": calibration,
        "timings": timings,
        "texts": {
            "generated_queries": sum(map(len, data.generated.values())),
            "labelled_examples": len(data.examples),
            "not_green": len(data.not_green),
            "unlabelled": len(data.unlabelled),
            "selection": len(data.selection),
        },
    }
    matcher.save_pretrained(output)
    write_model_card(output, matcher.config)
    shutil.rmtree(output / "checkpoints" / "backbone", ignore_errors=True)
    logger.info("Model saved to %s (timings: %s)", output, timings)
    return output


def config_from_dict(values: dict) -> TrainConfig:
    names = {f.name for f in fields(TrainConfig)}
    unknown = set(values) - names
    if unknown:
        raise ConfigError(f"未知的训练参数：{'、'.join(sorted(unknown))}。可用的参数见 greenmatch train --help 或 TrainConfig 的字段。")
    return TrainConfig(**values)
