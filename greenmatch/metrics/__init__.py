"""Evaluation metrics shipped with greenmatch as local `evaluate` modules.

`evaluate.load("accuracy")` fetches its script from the Hugging Face Hub. The
modules here are loaded from their script path instead, so `load_metric` works
without network access.
"""

from pathlib import Path

import evaluate

_METRICS_DIR = Path(__file__).resolve().parent

# Each name is a folder of this package that contains the script `<name>.py`.
AVAILABLE_METRICS = ("retrieval", "not_green")


def load_metric(name: str, **load_kwargs) -> evaluate.EvaluationModule:
    """Load one of the metrics in AVAILABLE_METRICS from its local script.

    Extra keyword arguments go to `evaluate.load`, for example
    `keep_in_memory=True` or `cache_dir`.

    Raises:
        ValueError: if `name` is not in AVAILABLE_METRICS.
    """
    if name not in AVAILABLE_METRICS:
        available = "、".join(AVAILABLE_METRICS)
        raise ValueError(f"未知的指标名称：{name!r}。可用的指标有：{available}。")

    # A path to an existing .py file makes evaluate build the module from that
    # file and never query the Hub (checked against evaluate 0.4.6).
    script_path = _METRICS_DIR / name / f"{name}.py"
    return evaluate.load(str(script_path), **load_kwargs)
