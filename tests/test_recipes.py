"""The training recipes under ``accelerate launch``, their configuration files, and resuming."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from greenmatch.matcher import Matcher

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "recipes"))

from _common import parse_train_config  # noqa: E402
from child_process import default_sigint

TINY_OPTIONS = [
    "--num_queries", "2", "--simcse_batch_size", "16", "--cross_batch_size", "16", "--max_cross_pairs", "300",
    "--cross_dev_queries", "5", "--max_seq_length", "64", "--max_length", "64", "--shortlist", "5",
]


def test_yaml_and_command_line_merge(tmp_path):
    config_file = tmp_path / "run.yaml"
    config_file.write_text("output_dir: from-yaml\nshortlist: 7\ncross_epochs: 2.0\n", encoding="utf-8")
    config = parse_train_config(["--config", str(config_file), "--shortlist", "9"])
    assert config.output_dir == "from-yaml"
    assert config.shortlist == 9
    assert config.cross_epochs == 2.0


def test_full_preset_fills_unset_fields():
    config = parse_train_config(["--preset", "full", "--max_length", "96"])
    assert config.pair_mode == "original"
    assert config.max_length == 96


def test_shipped_configs_parse():
    for name in ("quick.yaml", "full.yaml"):
        config = parse_train_config(["--config", str(REPO / "recipes" / "configs" / name)])
        assert config.output_dir


def _accelerate() -> str:
    return str(Path(sys.executable).with_name("accelerate"))


def test_two_process_cpu_training(tmp_path, tiny_base_model):
    output = tmp_path / "ddp"
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [
        _accelerate(), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
        "--dynamo_backend", "no", str(REPO / "recipes" / "train.py"),
        "--output_dir", str(output), "--base_model", tiny_base_model, *TINY_OPTIONS,
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "模型已保存到" in completed.stdout
    settings = json.loads((output / "greenmatch.json").read_text(encoding="utf-8"))
    assert settings["training"]["cross_encoder"]["pairs"]
    matcher = Matcher.from_pretrained(output)
    assert len(matcher.match("屋顶光伏", top_k=2).matches) == 2


def test_resume_skips_finished_stage(tmp_path, tiny_base_model):
    output = tmp_path / "resumed"
    command = [
        str(Path(sys.executable).with_name("greenmatch")), "train", "--output-dir", str(output), "--base-model", tiny_base_model,
        "--num-queries", "2", "--shortlist", "5", "--use-cpu",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    done_marker = output / "retriever" / ".done"
    deadline = time.time() + 600
    while not done_marker.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    assert done_marker.exists(), "the retriever stage never finished"
    process.send_signal(signal.SIGINT)
    process.wait(timeout=120)
    assert not (output / "greenmatch.json").exists()

    stamp = done_marker.read_text(encoding="utf-8")
    weights = (output / "retriever" / "model.safetensors").read_bytes()
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Stage 1 already done" in resumed.stderr
    assert done_marker.read_text(encoding="utf-8") == stamp
    assert (output / "retriever" / "model.safetensors").read_bytes() == weights
    assert (output / "greenmatch.json").exists()
