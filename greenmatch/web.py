"""The analysts' web page: match one text, or a whole CSV/XLSX file, in the browser.

`build_app` returns a `gradio.Blocks` page in Simplified Chinese with two tabs:

- 「单条匹配」: a text, a top-k control and a button. The page shows the 绿色 / 非绿色
  verdict with its score and threshold, a table of the ranked entries with the score drawn
  as a bar, and the top entry's matching text with the words shared with the text marked.
- 「批量匹配」: upload a file, pick the text column, run. The result file comes from
  `greenmatch.batch.match_file`, the engine behind ``greenmatch match-file``, so the page
  and the command line write the same columns.

The page loads nothing from the internet, so it works on machines with no network: analytics
are off, gradio 6 serves the default theme's fonts itself, and every style is inline. The
browser test in tests/test_web.py fails on any request to another host.

Example::

    from greenmatch.matcher import Matcher
    from greenmatch.web import build_app

    build_app(Matcher.from_pretrained("outputs/quick")).launch(server_name="127.0.0.1")
"""

import html
import logging
import os
import re
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from greenmatch.errors import GreenmatchError
from greenmatch.matcher import MatchResult
from greenmatch.tables import read_table

logger = logging.getLogger(__name__)

PAGE_TITLE = "greenmatch 绿色产业目录匹配"

# Clickable examples of the single-text tab: a project name, a loan purpose, two business
# scopes and one text that belongs to no entry.
EXAMPLES = (
    "屋顶分布式光伏发电项目，装机容量 5MW，所发电量自用为主",
    "贷款用于购买纯电动公交车 120 辆及配套充电桩建设",
    "城镇污水处理厂提标改造及污泥无害化处置工程",
    "经营范围：废旧锂离子动力电池回收、拆解及梯次利用",
    "高档写字楼装修及商业广场招商运营",
)

# Inline styles, because gradio's "prose" style for HTML output sets the text colour and the
# table borders of every element it contains (light text on light boxes in dark mode).
MARK_STYLE = "background:#fde68a;color:#111827;padding:0 1px;border-radius:2px"

DEFAULT_TOP_K = 5
MAX_TOP_K = 20
DEFAULT_BATCH_TOP_K = 3
MAX_BATCH_TOP_K = 10

# File types read_table can open; legacy .xls is rejected there with its own message.
UPLOAD_TYPES = [".csv", ".tsv", ".xlsx", ".xlsm", ".jsonl"]

# Column names that usually hold the text to match; the first present one is preselected.
TEXT_COLUMN_HINTS = ("项目名称", "贷款用途", "经营范围", "项目描述", "文本", "text", "name")

# Chinese names of the scores `MatcherConfig.verdict_score` can select.
VERDICT_SCORE_NAMES = {
    "retriever": "检索分数",
    "fused": "融合分数",
    "cross_encoder": "交叉编码器原始分数",
}

# Han characters (CJK Unified Ideographs, extension A and compatibility ideographs) and
# runs of Latin letters and digits, the two kinds of units the highlighter compares.
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD_RUN = re.compile(r"[A-Za-z0-9]+")


# --- highlighting --------------------------------------------------------------------------


def _shared_units(query: str) -> Tuple[set, set]:
    """Return the Han character bigrams and the lower-cased Latin words of a query."""
    bigrams = set()
    for run in _HAN_RUN.findall(query):
        bigrams.update(run[i : i + 2] for i in range(len(run) - 1))
    words = {word.lower() for word in _WORD_RUN.findall(query) if len(word) >= 2 and not word.isdigit()}
    return bigrams, words


def shared_spans(query: str, text: str) -> List[Tuple[int, int]]:
    """Find the parts of ``text`` that also occur in ``query``.

    Chinese is compared by character bigrams, not by jieba words or single characters:

    - single characters are too common to mean anything (的、和、设、业 occur in most entries);
    - jieba cuts a short query and a formal entry text differently (光伏电站 in one, 光伏 and
      发电 in the other), so shared words are missed, while the bigram 光伏 is found in both;
    - bigrams need no dictionary and give the same marks on every machine.

    Latin words and codes (LED, PM2, MW) are compared whole and case-insensitively, with at
    least two characters. Pure numbers are not marked, because a shared 2019 or 300 is no
    evidence for the entry.

    Args:
        query: the text an analyst typed.
        text: the entry text to mark, usually `Entry.matching_text`.

    Returns:
        Sorted, non-overlapping ``(start, end)`` character spans of ``text`` (end exclusive),
        adjacent matches merged into one span.
    """
    bigrams, words = _shared_units(query)
    marked = [False] * len(text)

    for run in _HAN_RUN.finditer(text):
        for i in range(run.start(), run.end() - 1):
            if text[i : i + 2] in bigrams:
                marked[i] = marked[i + 1] = True

    for word in _WORD_RUN.finditer(text):
        if word.group().lower() in words:
            marked[word.start() : word.end()] = [True] * (word.end() - word.start())

    spans = []
    start = None
    for position, is_marked in enumerate(marked + [False]):
        if is_marked and start is None:
            start = position
        elif not is_marked and start is not None:
            spans.append((start, position))
            start = None
    return spans


def highlight_shared(query: str, text: str) -> str:
    """Return ``text`` as escaped HTML with the parts shared with ``query`` wrapped in ``<mark>``.

    The marks carry their own text colour, so they stay readable in gradio's dark mode.
    """
    pieces = []
    cursor = 0
    for start, end in shared_spans(query, text):
        pieces.append(html.escape(text[cursor:start]))
        pieces.append(f'<mark style="{MARK_STYLE}">{html.escape(text[start:end])}</mark>')
        cursor = end
    pieces.append(html.escape(text[cursor:]))
    return "".join(pieces)


# --- rendering ---------------------------------------------------------------------------


def score_bar(score: float) -> str:
    """Return an inline-styled bar whose filled width is the score, with the number beside it.

    Scores lie in (-1, 1), and 0 is where the model's green threshold sits (see
    `Matcher.display_score`). The bar fills ``(score + 1) / 2`` of its width: green at or
    above 0, grey below.
    """
    width = (max(-1.0, min(1.0, float(score))) + 1.0) / 2 * 100
    colour = "#16a34a" if score >= 0 else "#9ca3af"
    return (
        '<div style="display:flex;align-items:center;gap:8px;min-width:160px">'
        '<div style="flex:1;height:10px;background:#e5e7eb;border-radius:5px;overflow:hidden">'
        f'<div class="gm-bar" style="width:{width:.1f}%;height:100%;background:{colour}"></div>'
        "</div>"
        f'<span style="font-variant-numeric:tabular-nums">{float(score):.4f}</span>'
        "</div>"
    )


def render_results_table(result: MatchResult, catalogue=None) -> str:
    """Render the ranked entries of one text as an HTML table.

    Columns: 排名, 代码, 条目名称, 一级类别, 二级类别, 分数 (a bar). When ``catalogue`` is given,
    each title cell also contains the entry's matching text, folded, with the words shared with
    the query marked.

    Args:
        result: the matcher's result for one text.
        catalogue: the `Catalogue` the matcher uses, to look up the entries' matching texts.
    """
    # Borders are set inline on every row and cell to replace the prose style's grid.
    cell_style = "padding:6px 10px;border:none;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top"
    cell = f'style="{cell_style}"'
    narrow_cell = f'style="{cell_style};white-space:nowrap"'
    level1_cell = f'style="{cell_style};min-width:7em"'
    level2_cell = f'style="{cell_style};min-width:10em"'
    header_cell = 'style="padding:6px 10px;border:none;border-bottom:2px solid #9ca3af;text-align:left;white-space:nowrap"'
    headers = ["排名", "代码", "条目名称", "一级类别", "二级类别", "分数"]
    head = "".join(f"<th {header_cell}>{name}</th>" for name in headers)

    rows = []
    for match in result.matches:
        title = html.escape(match.title)
        entry = catalogue.get(match.code) if catalogue is not None else None
        if entry is not None:
            title += (
                '<details style="margin-top:4px;font-size:0.9em">'
                '<summary style="cursor:pointer">条目说明</summary>'
                f'<div style="margin-top:4px;line-height:1.6">{highlight_shared(result.text, entry.matching_text)}</div>'
                "</details>"
            )
        rows.append(
            f'<tr data-code="{html.escape(match.code)}" style="border:none">'
            f"<td {narrow_cell}>{match.rank}</td>"
            f'<td {narrow_cell}><span class="gm-code">{html.escape(match.code)}</span></td>'
            f"<td {cell}>{title}</td>"
            f"<td {level1_cell}>{html.escape(match.level1)}</td>"
            f"<td {level2_cell}>{html.escape(match.level2)}</td>"
            f"<td {cell}>{score_bar(match.score)}</td>"
            "</tr>"
        )
    return (
        '<table class="gm-results" style="width:100%;border:none;border-collapse:collapse;font-size:0.95em">'
        f'<thead><tr style="border:none">{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_verdict(result: MatchResult, verdict_score: str = "retriever", default_threshold: bool = False) -> str:
    """Render the 绿色 / 非绿色 verdict with the verdict score, the threshold and their notes.

    Args:
        result: the matcher's result for one text.
        verdict_score: which score the threshold applies to (`MatcherConfig.verdict_score`).
        default_threshold: True when the model's threshold is the uncalibrated default.
    """
    score_name = VERDICT_SCORE_NAMES.get(verdict_score, verdict_score)
    if result.is_green:
        colours = ("#16a34a", "#f0fdf4", "#14532d")
        headline = "结论：绿色"
        comparison = f"判定分数 {result.verdict_score:.4f}（{score_name}）≥ 阈值 {result.threshold:.4f}"
    else:
        colours = ("#9ca3af", "#f3f4f6", "#1f2937")
        headline = "结论：非绿色"
        comparison = (
            f"判定分数 {result.verdict_score:.4f}（{score_name}）&lt; 阈值 {result.threshold:.4f}，"
            "没有足够接近的目录条目。下表列出最接近的条目，仅供参考。"
        )
    border, background, text_colour = colours

    notes = []
    if default_threshold:
        notes.append(
            f"注意：该模型没有用标注数据校准非绿色阈值，使用的是默认阈值 {result.threshold:.2f}，结论仅供参考。"
        )
    if result.truncated:
        notes.append("提示：文本超过模型的最大长度，超出部分未参与匹配。")
    note_html = "".join(f'<div style="margin-top:6px;font-size:0.9em;color:{text_colour}">{note}</div>' for note in notes)

    verdict_class = "gm-green" if result.is_green else "gm-not-green"
    return (
        f'<div class="gm-verdict {verdict_class}" style="border-left:6px solid {border};background:{background};'
        f'color:{text_colour};padding:12px 16px;border-radius:6px">'
        f'<div style="font-size:1.35em;font-weight:600;color:{text_colour}">{headline}</div>'
        f'<div style="margin-top:4px;color:{text_colour}">{comparison}</div>{note_html}</div>'
    )


def render_entry_text(result: MatchResult, catalogue) -> str:
    """Render the top entry's matching text with the parts shared with the query marked."""
    top = result.top
    entry = catalogue.get(top.code) if top is not None else None
    if entry is None:
        return ""
    return (
        '<div class="gm-entry-text" style="border:1px solid #e5e7eb;border-radius:6px;padding:12px 16px;line-height:1.7">'
        f'<div style="font-weight:600;margin-bottom:6px">排名第一的条目 {html.escape(entry.code)} {html.escape(entry.title)}'
        '<span style="font-weight:400;color:#6b7280">（与输入文本相同的词语已标出）</span></div>'
        f"<div>{highlight_shared(result.text, entry.matching_text)}</div></div>"
    )


def describe_model(matcher) -> str:
    """Return one Markdown line naming the model, the catalogue and the threshold."""
    config = matcher.config
    source = str(matcher.path) if matcher.path is not None else "内存中的模型"
    calibrated = "未校准的默认值" if config.threshold_source == "default" else "已用标注数据校准"
    return (
        f"模型：`{source}` ｜ 目录：{matcher.catalogue.title}（{len(matcher.catalogue)} 个三级条目）｜ "
        f"非绿色阈值：{config.threshold:.4f}（{VERDICT_SCORE_NAMES.get(config.verdict_score, config.verdict_score)}，{calibrated}）"
    )


# --- handlers ----------------------------------------------------------------------------


def match_text(matcher, text: Optional[str], top_k: float) -> Tuple[str, str, str]:
    """Match one text and render the verdict, the results table and the top entry's text.

    Returns:
        ``(verdict_html, table_html, entry_html)``; three empty strings, with a warning shown
        on the page, when the text is empty.
    """
    import gradio as gr

    text = (text or "").strip()
    if not text:
        gr.Warning("请先输入要匹配的文本（项目名称、贷款用途或经营范围）。", title="提示")
        return "", "", ""

    result = matcher.match(text, top_k=int(top_k))
    logger.info("Web match: %d characters, top entry %s, green %s", len(text), result.top.code if result.top else None, result.is_green)
    default_threshold = matcher.config.threshold_source == "default"
    return (
        render_verdict(result, matcher.config.verdict_score, default_threshold),
        render_results_table(result, matcher.catalogue),
        render_entry_text(result, matcher.catalogue),
    )


def choose_text_column(columns: Sequence[str]) -> Optional[str]:
    """Return the column to preselect: the first one named like a text column, else None.

    Preselecting an arbitrary column matched a title row's cells (序号, 1, 2, 合计) as texts
    without a warning, so without a known name the analyst chooses.
    """
    for hint in TEXT_COLUMN_HINTS:
        for column in columns:
            if column.strip().lower() == hint.lower():
                return column
    return None


def read_columns(path: Optional[str]) -> Tuple[List[str], Optional[str], str]:
    """Read an uploaded file's header.

    Returns:
        ``(columns, preselected_column, status_html)``; no columns and an error box in the
        status when the file cannot be read.
    """
    import gradio as gr

    if not path:
        return [], None, ""
    try:
        frame = read_table(path)
    except GreenmatchError as error:
        logger.warning("Web upload rejected: %s", error)
        message = hide_server_folders(str(error), path)
        gr.Warning(html.escape(message), title="无法读取文件")
        return [], None, render_error(message)

    columns = list(frame.columns)
    if not columns:
        message = f"文件 {Path(path).name} 没有表头。请在第一行写上列名后再上传。"
        logger.warning("Web upload rejected: %s has no header", path)
        gr.Warning(html.escape(message), title="无法读取文件")
        return [], None, render_error(message)
    status = render_info(f"已读取 {Path(path).name}：{len(frame)} 行，{len(columns)} 列。请选择文本所在的列，然后开始匹配。")
    return columns, choose_text_column(columns), status


def output_path_for(input_path: str) -> Path:
    """Return where the result of an uploaded file goes: beside the upload, as CSV or XLSX.

    Uploads live in gradio's cache folder, so the result is removed with them when the
    cache is cleared. A CSV upload gives a CSV result; every other format gives XLSX, the
    other output format `match_file` writes.
    """
    source = Path(input_path)
    suffix = ".csv" if source.suffix.lower() == ".csv" else ".xlsx"
    return source.with_name(f"{source.stem}_匹配结果{suffix}")


def run_batch(matcher, path: Optional[str], column: Optional[str], top_k: float, progress=None) -> Tuple[str, Optional[str]]:
    """Match every row of an uploaded file with `greenmatch.batch.match_file`.

    Args:
        matcher: the loaded `Matcher`.
        path: the uploaded file.
        column: the column that contains the texts.
        top_k: entries written per row.
        progress: a `gradio.Progress`; made with ``track_tqdm=True`` it follows match_file's tqdm bar.

    Returns:
        ``(status_html, output_path)``; the output path is None when the file was rejected.
    """
    import gradio as gr

    from greenmatch.batch import existing_progress_paths, match_file

    if not path:
        gr.Warning("请先上传 CSV 或 XLSX 文件。", title="提示")
        return render_error("请先上传 CSV 或 XLSX 文件。"), None
    if not column:
        gr.Warning("请选择文本所在的列。", title="提示")
        return render_error("请选择文本所在的列。"), None

    output = output_path_for(path)

    # The output folder belongs to this upload, so a progress file there is left by an
    # earlier web run that was cut off. The page has no resume button: start over.
    for leftover in existing_progress_paths(output):
        logger.info("Removing the progress file %s of an interrupted web run", leftover)
        leftover.unlink()

    if progress is not None:
        progress(0, desc="正在匹配…")
    try:
        summary = match_file(matcher, path, column, output, top_k=int(top_k), progress=True)
    except GreenmatchError as error:
        logger.warning("Web batch of %s failed: %s", path, error)
        message = hide_server_folders(str(error), path, output)
        gr.Warning(html.escape(message), title="批量匹配失败")
        return render_error(message), None

    logger.info("Web batch of %s: %d rows written to %s", path, summary.rows, output)
    return render_info(describe_summary(summary)), str(output)


def describe_summary(summary) -> str:
    """Return the Chinese summary of a finished batch, naming the result file without its server path."""
    text = (
        f"已完成：共 {summary.rows} 行，用时 {summary.seconds:.1f} 秒。"
        f"绿色 {summary.green} 行，非绿色 {summary.not_green} 行，文本为空而跳过 {summary.empty} 行。"
    )
    if summary.truncated:
        shown = "、".join(str(row) for row in summary.truncated_rows[:20])
        more = " 等" if summary.truncated > 20 else ""
        text += f"超长文本 {summary.truncated} 行只用开头部分匹配，行号（表头为第 1 行）：{shown}{more}。"
    if summary.default_threshold:
        text += "注意：该模型没有用标注数据校准非绿色阈值，“是否绿色”一列按默认阈值判定。"
    return text + f"请在下方下载结果文件 {Path(summary.output_path).name}。"


def hide_server_folders(message: str, *paths) -> str:
    """Remove the folders of ``paths`` from an error message, leaving the file names.

    Uploads and results lie in gradio's cache folder on the server, e.g.
    ``/tmp/gradio/<hash>/贷款.csv``; a visitor needs only the file name.
    """
    folders = set()
    for path in paths:
        if path:
            folders.update({str(Path(path).parent), str(Path(path).resolve().parent)})
    folders -= {".", os.sep}
    # Remove the longer paths first, so that a folder inside another is removed whole.
    for folder in sorted(folders, key=len, reverse=True):
        message = message.replace(folder + os.sep, "")
    return message


def render_error(message: str) -> str:
    return (
        '<div class="gm-error" style="border-left:6px solid #dc2626;background:#fef2f2;color:#7f1d1d;'
        f'padding:10px 14px;border-radius:6px">错误：{html.escape(message)}</div>'
    )


def render_info(message: str) -> str:
    return (
        '<div class="gm-info" style="border-left:6px solid #2563eb;background:#eff6ff;color:#1e3a8a;'
        f'padding:10px 14px;border-radius:6px">{html.escape(message)}</div>'
    )


# --- the page ----------------------------------------------------------------------------


def build_app(matcher):
    """Build the web page for one loaded matcher.

    Args:
        matcher: a loaded `greenmatch.matcher.Matcher`; it is shared by all visitors.

    Returns:
        A `gradio.Blocks`; call ``.launch(server_name="127.0.0.1")`` to serve it.
    """
    import gradio as gr

    # delete_cache: every hour, remove uploads and results older than a day.
    with gr.Blocks(title=PAGE_TITLE, analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        gr.Markdown(
            "# 绿色产业目录匹配\n"
            "把项目名称、贷款用途或经营范围匹配到绿色产业目录的三级条目，"
            "并判断是否属于绿色产业（判定分数低于阈值即为非绿色）。\n\n" + describe_model(matcher)
        )

        with gr.Tab("单条匹配", id="single"):
            _build_single_tab(gr, matcher)

        with gr.Tab("批量匹配", id="batch"):
            _build_batch_tab(gr, matcher)

    return demo


def _build_single_tab(gr, matcher) -> None:
    with gr.Row():
        query = gr.Textbox(
            label="文本",
            info="一次一条：项目名称、贷款用途或公司经营范围",
            placeholder="例如：屋顶分布式光伏发电项目",
            lines=3,
            max_lines=8,
            scale=4,
            elem_id="query",
        )
        with gr.Column(scale=1, min_width=200):
            top_k = gr.Slider(1, MAX_TOP_K, value=DEFAULT_TOP_K, step=1, label="显示前几个条目", elem_id="top-k")
            button = gr.Button("匹配", variant="primary", elem_id="match-button")

    gr.Examples(examples=[[text] for text in EXAMPLES], inputs=[query], label="示例（点击填入）")
    verdict = gr.HTML(elem_id="verdict")
    table = gr.HTML(elem_id="results")
    entry_text = gr.HTML(elem_id="entry-text")

    def on_match(text, k):
        return match_text(matcher, text, k)

    button.click(on_match, inputs=[query, top_k], outputs=[verdict, table, entry_text], api_name="match")


def _build_batch_tab(gr, matcher) -> None:
    gr.Markdown(
        "上传 CSV 或 XLSX 文件（XLSX 读取第一个工作表），选择文本所在的列，然后开始匹配。"
        "结果文件保留原有各列，并为每条文本添加前几个条目的代码、名称、分数和绿色/非绿色结论，"
        "与命令 `greenmatch match-file` 的输出相同。"
    )
    with gr.Row():
        upload = gr.File(label="上传文件（CSV 或 XLSX）", file_types=UPLOAD_TYPES, type="filepath", scale=2, elem_id="batch-file")
        with gr.Column(scale=1, min_width=220):
            # allow_custom_value lets API clients name the column; run_batch checks it against the table.
            column = gr.Dropdown(
                choices=[], value=None, allow_custom_value=True, label="文本所在列", info="上传文件后从表头中选择", elem_id="batch-column"
            )
            top_k = gr.Slider(1, MAX_BATCH_TOP_K, value=DEFAULT_BATCH_TOP_K, step=1, label="每条文本保留前几个条目", elem_id="batch-top-k")
            button = gr.Button("开始批量匹配", variant="primary", elem_id="batch-button")
    status = gr.HTML(elem_id="batch-status")
    result_file = gr.File(label="下载结果文件", interactive=False, elem_id="batch-result")

    def on_upload(path):
        columns, selected, message = read_columns(path)
        return gr.update(choices=columns, value=selected), message, None

    def on_run(path, text_column, k, progress=gr.Progress(track_tqdm=True)):
        return run_batch(matcher, path, text_column, k, progress)

    upload.change(on_upload, inputs=[upload], outputs=[column, status, result_file], api_name=False)
    button.click(on_run, inputs=[upload, column, top_k], outputs=[status, result_file], api_name="match_file")
