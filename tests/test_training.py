"""Training on a tiny randomly initialised BERT: both stages run, reload, and keep their settings."""

import json
from pathlib import Path

import pytest
import torch
from sentence_transformers import CrossEncoder, SentenceTransformer

from greenmatch.matcher import Matcher


def test_training_output_layout(tiny_model_dir):
    folder = Path(tiny_model_dir)
    for name in ("config.json", "README.md", "catalogue.jsonl", "greenmatch.json", "entry_embeddings.npy", "retriever/modules.json"):
        assert (folder / name).exists(), name


def test_cross_encoder_restores_tanh(tiny_model_dir):
    model = CrossEncoder(tiny_model_dir)
    assert isinstance(model.activation_fn, torch.nn.Tanh)
    assert model.num_labels == 1
    scores = model.predict([("屋顶光伏", "太阳能利用设施建设和运营"), ("污水处理", "风力发电设施建设和运营")])
    assert all(-1.0 < float(score) < 1.0 for score in scores)


def test_retriever_loads_as_sentence_transformer(tiny_model_dir):
    model = SentenceTransformer(str(Path(tiny_model_dir) / "retriever"))
    assert model.encode(["屋顶光伏"]).shape == (1, 32)


def test_matcher_loads_trained_folder(tiny_model_dir, catalogue):
    matcher = Matcher.from_pretrained(tiny_model_dir)
    assert len(matcher.catalogue) == len(catalogue)
    result = matcher.match("屋顶分布式光伏电站", top_k=3)
    assert len(result.matches) == 3
    assert result.matches[0].code in catalogue


def test_pair_counts_recorded(tiny_model_dir):
    settings = json.loads((Path(tiny_model_dir) / "greenmatch.json").read_text(encoding="utf-8"))
    pairs = settings["training"]["cross_encoder"]["pairs"]
    assert sum(pairs.values()) == 600
    assert pairs["not_green"] > 0
    assert pairs["hard_negative"] > 0


def test_model_card_records_base_model(tiny_model_dir, tiny_base_model):
    from huggingface_hub import ModelCard

    card = ModelCard.load(Path(tiny_model_dir) / "README.md")
    assert card.data.language == ["zh"]
    assert card.data.pipeline_tag == "text-ranking"
    assert tiny_base_model in card.text
    assert "非绿色" in card.text


def test_settings_record_calibration(tiny_model_dir):
    settings = json.loads((Path(tiny_model_dir) / "greenmatch.json").read_text(encoding="utf-8"))
    assert settings["threshold_source"] != "default"
    assert settings["training"]["calibration"]["selection_texts"] > 0
    assert settings["verdict_score"] in ("retriever", "fused", "cross_encoder")
