"""Fixtures shared by the test modules."""

from pathlib import Path

import pytest

from greenmatch.catalogue import Catalogue


@pytest.fixture(scope="session")
def shared_catalogue_dir() -> Path:
    """The folder of catalogue tables kept in ``shared/``, a sibling of the repository."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "catalogue"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The catalogue embedded in the package, shared by all tests, so no test may modify it."""
    return Catalogue.default()


def _character_vocabulary(catalogue: Catalogue) -> list:
    """Special tokens, ASCII letters and digits, and every character of the catalogue and shipped texts."""
    from greenmatch.labelled import SHIPPED_SETS
    from importlib import resources

    text = "".join(entry.matching_text + "".join(entry.keywords) for entry in catalogue)
    for name in SHIPPED_SETS.values():
        text += (resources.files("greenmatch") / "resources" / name).read_text(encoding="utf-8")
    characters = sorted({char for char in text if not char.isspace()} | set("0123456789abcdefghijklmnopqrstuvwxyz"))
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + characters


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory, catalogue) -> str:
    """A randomly initialised 2-layer BERT (hidden size 32) with a Chinese character vocabulary.

    It stands in for m3e-small where a test is about mechanics, not quality: it trains in
    seconds and exercises the same code paths.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocabulary = _character_vocabulary(catalogue)
    (folder / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab=str(folder / "vocab.txt"), tokenize_chinese_chars=True)
    config = BertConfig(
        vocab_size=len(vocabulary),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


TINY_TRAINING = {
    "num_queries": 2,
    "simcse_epochs": 1.0,
    "simcse_batch_size": 16,
    "contrastive_epochs": 1.0,
    "cross_epochs": 1.0,
    "cross_batch_size": 16,
    "max_cross_pairs": 600,
    "cross_dev_queries": 10,
    "max_seq_length": 64,
    "max_length": 64,
    "shortlist": 5,
    "use_cpu": True,
}


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_base_model) -> str:
    """A complete greenmatch model folder trained from the tiny BERT on the embedded catalogue."""
    from greenmatch.training import TrainConfig, train

    output = tmp_path_factory.mktemp("tiny-greenmatch")
    train(TrainConfig(output_dir=str(output), base_model=tiny_base_model, **TINY_TRAINING))
    return str(output)
