"""Where trained models live by default, and how commands load one."""

import logging
import os
from pathlib import Path
from typing import Optional

from greenmatch.errors import ModelNotFoundError

logger = logging.getLogger(__name__)


def greenmatch_home() -> Path:
    """Return the folder for greenmatch's own files: ``$GREENMATCH_HOME`` or ``~/.cache/greenmatch``."""
    return Path(os.environ.get("GREENMATCH_HOME") or Path.home() / ".cache" / "greenmatch")


def default_model_dir() -> Path:
    """Return the folder that ``greenmatch quickstart`` trains the quick model into."""
    return greenmatch_home() / "models" / "quick"


def load_matcher(model: Optional[str]):
    """Load the matcher named on the command line, or the quick model trained by quickstart.

    Raises:
        ModelNotFoundError: no model was given and the quick model has not been trained yet.
    """
    from greenmatch.matcher import Matcher

    if model:
        return Matcher.from_pretrained(model)
    folder = default_model_dir()
    if not (folder / "greenmatch.json").exists():
        raise ModelNotFoundError(
            f"没有指定模型（--model），默认模型 {folder} 也不存在。"
            "请先运行 greenmatch quickstart（约 10 分钟，训练快速模型），或用 --model 指定模型文件夹或 Hub 模型 ID。"
        )
    logger.info("Using the default model at %s", folder)
    return Matcher.from_pretrained(folder)
