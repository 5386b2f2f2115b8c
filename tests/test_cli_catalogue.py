"""Tests for ``greenmatch catalogue show``.

Most tests build a parser with only the catalogue command and call ``args.run(args)``, so
they run before the other subcommand modules exist. The exit-code test goes through
``greenmatch.cli.main`` with its command list narrowed to the modules that import.
"""

import argparse
import importlib
import re

import pytest

from greenmatch import cli
from greenmatch.commands import catalogue as catalogue_command


def missing_command_modules() -> list:
    missing = []
    for name in cli.COMMANDS:
        try:
            importlib.import_module(f"greenmatch.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"greenmatch.commands.{name}":
                raise  # the module exists but one of its imports is missing
            missing.append(name)
    return missing


def run_catalogue_command(argv) -> int:
    parser = argparse.ArgumentParser(prog="greenmatch")
    subparsers = parser.add_subparsers(dest="command")
    catalogue_command.add_parser(subparsers)
    args = parser.parse_args(argv)
    return args.run(args)


def run_main(argv, monkeypatch) -> int:
    """Call ``cli.main`` with only the subcommands whose modules import, leaving cli.py unchanged."""
    missing = missing_command_modules()
    available = tuple(name for name in cli.COMMANDS if name not in missing)
    monkeypatch.setattr(cli, "COMMANDS", available)
    return cli.main(argv)


def tree_lines(output: str) -> dict:
    lines = output.splitlines()
    return {
        "level1": [line for line in lines if re.match(r"^\d+ \S", line)],
        "level2": [line for line in lines if re.match(r"^  \d+\.\d+ \S", line)],
        "entries": [line for line in lines if re.match(r"^    \d+\.\d+\.\d+ \S", line)],
    }


def test_show_tree(capsys):
    exit_code = run_catalogue_command(["catalogue", "show"])
    lines = tree_lines(capsys.readouterr().out)

    assert exit_code == 0
    assert len(lines["level1"]) == 6
    assert len(lines["level2"]) == 30
    assert len(lines["entries"]) == 211


def test_show_tree_heading(capsys):
    run_catalogue_command(["catalogue", "show"])
    first_line = capsys.readouterr().out.splitlines()[0]

    assert first_line == "绿色产业指导目录（2019年版）：6 个一级、30 个二级、211 个三级条目"


def test_show_entry(capsys):
    exit_code = run_catalogue_command(["catalogue", "show", "5.2.5"])
    output = capsys.readouterr().out

    assert exit_code == 0
    assert "代码：5.2.5" in output
    assert "名称：充电、换电、加氢和加气设施建设和运营" in output
    assert "二级：5.2 " in output
    assert "关键词：" in output


def test_show_unknown_code(capsys):
    exit_code = run_catalogue_command(["catalogue", "show", "9.9.9"])
    output = capsys.readouterr().err

    assert exit_code == 2
    assert "目录中没有代码为“9.9.9”的三级条目" in output


def test_show_official_csv_tree(capsys, shared_catalogue_dir):
    path = shared_catalogue_dir / "gigc2019_from_official_pdf.csv"
    exit_code = run_catalogue_command(["catalogue", "show", "--catalogue", str(path)])
    lines = tree_lines(capsys.readouterr().out)

    assert exit_code == 0
    assert len(lines["level1"]) == 6
    assert len(lines["entries"]) == 211


def test_show_official_csv_entry(capsys, shared_catalogue_dir):
    path = shared_catalogue_dir / "gigc2019_from_official_pdf.csv"
    exit_code = run_catalogue_command(["catalogue", "show", "1.1.2", "--catalogue", str(path)])
    output = capsys.readouterr().out

    assert exit_code == 0
    assert "名称：节能窑炉制造" in output
    assert "官方解释：" in output


def test_show_named_columns(capsys, tmp_path):
    path = tmp_path / "named.csv"
    path.write_text("编号,名称,说明\n3.2.2,太阳能利用设施建设和运营,建设并运营光伏电站。\n", encoding="utf-8")
    exit_code = run_catalogue_command(
        ["catalogue", "show", "3.2.2", "--catalogue", str(path), "--columns", "code=编号,title=名称,text=说明"]
    )
    output = capsys.readouterr().out

    assert exit_code == 0
    assert "说明（用于匹配）：建设并运营光伏电站。" in output


def test_main_broken_catalogue(capsys, monkeypatch, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("编号,名称\n1.1.1,节能锅炉制造\n", encoding="utf-8")
    exit_code = run_main(["catalogue", "show", "--catalogue", str(path)], monkeypatch)
    captured = capsys.readouterr()

    assert exit_code == 2
    assert captured.err.startswith("错误：")
    assert str(path) in captured.err
    assert "无法识别目录文件" in captured.err
    assert captured.out == ""


def test_main_show_entry(capsys, monkeypatch):
    exit_code = run_main(["catalogue", "show", "1.1.1"], monkeypatch)

    assert exit_code == 0
    assert "名称：节能锅炉制造" in capsys.readouterr().out


def test_main_all_commands_show_tree(capsys):
    missing = missing_command_modules()
    if missing:
        pytest.skip(f"command modules not written yet: {', '.join(missing)}")

    exit_code = cli.main(["catalogue", "show"])
    lines = tree_lines(capsys.readouterr().out)

    assert exit_code == 0
    assert len(lines["entries"]) == 211


def test_show_full_width_code(capsys):
    exit_code = run_catalogue_command(["catalogue", "show", " ５．２．５ "])
    output = capsys.readouterr().out

    assert exit_code == 0
    assert "代码：5.2.5" in output
