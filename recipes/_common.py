"""Argument parsing shared by the recipes: TrainConfig fields from the command line or a YAML file."""

import logging
import sys
from dataclasses import fields

import yaml
from transformers import HfArgumentParser

from greenmatch.training import TrainConfig, apply_preset


def parse_train_config(argv=None) -> TrainConfig:
    """Parse ``TrainConfig`` from ``--config FILE.yaml`` and command-line options.

    Options on the command line override the YAML file, and preset values fill only the
    fields that neither sets.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    file_values = {}
    if "--config" in argv:
        position = argv.index("--config")
        with open(argv[position + 1], encoding="utf-8") as handle:
            file_values = yaml.safe_load(handle) or {}
        del argv[position : position + 2]

    (cli_config,) = HfArgumentParser(TrainConfig).parse_args_into_dataclasses(args=argv)
    given = {field.name for field in fields(TrainConfig) if _given(field.name, argv)}
    values = {**file_values, **{name: getattr(cli_config, name) for name in given}}
    return apply_preset(TrainConfig(**values), explicit=set(values))


def _given(name: str, argv) -> bool:
    options = (f"--{name}", f"--{name.replace('_', '-')}")
    return any(arg.split("=")[0] in options for arg in argv)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
