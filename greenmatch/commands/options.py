"""Argparse value types shared by the subcommands, with Chinese messages.

argparse prints an `argparse.ArgumentTypeError` after the option's name, on stderr, and exits
with code 2 before a command loads any data or model.
"""

import argparse
import math
import typing


def integer(value: str) -> int:
    """Parse an integer."""
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数，实际为“{value}”") from None


def number(value: str) -> float:
    """Parse a finite number, written as an integer, a decimal or in scientific notation."""
    try:
        parsed = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为数字，实际为“{value}”") from None
    # NaN passes every range check, and no setting takes an infinite value.
    if not math.isfinite(parsed):
        raise argparse.ArgumentTypeError(f"应为有限的数字，实际为“{value}”")
    return parsed


def positive_int(value: str) -> int:
    """Parse an integer of at least 1."""
    parsed = integer(value)
    if parsed < 1:
        raise argparse.ArgumentTypeError(f"应为正整数（至少为 1），实际为 {parsed}")
    return parsed


def shortlist_size(value: str) -> int:
    """Parse a shortlist size: 0 (score every entry) or a positive number of entries."""
    parsed = integer(value)
    if parsed < 0:
        raise argparse.ArgumentTypeError(f"应为正整数，或 0（对全部条目打分），实际为 {parsed}")
    return parsed


def precision_target(value: str) -> float:
    """Parse a target precision: a number above 0 and at most 1."""
    parsed = number(value)
    if not 0.0 < parsed <= 1.0:
        raise argparse.ArgumentTypeError(f"应为大于 0、不超过 1 的小数（例如 0.9 表示 90%），实际为 {value}")
    return parsed


def port_number(value: str) -> int:
    """Parse a TCP port from 1 to 65535."""
    parsed = integer(value)
    if not 0 < parsed < 65536:
        raise argparse.ArgumentTypeError(f"端口应在 1 到 65535 之间，实际为 {parsed}")
    return parsed


def annotation_type_name(annotation) -> str:
    """Return ``bool``, ``int``, ``float`` or ``str`` for a dataclass field annotation.

    ``Optional[float]`` yields ``float``: its ``__name__`` is "Optional", so the arguments are
    read first. A string annotation (from ``from __future__ import annotations``) is searched
    for the type names.
    """
    if isinstance(annotation, str):
        return next((name for name in ("bool", "int", "float") if name in annotation), "str")
    candidates = [argument for argument in typing.get_args(annotation) if argument is not type(None)] or [annotation]
    name = getattr(candidates[0], "__name__", str(candidates[0]))
    return name if name in ("bool", "int", "float") else "str"
