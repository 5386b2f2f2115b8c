"""Bad command-line input ends in a Chinese message on stderr with exit code 2, not a traceback.

Most commands are run in-process through ``greenmatch.cli.main``. Where a command would load
data or a model after its checks, the test gives a data file or model path that does not exist:
the expected message then proves that the check ran first, and no model is needed.
"""

import errno
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from greenmatch import cli
from greenmatch.base_model import model_load_error
from greenmatch.batch import OutputPathError, ProgressWriter
from greenmatch.calibration import calibrate
from greenmatch.errors import ConfigError, LabelledDataError, OutputLocationError, check_writable_folder
from greenmatch.labelled import load_labelled
from greenmatch.training import TrainConfig, check_output_dir

# A folder that exists and accepts no new files, for any user including root.
UNWRITABLE_FOLDER = Path("/proc")


def run_main(argv, capsys):
    """Run ``cli.main`` and return ``(exit code, stdout, stderr)``, also when argparse exits."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def table(tmp_path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text("项目名称\n屋顶分布式光伏电站\n", encoding="utf-8")
    return path


@pytest.fixture
def regular_file(tmp_path) -> Path:
    path = tmp_path / "afile"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


@pytest.fixture
def missing_model(tmp_path) -> str:
    return str(tmp_path / "no-such-model")


# --- shortlist ---------------------------------------------------------------------------


def test_match_negative_shortlist(capsys, missing_model):
    code, _, err = run_main(["match", "--model", missing_model, "--shortlist", "-5", "光伏电站"], capsys)

    assert code == 2
    assert "--shortlist" in err
    assert "应为正整数，或 0" in err
    assert "Traceback" not in err


def test_match_file_negative_shortlist(capsys, table, tmp_path, missing_model):
    argv = ["match-file", str(table), "--column", "项目名称", "--output", str(tmp_path / "out.csv"), "--model", missing_model, "--shortlist", "-1"]
    code, _, err = run_main(argv, capsys)

    assert code == 2
    assert "--shortlist" in err


def test_shortlist_zero_accepted():
    args = cli.build_parser().parse_args(["match", "--shortlist", "0", "光伏电站"])

    assert args.shortlist == 0


# --- output locations --------------------------------------------------------------------


def test_match_file_unwritable_output(capsys, table, missing_model):
    output = UNWRITABLE_FOLDER / "out.csv"
    code, _, err = run_main(["match-file", str(table), "--column", "项目名称", "--output", str(output), "--model", missing_model], capsys)

    assert code == 2
    assert str(output) in err
    assert "--output" in err
    assert "Traceback" not in err


def test_match_file_output_under_file(capsys, table, regular_file, missing_model):
    output = regular_file / "out.csv"
    code, _, err = run_main(["match-file", str(table), "--column", "项目名称", "--output", str(output), "--model", missing_model], capsys)

    assert code == 2
    assert f"{regular_file} 是一个文件" in err


@pytest.mark.parametrize("below", ["", "sub"], ids=["file", "under-file"])
def test_evaluate_output_dir_file(capsys, tmp_path, regular_file, below):
    output = regular_file / below if below else regular_file
    # The data file does not exist: only a check made before loading data can name the output.
    argv = ["evaluate", "--data", str(tmp_path / "missing.csv"), "--baseline", "bm25", "--output-dir", str(output)]
    code, _, err = run_main(argv, capsys)

    assert code == 2
    assert f"无法写入 {output}" in err
    assert f"{regular_file} 是一个文件" in err


def test_evaluate_unwritable_output_dir(capsys, tmp_path):
    output = UNWRITABLE_FOLDER / "reports"
    code, _, err = run_main(["evaluate", "--data", str(tmp_path / "missing.csv"), "--output-dir", str(output)], capsys)

    assert code == 2
    assert str(output) in err


def test_train_output_dir_file(capsys, tmp_path, regular_file):
    code, _, err = run_main(["train", "--output-dir", str(regular_file), "--catalogue", str(tmp_path / "missing.csv")], capsys)

    assert code == 2
    assert f"{regular_file} 是一个文件" in err


def test_train_foreign_folder(capsys, tmp_path):
    output = tmp_path / "documents"
    output.mkdir()
    (output / "notes.txt").write_text("keep me\n", encoding="utf-8")
    code, _, err = run_main(["train", "--output-dir", str(output), "--catalogue", str(tmp_path / "missing.csv")], capsys)

    assert code == 2
    assert "不是 greenmatch 的训练文件夹" in err
    assert (output / "notes.txt").exists()


def test_train_foreign_folder_resume(tmp_path):
    output = tmp_path / "documents"
    output.mkdir()
    (output / "notes.txt").write_text("keep me\n", encoding="utf-8")

    check_output_dir(TrainConfig(output_dir=str(output), resume=True))


def test_train_training_folder_accepted(tmp_path):
    output = tmp_path / "model"
    (output / "retriever").mkdir(parents=True)

    check_output_dir(TrainConfig(output_dir=str(output)))


def test_train_failed_check_leaves_no_folder(capsys, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("编号,名称\n1.1.1,节能锅炉制造\n", encoding="utf-8")
    output = tmp_path / "new" / "model"
    code, _, err = run_main(["train", "--output-dir", str(output), "--catalogue", str(broken)], capsys)

    assert code == 2
    assert str(broken) in err
    assert not (tmp_path / "new").exists()


def test_train_not_a_model_folder(capsys, tmp_path):
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    output = tmp_path / "new" / "model"
    argv = ["train", "--output-dir", str(output), "--base-model", str(not_a_model), "--num-queries", "1", "--use-cpu"]
    code, _, err = run_main(argv, capsys)

    assert code == 2
    assert f"文件夹 {not_a_model} 中没有模型文件" in err
    assert "网络可访问 Hub" not in err
    assert ".。" not in err
    assert not (tmp_path / "new").exists()


def test_progress_writer_unwritable():
    writer = ProgressWriter(UNWRITABLE_FOLDER / "out.partial.jsonl", {"kind": "header"})

    with pytest.raises(OutputPathError, match="无法写入进度文件"):
        writer.__enter__()


def test_writable_folder_creatable(tmp_path):
    check_writable_folder(tmp_path / "a" / "b", "--output-dir")

    assert not (tmp_path / "a").exists()


def test_writable_folder_under_file(regular_file):
    with pytest.raises(OutputLocationError, match="是一个文件"):
        check_writable_folder(regular_file / "sub", "--output-dir")


def test_unforeseen_os_error(capsys, monkeypatch, tmp_path):
    from greenmatch.commands import evaluate

    path = tmp_path / "locked.csv"

    def denied(args, catalogue):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(evaluate, "load_evaluation_data", denied)
    code, _, err = run_main(["evaluate", "--baseline", "bm25", "--output-dir", str(tmp_path / "report")], capsys)

    assert code == 1
    assert str(path) in err
    assert "没有权限" in err
    assert "Traceback" not in err


# --- settings ----------------------------------------------------------------------------


def test_train_pair_mode_choices(capsys, tmp_path):
    code, _, err = run_main(["train", "--output-dir", str(tmp_path / "out"), "--pair-mode", "bogus"], capsys)

    assert code == 2
    assert "--pair-mode" in err
    assert "sampled" in err


@pytest.mark.parametrize(
    "name, value",
    [
        ("pair_mode", "bogus"),
        ("pooling", "max"),
        ("cross_epochs", -1.0),
        ("simcse_epochs", -0.5),
        ("num_queries", 0),
        ("hard_negatives", -1),
        ("simcse_batch_size", 0),
        ("cross_batch_size", -4),
        ("max_length", 0),
        ("max_seq_length", 0),
        ("shortlist", 0),
        ("cross_learning_rate", 0.0),
        ("retriever_learning_rate", -1e-5),
        ("target_precision", 0.0),
        ("target_precision", 1.5),
        ("simcse_dropout", 1.0),
        ("simcse_dropout", -0.1),
        ("selection_fraction", 1.0),
        ("num_queries", "4"),
    ],
)
def test_train_config_rejects(name, value):
    with pytest.raises(ConfigError, match=name):
        TrainConfig(**{name: value})


def test_train_config_zero_epochs_allowed():
    config = TrainConfig(simcse_epochs=0, contrastive_epochs=0, cross_epochs=0, max_cross_pairs=0, target_precision=1.0)

    assert config.cross_epochs == 0


def test_train_config_pair_mode_message():
    with pytest.raises(ConfigError) as raised:
        TrainConfig(pair_mode="bogus")

    assert "“bogus”" in str(raised.value)
    assert "sampled、original" in str(raised.value)


def test_train_config_yaml_string():
    # PyYAML reads 3e-5 without a dot as the string "3e-5".
    values = yaml.safe_load("cross_learning_rate: 3e-5\n")

    with pytest.raises(ConfigError, match="3.0e-5"):
        TrainConfig(**values)


def test_train_negative_epochs_cli(capsys, tmp_path):
    output = tmp_path / "out"
    code, _, err = run_main(["train", "--output-dir", str(output), "--cross-epochs", "-1"], capsys)

    assert code == 2
    assert "--cross-epochs" in err
    assert not output.exists()


def test_calibrate_target_precision(capsys, missing_model):
    code, _, err = run_main(["calibrate", "--model", missing_model, "--target-precision", "5"], capsys)

    assert code == 2
    assert "--target-precision" in err
    assert "不超过 1" in err


def test_calibrate_function_target_precision():
    # The range is checked before the matcher is used, so no model is needed.
    with pytest.raises(ConfigError, match="target_precision"):
        calibrate(None, [], target_precision=5)


@pytest.mark.parametrize(
    "option, value",
    [("--batch-size", "0"), ("--retriever-batch-size", "0"), ("--learning-rate", "0"), ("--retriever-learning-rate", "-1e-5"), ("--held-out-fraction", "1")],
)
def test_finetune_numeric_options(capsys, tmp_path, missing_model, option, value):
    # "=" keeps argparse from reading a negative value as an option.
    argv = ["finetune", "--model", missing_model, "--data", "finetune_example", "--output-dir", str(tmp_path / "out"), f"{option}={value}"]
    code, _, err = run_main(argv, capsys)

    assert code == 2
    assert option.lstrip("-").replace("-", "_") in err
    assert "Traceback" not in err


def test_finetune_non_number(capsys, tmp_path, missing_model):
    argv = ["finetune", "--model", missing_model, "--data", "finetune_example", "--output-dir", str(tmp_path / "out"), "--batch-size", "abc"]
    code, _, err = run_main(argv, capsys)

    assert code == 2
    assert "应为整数，实际为“abc”" in err


# --- Ctrl+C ------------------------------------------------------------------------------


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_interrupt_without_resume(capsys, monkeypatch, tmp_path):
    from greenmatch.commands import evaluate

    monkeypatch.setattr(evaluate, "load_evaluation_data", interrupt)
    code, _, err = run_main(["evaluate", "--baseline", "bm25", "--output-dir", str(tmp_path / "report")], capsys)

    assert code == 130
    assert "已中断" in err
    assert "--resume" not in err


def test_interrupt_match_without_resume(capsys, monkeypatch):
    from greenmatch.commands import match

    monkeypatch.setattr(match, "load_matcher", interrupt)
    code, _, err = run_main(["match", "光伏电站"], capsys)

    assert code == 130
    assert "--resume" not in err


def test_interrupt_match_file_resume(capsys, monkeypatch, table, tmp_path):
    from greenmatch.commands import match_file

    monkeypatch.setattr(match_file, "load_matcher", interrupt)
    code, _, err = run_main(["match-file", str(table), "--column", "项目名称", "--output", str(tmp_path / "out.csv")], capsys)

    assert code == 130
    assert "--resume" in err


def test_interrupt_train_resume(capsys, monkeypatch, tmp_path):
    import greenmatch.training

    monkeypatch.setattr(greenmatch.training, "train", interrupt)
    code, _, err = run_main(["train", "--output-dir", str(tmp_path / "out")], capsys)

    assert code == 130
    assert "--resume" in err


# --- startup -----------------------------------------------------------------------------

HEAVY_MODULES = (
    "torch", "transformers", "sentence_transformers", "evaluate", "gradio", "matplotlib", "accelerate", "sklearn",
    "greenmatch.evaluation", "greenmatch.matcher", "greenmatch.report", "greenmatch.web", "greenmatch.cross_encoder",
    "greenmatch.simcse",
)  # fmt: skip


def test_parser_imports_no_heavy_modules():
    script = (
        "import sys, greenmatch.cli; greenmatch.cli.build_parser(); "
        f"print(','.join(name for name in {HEAVY_MODULES!r} if name in sys.modules))"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == ""


# --- streams and exit codes --------------------------------------------------------------


def test_match_top_k_zero(capsys, missing_model):
    code, out, err = run_main(["match", "--model", missing_model, "--top-k", "0", "光伏电站"], capsys)

    assert code == 2
    assert out == ""
    assert "--top-k" in err


def test_catalogue_unknown_code(capsys):
    code, out, err = run_main(["catalogue", "show", "9.9.9"], capsys)

    assert code == 2
    assert out == ""
    assert "“9.9.9”" in err


# --- labelled files ----------------------------------------------------------------------


def test_labelled_all_codes_unknown(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("项目名称,目录代码\n光伏电站,9.9.9\n风电场,8.8.8\n,\n", encoding="utf-8")

    with pytest.raises(LabelledDataError) as raised:
        load_labelled(path, unknown_codes="warn")
    message = str(raised.value)

    assert "2 行的目录代码都不在" in message
    assert "第 2 行" in message
    assert "“9.9.9”" in message
    assert "1 行文本为空" in message
    assert "三级代码" in message


def test_labelled_all_texts_empty(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("项目名称,目录代码\n,3.2.2\n", encoding="utf-8")

    with pytest.raises(LabelledDataError, match="全部为空"):
        load_labelled(path)


def pair_lines(bad_line: int) -> str:
    good = "屋顶光伏电站\t太阳能利用设施建设和运营\t1"
    lines = [good] * 6
    lines[bad_line - 1] = "屋顶光伏电站\t太阳能利用设施建设和运营\t2"
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("bad_line", [5, 1])
def test_pair_file_bad_label(tmp_path, bad_line):
    path = tmp_path / "pairs.tsv"
    path.write_text(pair_lines(bad_line), encoding="utf-8")

    with pytest.raises(LabelledDataError) as raised:
        load_labelled(path)
    message = str(raised.value)

    assert f"第 {bad_line} 行" in message
    assert "标签“2”无效" in message
    assert "只能是 1" in message


def test_tsv_table_with_header(tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_text("项目名称\t目录代码\tkind\n屋顶光伏电站\t3.2.2\tx\n", encoding="utf-8")

    labelled = load_labelled(path)

    assert labelled[0].codes == ("3.2.2",)


# --- catalogue columns -------------------------------------------------------------------


def test_columns_without_equals(capsys, shared_catalogue_dir):
    path = shared_catalogue_dir / "gigc2019_from_official_pdf.csv"
    code, _, err = run_main(["catalogue", "show", "1.1.1", "--catalogue", str(path), "--columns", "garbage"], capsys)

    assert code == 2
    assert "“garbage”" in err
    assert "code=" in err


def test_columns_without_catalogue(capsys):
    code, _, err = run_main(["catalogue", "show", "1.1.1", "--columns", "code=编号,title=名称,text=说明"], capsys)

    assert code == 2
    assert "--catalogue" in err


def test_columns_checked_before_data(capsys, tmp_path):
    argv = ["evaluate", "--data", str(tmp_path / "missing.csv"), "--columns", "code=编号", "--output-dir", str(tmp_path / "r")]
    code, _, err = run_main(argv, capsys)

    assert code == 2
    assert "--catalogue" in err


# --- base model message ------------------------------------------------------------------


def test_model_load_error_not_a_model(tmp_path):
    error = model_load_error(str(tmp_path), OSError(f"{tmp_path} does not appear to have a file named config.json."))

    assert f"文件夹 {tmp_path} 中没有模型文件" in str(error)
    assert "--base-model" in str(error)


def test_model_load_error_punctuation():
    error = model_load_error("org/model", OSError("Repository not found."))

    assert ".。" not in str(error)
    assert "Repository not found。" in str(error)


@pytest.mark.parametrize("command", ["train", "finetune"])
def test_optional_float_option_parsed(command):
    argv = [command, "--target-precision", "0.9"]
    if command == "finetune":
        argv += ["--model", "m", "--data", "d", "--output-dir", "o"]
    args = cli.build_parser().parse_args(argv)

    assert args.target_precision == 0.9
