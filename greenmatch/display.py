"""Plain-text tables for the terminal, aligned for Chinese characters (two columns wide each)."""

import unicodedata
from typing import List, Sequence

from greenmatch.matcher import MatchResult


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in str(text))


def truncate(text: str, width: int) -> str:
    text = str(text)
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for char in text:
        char_width = display_width(char)
        if used + char_width > width - 1:
            break
        out += char
        used += char_width
    return out + "…"


def format_table(headers: Sequence[str], rows: List[Sequence], max_widths: Sequence[int] = ()) -> str:
    """Format rows as a table with one space-padded column per header."""
    cells = [[str(value) for value in row] for row in rows]
    if max_widths:
        cells = [[truncate(value, max_widths[i]) if i < len(max_widths) and max_widths[i] else value for i, value in enumerate(row)] for row in cells]
    widths = [max([display_width(h)] + [display_width(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(value + " " * (widths[i] - display_width(value)) for i, value in enumerate(values)).rstrip()

    separator = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), separator] + [line(row) for row in cells])


def format_result(result: MatchResult, default_threshold: bool = False) -> str:
    """Format one text's matches and verdict as the CLI prints them."""
    headers = ["排名", "代码", "条目名称", "一级类别", "二级类别", "分数"]
    rows = [[m.rank, m.code, m.title, m.level1, m.level2, f"{m.score:.4f}"] for m in result.matches]
    table = format_table(headers, rows, max_widths=(0, 0, 40, 16, 24, 0))
    verdict = "绿色" if result.is_green else "非绿色"
    note = "（未校准的默认阈值）" if default_threshold else ""
    lines = [f"文本：{result.text}", table, f"结论：{verdict}（判定分数 {result.verdict_score:.4f}，阈值 {result.threshold:.4f}{note}）"]
    if result.truncated:
        lines.append("提示：文本超过模型的最大长度，超出部分未参与匹配。")
    return "\n".join(lines)
