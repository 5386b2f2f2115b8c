"""Domain fine-tuning on the tiny trained model: data cleaning, the split, the run and its output folder."""

import json
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from greenmatch import cli
from greenmatch.finetune import (
    FinetuneConfig,
    FinetuneError,
    load_team_data,
    resolve_repeated_texts,
    run_finetune,
    split_team_texts,
)
from greenmatch.labelled import LabelledText
from greenmatch.matcher import Matcher

RERANKED = "检索后重排（greenmatch）"
CONFLICTING_TEXT = "南京江北新区污水处理厂提标改造"
MERGED_TEXT = "盐城大丰海上风电场配套储能电站"
FAST = {"epochs": 1.0, "retriever_epochs": 1.0, "batch_size": 16, "use_cpu": True}


def _example_frame() -> pd.DataFrame:
    source = resources.files("greenmatch") / "resources" / "finetune_example.csv"
    with resources.as_file(source) as path:
        return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write_labelled(path: Path) -> Path:
    """Write 46 rows: 30 green and 10 not-green rows of the shipped example, an unknown code,
    a text labelled both green and not green, and a text with two different code sets."""
    frame = _example_frame()
    green = frame[frame["目录代码"] != ""].head(30)
    not_green = frame[frame["目录代码"] == ""].head(10)
    special = pd.DataFrame(
        [
            {"项目名称": "苏州工业园区数据中心液冷改造", "目录代码": "9.9.9"},
            {"项目名称": "无锡新吴区分布式光伏电站", "目录代码": "3.2.2;8.8.8"},
            {"项目名称": CONFLICTING_TEXT, "目录代码": "5.3.4"},
            {"项目名称": CONFLICTING_TEXT, "目录代码": ""},
            {"项目名称": MERGED_TEXT, "目录代码": "3.2.1"},
            {"项目名称": MERGED_TEXT, "目录代码": "3.4.2"},
        ]
    )
    pd.concat([green, not_green, special]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def base_model(tiny_model_dir, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("finetune-base") / "model"
    shutil.copytree(tiny_model_dir, folder)
    return folder


@pytest.fixture(scope="module")
def finetuned(base_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("finetune-run")
    data = _write_labelled(folder / "labelled.csv")
    config = FinetuneConfig(model=str(base_model), data=str(data), output_dir=str(folder / "out"), **FAST)
    return run_finetune(config)


@pytest.fixture(scope="module")
def settings(finetuned) -> dict:
    return json.loads((finetuned.output_dir / "greenmatch.json").read_text(encoding="utf-8"))


# --- the run on a small labelled file -------------------------------------------------------------


def test_output_loads_as_matcher(finetuned, catalogue):
    matcher = Matcher.from_pretrained(finetuned.output_dir)
    result = matcher.match("屋顶分布式光伏电站", top_k=3)
    assert len(result.matches) == 3
    assert result.matches[0].code in catalogue


def test_output_has_model_files(finetuned):
    for name in ("config.json", "README.md", "catalogue.jsonl", "greenmatch.json", "entry_embeddings.npy", "retriever/modules.json"):
        assert (finetuned.output_dir / name).exists(), name


def test_output_has_no_work_files(finetuned):
    assert not (finetuned.output_dir / "checkpoints").exists()
    assert not Path(str(finetuned.output_dir) + ".partial").exists()


def test_metrics_before_after_stored(settings):
    evaluation = settings["training"]["finetune"]["evaluation"]
    assert "hit@1" in evaluation["before"][RERANKED]
    assert "hit@1" in evaluation["after"][RERANKED]


def test_evaluated_on_held_out(settings):
    summary = settings["training"]["finetune"]
    assert summary["evaluated_on"] == "held_out"
    assert summary["texts"]["held_out"] > 0


def test_held_out_split_counts(settings):
    texts = settings["training"]["finetune"]["texts"]
    # 46 rows: the unknown-only row is skipped (45 loaded); the conflicting text is dropped and
    # the merged one counted once, so 42 texts remain.
    assert texts["loaded"] == 45
    assert texts["used"] == 42
    assert texts["train"] + texts["held_out"] == 42
    assert texts["held_out_not_green"] >= 1


def test_threshold_recalibrated(settings, base_model):
    base = json.loads((base_model / "greenmatch.json").read_text(encoding="utf-8"))
    assert settings["training"]["finetune"]["recalibrated"] is True
    assert "的留出集" in settings["threshold_source"]
    assert settings["threshold_source"] != base["threshold_source"]


def test_base_metrics_not_carried(settings):
    assert settings["metrics"] == {}


def test_card_has_finetune_section(finetuned, base_model):
    card = (finetuned.output_dir / "README.md").read_text(encoding="utf-8")
    assert "## 领域微调" in card
    assert str(base_model) in card
    assert f"| {RERANKED} |" in card
    assert "→" in card


def test_card_states_text_counts(finetuned, settings):
    card = (finetuned.output_dir / "README.md").read_text(encoding="utf-8")
    texts = settings["training"]["finetune"]["texts"]
    assert f"训练 {texts['train']} 条" in card
    assert f"留出评估 {texts['held_out']} 条" in card


def test_card_without_finetune_has_no_section(base_model):
    assert "领域微调" not in (base_model / "README.md").read_text(encoding="utf-8")


def test_pairs_of_each_kind(settings):
    pairs = settings["training"]["finetune"]["pairs"]
    for kind in ("team_positive", "team_hard_negative", "team_not_green", "catalogue_title"):
        assert pairs.get(kind, 0) > 0, kind


def test_catalogue_share_respected(settings):
    pairs = settings["training"]["finetune"]["pairs"]
    team = sum(count for kind, count in pairs.items() if kind.startswith("team_"))
    catalogue = sum(count for kind, count in pairs.items() if kind.startswith("catalogue_"))
    assert catalogue == round(team * 0.5)


def test_unknown_code_warned(finetuned):
    assert any("9.9.9" in warning for warning in finetuned.warnings)
    assert any("8.8.8" in warning for warning in finetuned.warnings)


def test_conflicting_labels_warned(finetuned):
    assert any(CONFLICTING_TEXT in warning and "去掉" in warning for warning in finetuned.warnings)


def test_different_codes_merge_warned(finetuned):
    assert any(MERGED_TEXT in warning and "并集" in warning for warning in finetuned.warnings)


def test_warnings_stored_in_settings(finetuned, settings):
    assert settings["training"]["finetune"]["warnings"] == finetuned.warnings


def test_base_folder_unchanged(base_model, tiny_model_dir):
    original = json.loads((Path(tiny_model_dir) / "greenmatch.json").read_text(encoding="utf-8"))
    copy = json.loads((base_model / "greenmatch.json").read_text(encoding="utf-8"))
    assert copy == original


# --- a file too small to split, through the command line ---------------------------------------------


@pytest.fixture(scope="module")
def small_run(base_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("finetune-small")
    frame = _example_frame()
    rows = pd.concat([frame[frame["目录代码"] != ""].head(4), frame[frame["目录代码"] == ""].head(1)])
    rows.to_csv(folder / "small.csv", index=False)
    output = folder / "out"
    argv = ["finetune", "--model", str(base_model), "--data", str(folder / "small.csv"), "--output-dir", str(output)]
    argv += ["--epochs", "1", "--retriever-epochs", "0", "--use-cpu", "--no-catalogue-check"]
    return cli.main(argv), output


def test_small_file_exit_code(small_run):
    code, _ = small_run
    assert code == 0


def test_small_file_warns_too_small(small_run):
    _, output = small_run
    settings = json.loads((output / "greenmatch.json").read_text(encoding="utf-8"))
    assert any("太少" in warning for warning in settings["training"]["finetune"]["warnings"])


def test_small_file_keeps_base_threshold(small_run, base_model):
    _, output = small_run
    settings = json.loads((output / "greenmatch.json").read_text(encoding="utf-8"))
    base = json.loads((base_model / "greenmatch.json").read_text(encoding="utf-8"))
    assert settings["threshold"] == base["threshold"]
    assert settings["threshold_source"].startswith("沿用原模型的校准")


def test_small_file_evaluated_on_training_texts(small_run):
    _, output = small_run
    summary = json.loads((output / "greenmatch.json").read_text(encoding="utf-8"))["training"]["finetune"]
    assert summary["evaluated_on"] == "training_texts"
    assert summary["texts"]["train"] == 5


def test_cli_prints_summary(base_model, tmp_path, capsys):
    frame = _example_frame()
    frame[frame["目录代码"] != ""].head(3).to_csv(tmp_path / "tiny.csv", index=False)
    argv = ["finetune", "--model", str(base_model), "--data", str(tmp_path / "tiny.csv"), "--output-dir", str(tmp_path / "out")]
    argv += ["--epochs", "1", "--retriever-epochs", "0", "--catalogue-share", "0.2", "--use-cpu", "--no-catalogue-check"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "警告：" in printed
    assert "训练文本本身上的指标" in printed
    assert "→" in printed
    assert f"微调后的模型已保存到 {tmp_path / 'out'}" in printed


# --- settings and folders that are rejected ----------------------------------------------------------


def test_output_same_as_model_rejected(base_model):
    config = FinetuneConfig(model=str(base_model), data="finetune_example", output_dir=str(base_model), use_cpu=True)
    with pytest.raises(FinetuneError, match="原模型的文件夹"):
        run_finetune(config)


def test_foreign_output_folder_rejected(base_model, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    config = FinetuneConfig(model=str(base_model), data="finetune_example", output_dir=str(tmp_path), use_cpu=True)
    with pytest.raises(FinetuneError, match="不是 greenmatch 模型"):
        run_finetune(config)
    assert (tmp_path / "notes.txt").exists()


@pytest.mark.parametrize("settings", [{"held_out_fraction": 1.0}, {"catalogue_share": -0.1}, {"epochs": 0.0}, {"hard_negatives": -1}])
def test_invalid_config_rejected(settings):
    with pytest.raises(FinetuneError):
        FinetuneConfig(model="m", data="d", output_dir="o", **settings)


# --- data cleaning and the split ----------------------------------------------------------------------


def test_repeated_identical_rows_collapse():
    warnings = []
    rows = [LabelledText("光伏电站", ("3.2.2",)), LabelledText("光伏电站", ("3.2.2",))]
    assert resolve_repeated_texts(rows, warnings) == [LabelledText("光伏电站", ("3.2.2",))]
    assert warnings == []


def test_different_codes_merged_into_union():
    rows = [LabelledText("光储充一体化", ("5.2.5",)), LabelledText("光储充一体化", ("3.2.2", "5.2.5"))]
    resolved = resolve_repeated_texts(rows, [])
    assert resolved == [LabelledText("光储充一体化", ("5.2.5", "3.2.2"))]


def test_green_and_not_green_dropped():
    rows = [LabelledText("商业综合体", ("5.1.1",)), LabelledText("商业综合体", ()), LabelledText("风电场", ("3.2.1",))]
    resolved = resolve_repeated_texts(rows, [])
    assert [item.text for item in resolved] == ["风电场"]


def test_split_holds_out_both_classes():
    texts = [LabelledText(f"绿色文本{i}", ("3.2.2",)) for i in range(10)] + [LabelledText(f"非绿色文本{i}", ()) for i in range(2)]
    train, held_out, split = split_team_texts(texts, 0.2, seed=0, warnings=[])
    assert split == "held_out"
    assert sum(not item.is_green for item in held_out) == 1
    assert sum(not item.is_green for item in train) == 1
    assert not {item.text for item in train} & {item.text for item in held_out}


def test_split_skipped_below_minimum():
    warnings = []
    texts = [LabelledText(f"文本{i}", ("3.2.2",)) for i in range(6)] + [LabelledText("非绿色", ())]
    train, held_out, split = split_team_texts(texts, 0.2, seed=0, warnings=warnings)
    assert (len(train), len(held_out), split) == (7, 0, "none")
    assert len(warnings) == 1


def test_split_skipped_for_zero_fraction():
    texts = [LabelledText(f"文本{i}", ("3.2.2",)) for i in range(20)] + [LabelledText(f"非绿色{i}", ()) for i in range(5)]
    _, held_out, split = split_team_texts(texts, 0.0, seed=0, warnings=[])
    assert (held_out, split) == ([], "none")


def test_no_not_green_keeps_calibration(catalogue, tmp_path):
    frame = _example_frame()
    frame[frame["目录代码"] != ""].head(20).to_csv(tmp_path / "green.csv", index=False)
    config = FinetuneConfig(model="m", data=str(tmp_path / "green.csv"), output_dir="o")
    data = load_team_data(config, catalogue)
    assert data.split == "held_out"
    assert data.recalibrate is False
    assert any("非绿色" in warning for warning in data.warnings)


# --- the shipped example ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["path", "name"])
def test_shipped_example_loads(catalogue, source):
    data_path = str(resources.files("greenmatch") / "resources" / "finetune_example.csv")
    data = data_path if source == "path" else "finetune_example"
    loaded = load_team_data(FinetuneConfig(model="m", data=data, output_dir="o"), catalogue)
    assert loaded.loaded == 288
    assert sum(not item.is_green for item in loaded.texts) == 70
    assert loaded.warnings == []


def test_shipped_example_split(catalogue):
    loaded = load_team_data(FinetuneConfig(model="m", data="finetune_example", output_dir="o"), catalogue)
    assert len(loaded.held_out) == round(218 * 0.2) + round(70 * 0.2)
    assert loaded.recalibrate is True


def test_verdict_moves_to_retriever_without_reranking(base_model):
    from greenmatch.finetune import _use_retriever_verdict_without_reranking

    matcher = Matcher.from_pretrained(base_model)
    matcher.config.fusion_weight, matcher.config.verdict_score = 1.0, "cross_encoder"
    frame = _example_frame()
    texts = [LabelledText(row["项目名称"], tuple(row["目录代码"].split(";")) if row["目录代码"] else ()) for row in frame.head(20).to_dict("records")]
    _use_retriever_verdict_without_reranking(matcher, texts, FinetuneConfig(model="m", data="d", output_dir="o"), {})
    assert matcher.config.verdict_score == "retriever"
    assert matcher.config.threshold_source.startswith("在 20 条留出的标注文本")
