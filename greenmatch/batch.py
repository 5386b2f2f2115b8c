"""Batch matching of a CSV or XLSX column, resumable after an interruption.

The output table keeps every input column in its order and appends, for each rank ``r`` from
1 to ``top_k``:

    第r匹配代码   the code of the r-th entry, e.g. 3.2.2
    第r匹配条目   the title of that entry
    第r匹配分数   its score, as `Match.score` (tanh of the fused score, -1 to 1)

followed by

    是否绿色      是 or 否; empty where the text cell is empty
    判定分数      the score the not-green threshold was applied to (`MatchResult.verdict_score`)
    文本已截断    是 where the text was longer than the models read, so that only its start was
                  matched; empty otherwise

Input values. The text column is read as text for matching (`greenmatch.tables.cell_text`),
but every input cell is written back as the input stored it: XLSX numbers, dates and
booleans keep their types, and CSV cells keep their exact spelling. A table whose header
repeats a column name is rejected before matching, and so is a table with a cell that an XLSX
output cannot store (more than 32,767 characters, or a control character).
NOTE: CSV has no cell types, so a CSV input written as XLSX output has text cells throughout,
numbers included. They are not converted, because a conversion would also turn codes such as
3.10 or 18-digit credit codes into rounded numbers.

Rows are matched in chunks of ``chunk_size`` consecutive rows. Chunk ``k`` contains rows
``k * chunk_size`` to ``(k + 1) * chunk_size - 1``. A chunk is therefore encoded as the same
batch whether it runs in one process, in several (``recipes/match_batch.py``) or after a
resume, so the scores do not depend on how the work was split.

Progress file. Every finished chunk is appended to ``OUT.partial.jsonl`` beside the output
(``OUT.partial.<process index>.jsonl`` for each process of the recipe) and flushed to disk
with fsync before the next chunk starts. The first line is a header describing the run:

    {"kind": "header", "format": 1, "input": {"path", "size", "mtime", "sha256"}, "sheet",
     "column", "rows", "top_k", "shortlist", "chunk_size", "model", "model_config_sha256"}

and every further line is one chunk:

    {"kind": "chunk", "chunk": k, "rows": [{"row", "codes", "titles", "scores", "is_green",
     "verdict_score", "truncated"}, ...]}

A resumed run reads every progress file of the output, checks that its header describes the
same input file (by SHA-256), sheet, column, top_k, shortlist and model, and matches only the
chunks that are missing. A last line cut short by a killed process is dropped. When all
chunks are done the output is written to a temporary file and renamed into place, and the
progress files are removed.
"""

import hashlib
import json
import logging
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import pandas as pd
from tqdm import tqdm

from greenmatch.errors import InputFileError, OutputLocationError, check_writable_folder, os_error_reason
from greenmatch.tables import XLSX_LIMITS_ADVICE, cell_text, read_table, write_table, xlsx_cell_problems

logger = logging.getLogger(__name__)

OUTPUT_SUFFIXES = (".csv", ".xlsx")
OUTPUT_SHEET_NAME = "匹配结果"
GREEN_COLUMN = "是否绿色"
VERDICT_SCORE_COLUMN = "判定分数"
TRUNCATED_COLUMN = "文本已截断"
GREEN_VALUES = {True: "是", False: "否", None: ""}
PROGRESS_FORMAT = 1

# Header fields that must be equal for a resumed run to continue another run's progress,
# with the name the error message gives each one.
RESUME_FIELDS = {
    "input_sha256": "输入文件内容",
    "sheet": "工作表（--sheet）",
    "column": "文本列（--column）",
    "top_k": "--top-k",
    "shortlist": "重排候选数（--shortlist）",
    "model": "模型（--model）",
    "model_config_sha256": "模型设置文件 greenmatch.json",
}


class ColumnNotFoundError(InputFileError):
    """The text column named by the user is not in the input table."""


class ColumnConflictError(InputFileError):
    """The input table already has a column with the name of a result column."""


class OutputPathError(InputFileError):
    """The output path is the input file, a folder, has a suffix other than .csv or .xlsx, or cannot be written."""


class BatchSettingError(InputFileError):
    """A numeric setting of batch matching (top_k, chunk_size) is out of range."""


class ProgressFileError(InputFileError):
    """A progress file exists without resume, belongs to another run, or is damaged."""


def rank_columns(rank: int) -> List[str]:
    """Return the names of the code, title and score columns for one rank, e.g. 第1匹配代码."""
    return [f"第{rank}匹配代码", f"第{rank}匹配条目", f"第{rank}匹配分数"]


def result_columns(top_k: int) -> List[str]:
    """Return the names of all columns batch matching appends, in output order."""
    columns = []
    for rank in range(1, top_k + 1):
        columns.extend(rank_columns(rank))
    return columns + [GREEN_COLUMN, VERDICT_SCORE_COLUMN, TRUNCATED_COLUMN]


def progress_path(output_path, process_index: Optional[int] = None) -> Path:
    """Return the progress file of an output: ``OUT.partial.jsonl``, or ``OUT.partial.<i>.jsonl`` for process i."""
    output_path = Path(output_path)
    if process_index is None:
        return output_path.with_name(f"{output_path.name}.partial.jsonl")
    return output_path.with_name(f"{output_path.name}.partial.{process_index}.jsonl")


def existing_progress_paths(output_path) -> List[Path]:
    """Return the progress files of an output that exist, from a single run or from any process of the recipe."""
    output_path = Path(output_path)
    if not output_path.parent.is_dir():
        return []
    pattern = re.compile(re.escape(output_path.name) + r"\.partial(\.\d+)?\.jsonl")
    return sorted(path for path in output_path.parent.iterdir() if pattern.fullmatch(path.name) and path.is_file())


@dataclass
class RowResult:
    """The matches of one input row, as stored in a progress file.

    ``is_green`` and ``verdict_score`` are None when the text cell is empty.
    """

    row: int
    codes: List[str] = field(default_factory=list)
    titles: List[str] = field(default_factory=list)
    scores: List[float] = field(default_factory=list)
    is_green: Optional[bool] = None
    verdict_score: Optional[float] = None
    truncated: bool = False

    @property
    def empty(self) -> bool:
        return self.is_green is None


@dataclass
class BatchSummary:
    """Counts and timing of one batch-matching call.

    Args:
        output_path: the table written.
        rows: rows in the output (every input row).
        matched: rows matched by this call, empty ones included.
        resumed: rows whose results were taken from the progress files of an earlier run.
        empty: rows whose text cell was empty, left without matches.
        truncated: rows whose text was longer than the model's input limit, so only the
            beginning was matched.
        truncated_rows: their row numbers as a spreadsheet shows them (the header is row 1).
        green: rows judged green.
        not_green: rows judged not green.
        seconds: wall time of this call.
        default_threshold: the model's not-green threshold is the uncalibrated default.
    """

    output_path: Path
    rows: int
    matched: int
    resumed: int
    empty: int
    truncated: int
    truncated_rows: List[int]
    green: int
    not_green: int
    seconds: float
    default_threshold: bool = False


@dataclass
class Progress:
    """The chunks finished so far, read from the progress files of an output.

    Args:
        chunk_size: the chunk size of the run; a resumed run keeps the size it started with.
        chunks: finished chunks by chunk index.
        valid_bytes: for each progress file, the length of its intact part (a last line cut
            short by a killed process is not counted).
    """

    chunk_size: int
    chunks: Dict[int, List[RowResult]] = field(default_factory=dict)
    valid_bytes: Dict[Path, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.chunks.values())


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entry list to disk, so a newly created file survives a crash."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder this way, and it does not need to
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class BatchJob:
    """A checked request to match one column of a table and write the results.

    `prepare` does every check that needs no model (settings, paths, the table and its
    column, leftover progress files), so a command can report these errors before it
    spends time loading a model. `run` matches and writes.

    Example::

        job = BatchJob.prepare("loans.xlsx", "贷款用途", "loans_matched.xlsx", top_k=3)
        summary = job.run(Matcher.from_pretrained("outputs/quick"))
        print(format_summary(summary))
    """

    def __init__(self, input_path: Path, column: str, output_path: Path, table: pd.DataFrame, top_k: int, chunk_size: int, resume: bool, sheet: Optional[str]):
        self.input_path = input_path
        self.column = column
        self.output_path = output_path
        self.table = table
        self.texts = [cell_text(value).strip() for value in table[column]]
        self.top_k = top_k
        self.chunk_size = chunk_size
        self.resume = resume
        self.sheet = sheet

    @classmethod
    def prepare(
        cls,
        input_path,
        column: str,
        output_path,
        top_k: int = 3,
        chunk_size: int = 256,
        resume: bool = False,
        sheet: Optional[str] = None,
    ) -> "BatchJob":
        """Check the request and read the input table.

        Raises:
            BatchSettingError: top_k or chunk_size is below 1.
            OutputPathError: the output suffix is not .csv or .xlsx, the output is a folder,
                or it is the input file itself.
            InputFileError: the input cannot be read or repeats a column name (raised by
                `read_table`), or the output is XLSX and a cell does not fit in an XLSX cell.
            ColumnNotFoundError: the column is not in the table; the message lists the columns.
            ColumnConflictError: the table already has a column named like a result column.
            ProgressFileError: progress files of an unfinished run exist and resume is False.
        """
        input_path, output_path = Path(input_path), Path(output_path)
        check_settings(top_k, chunk_size)
        check_output_path(input_path, output_path)
        table = read_table(input_path, sheet_name=0 if sheet is None else sheet, keep_types=True)
        column = check_column(table, column, input_path)
        check_column_conflicts(table, top_k, input_path)
        check_cells_fit_output(table, input_path, output_path)
        if not resume:
            reject_leftover_progress(output_path)
        return cls(input_path, column, output_path, table, top_k, chunk_size, resume, sheet)

    # --- the run --------------------------------------------------------------------------

    def run(self, matcher, shortlist: Union[int, None, str] = "config", progress: bool = True) -> BatchSummary:
        """Match every row not finished yet, write the output table and remove the progress file.

        Args:
            matcher: a loaded `greenmatch.matcher.Matcher`.
            shortlist: entries the cross-encoder reranks, as for `Matcher.match`.
            progress: show a progress bar over rows on stderr.

        Raises:
            ProgressFileError: resuming, and a progress file belongs to another run or is damaged.
        """
        started = time.monotonic()
        header = self.header(matcher, shortlist)
        state = self.load_progress(header)
        header["chunk_size"] = state.chunk_size
        pending = self.pending_chunks(state)
        logger.info(
            "Matching %d rows of %s, column %s, in chunks of %d: %d rows done before, %d chunks to go",
            len(self.texts),
            self.input_path,
            self.column,
            state.chunk_size,
            state.rows,
            len(pending),
        )

        own_file = progress_path(self.output_path)
        bar = tqdm(total=len(self.texts), initial=state.rows, unit="行", desc="匹配", disable=not progress)
        try:
            with ProgressWriter(own_file, header, state.valid_bytes.get(own_file)) as writer:
                for chunk in pending:
                    rows = self.match_chunk(matcher, chunk, state.chunk_size, header["shortlist"])
                    writer.append(chunk, rows)
                    state.chunks[chunk] = rows
                    bar.update(len(rows))
        finally:
            bar.close()

        resumed = len(self.texts) - sum(len(self.chunk_rows(chunk, state.chunk_size)) for chunk in pending)
        return self.finish(state.chunks, resumed=resumed, seconds=time.monotonic() - started, default_threshold=matcher.config.threshold_source == "default")

    def header(self, matcher, shortlist: Union[int, None, str] = "config") -> dict:
        """Return the header line of this run's progress file."""
        stat = self.input_path.stat()
        model_path = Path(matcher.path).resolve() if getattr(matcher, "path", None) else None
        config_path = model_path / "greenmatch.json" if model_path else None
        return {
            "kind": "header",
            "format": PROGRESS_FORMAT,
            "input": {
                "path": str(self.input_path.resolve()),
                "size": stat.st_size,
                "mtime": datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc).isoformat(timespec="seconds"),
                "sha256": file_sha256(self.input_path),
            },
            "sheet": self.sheet,
            "column": self.column,
            "rows": len(self.texts),
            "top_k": self.top_k,
            "shortlist": matcher.config.shortlist if shortlist == "config" else shortlist,
            "chunk_size": self.chunk_size,
            "model": str(model_path) if model_path else "",
            "model_config_sha256": file_sha256(config_path) if config_path and config_path.exists() else "",
        }

    def load_progress(self, header: dict) -> Progress:
        """Read the chunks finished by earlier runs from every progress file of the output.

        Raises:
            ProgressFileError: a progress file exists and resume is off, belongs to a run with
                other settings, or has a damaged line before its last one.
        """
        if not self.resume:
            reject_leftover_progress(self.output_path)
        paths = existing_progress_paths(self.output_path)
        if self.resume and not paths:
            logger.info("No progress file beside %s, starting from the first row", self.output_path)

        state = Progress(chunk_size=self.chunk_size)
        chunk_sizes = set()
        for path in paths:
            earlier, chunks, valid_bytes = read_progress_file(path)
            state.valid_bytes[path] = valid_bytes
            if earlier is None:
                logger.warning("Progress file %s has no complete header and is ignored", path)
                continue
            check_same_run(earlier, header, path)
            chunk_sizes.add(int(earlier["chunk_size"]))
            for chunk, rows in chunks.items():
                state.chunks.setdefault(chunk, rows)

        if len(chunk_sizes) > 1:
            raise ProgressFileError(
                f"进度文件 {'、'.join(str(path) for path in paths)} 记录的分块大小不一致（{sorted(chunk_sizes)}），无法合并。请删除这些进度文件后重新运行。"
            )
        if chunk_sizes:
            state.chunk_size = chunk_sizes.pop()
            if state.chunk_size != self.chunk_size:
                logger.warning("Resuming with the chunk size of the interrupted run, %d rows, instead of %d", state.chunk_size, self.chunk_size)
        self.check_chunks(state, paths)
        return state

    def check_chunks(self, state: Progress, paths: Sequence[Path]) -> None:
        """Raise ProgressFileError if a stored chunk does not cover exactly the rows its index implies."""
        for chunk, rows in state.chunks.items():
            expected = list(self.chunk_rows(chunk, state.chunk_size))
            if [row.row for row in rows] != expected:
                raise ProgressFileError(
                    f"进度文件 {'、'.join(str(path) for path in paths)} 中第 {chunk} 块的行号与输入表格不符。请删除这些进度文件后重新运行。"
                )

    def chunk_count(self, chunk_size: int) -> int:
        return math.ceil(len(self.texts) / chunk_size)

    def chunk_rows(self, chunk: int, chunk_size: int) -> range:
        return range(chunk * chunk_size, min((chunk + 1) * chunk_size, len(self.texts)))

    def pending_chunks(self, state: Progress) -> List[int]:
        """Return the indices of the chunks that no progress file holds, in input order."""
        return [chunk for chunk in range(self.chunk_count(state.chunk_size)) if chunk not in state.chunks]

    def match_chunk(self, matcher, chunk: int, chunk_size: int, shortlist: Union[int, None, str]) -> List[RowResult]:
        """Match the non-empty texts of one chunk in one call of `Matcher.match`."""
        rows = list(self.chunk_rows(chunk, chunk_size))
        filled = [row for row in rows if self.texts[row]]
        results = dict(zip(filled, matcher.match([self.texts[row] for row in filled], top_k=self.top_k, shortlist=shortlist))) if filled else {}

        chunk_results = []
        for row in rows:
            result = results.get(row)
            if result is None:
                chunk_results.append(RowResult(row=row))
                continue
            chunk_results.append(
                RowResult(
                    row=row,
                    codes=[match.code for match in result.matches],
                    titles=[match.title for match in result.matches],
                    scores=[float(match.score) for match in result.matches],
                    is_green=bool(result.is_green),
                    verdict_score=round(float(result.verdict_score), 4),
                    truncated=bool(result.truncated),
                )
            )
        return chunk_results

    # --- the output -----------------------------------------------------------------------

    def assemble(self, chunks: Dict[int, List[RowResult]]) -> pd.DataFrame:
        """Return the input table with the result columns appended, rows in input order."""
        by_row = {result.row: result for rows in chunks.values() for result in rows}
        missing = [row for row in range(len(self.texts)) if row not in by_row]
        if missing:
            raise ProgressFileError(f"还有 {len(missing)} 行没有匹配结果（从第 {missing[0] + 2} 行起），无法写出 {self.output_path}。请加上 --resume 重新运行。")

        values = {name: [] for name in result_columns(self.top_k)}
        for row in range(len(self.texts)):
            result = by_row[row]
            for rank in range(1, self.top_k + 1):
                code_column, title_column, score_column = rank_columns(rank)
                present = rank <= len(result.codes)
                values[code_column].append(result.codes[rank - 1] if present else "")
                values[title_column].append(result.titles[rank - 1] if present else "")
                values[score_column].append(result.scores[rank - 1] if present else None)
            values[GREEN_COLUMN].append(GREEN_VALUES[result.is_green])
            values[VERDICT_SCORE_COLUMN].append(result.verdict_score)
            values[TRUNCATED_COLUMN].append("是" if result.truncated else "")

        results = pd.DataFrame(values, index=self.table.index)
        return pd.concat([self.table, results], axis=1)

    def finish(self, chunks: Dict[int, List[RowResult]], resumed: int, seconds: float, default_threshold: bool = False) -> BatchSummary:
        """Write the output table atomically, remove the progress files and summarise the run."""
        frame = self.assemble(chunks)
        write_table(frame, self.output_path, sheet_name=OUTPUT_SHEET_NAME)
        for path in existing_progress_paths(self.output_path):
            path.unlink()
        logger.info("Wrote %d rows to %s and removed the progress files", len(frame), self.output_path)

        results = [result for rows in chunks.values() for result in rows]
        truncated_rows = sorted(result.row + 2 for result in results if result.truncated)
        summary = BatchSummary(
            output_path=self.output_path,
            rows=len(self.texts),
            matched=len(self.texts) - resumed,
            resumed=resumed,
            empty=sum(result.empty for result in results),
            truncated=len(truncated_rows),
            truncated_rows=truncated_rows,
            green=sum(result.is_green is True for result in results),
            not_green=sum(result.is_green is False for result in results),
            seconds=seconds,
            default_threshold=default_threshold,
        )
        logger.info(
            "Batch summary: %d rows, %d empty, %d truncated, %d green, %d not green, %.1f s",
            summary.rows,
            summary.empty,
            summary.truncated,
            summary.green,
            summary.not_green,
            summary.seconds,
        )
        return summary


def match_file(
    matcher,
    input_path,
    column: str,
    output_path,
    top_k: int = 3,
    chunk_size: int = 256,
    resume: bool = False,
    sheet: Optional[str] = None,
    progress: bool = True,
    shortlist: Union[int, None, str] = "config",
) -> BatchSummary:
    """Match one column of a CSV or XLSX file and write the table with the results appended.

    Args:
        matcher: a loaded `greenmatch.matcher.Matcher`.
        input_path: the table to read (CSV, XLSX, TSV or JSONL). The text column is matched as
            text; every column is written back with the values the input stored.
        column: the column holding the texts to match.
        output_path: the table to write, .csv or .xlsx; its progress file lies beside it.
        top_k: entries kept per row.
        chunk_size: rows matched and saved to the progress file at a time.
        resume: continue from the progress file of an interrupted run.
        sheet: the worksheet of an XLSX input; the first one by default.
        progress: show a progress bar over rows.
        shortlist: entries the cross-encoder reranks, as for `Matcher.match`.

    Raises:
        InputFileError: a subclass of it for each problem `BatchJob.prepare` and
            `BatchJob.run` check, with a Chinese message naming the file and what to do.
    """
    job = BatchJob.prepare(input_path, column, output_path, top_k=top_k, chunk_size=chunk_size, resume=resume, sheet=sheet)
    return job.run(matcher, shortlist=shortlist, progress=progress)


# --- checks ----------------------------------------------------------------------------------


def check_settings(top_k: int, chunk_size: int) -> None:
    if top_k < 1:
        raise BatchSettingError(f"--top-k 至少为 1，实际为 {top_k}。")
    if chunk_size < 1:
        raise BatchSettingError(f"--chunk-size 至少为 1，实际为 {chunk_size}。")


def check_output_path(input_path: Path, output_path: Path) -> None:
    if output_path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise OutputPathError(f"不支持的输出文件类型“{output_path.suffix or '（无扩展名）'}”：{output_path}。请使用 .csv 或 .xlsx 作为输出文件的扩展名。")
    if output_path.is_dir():
        raise OutputPathError(f"输出路径 {output_path} 是文件夹。请给出文件路径，例如 {output_path / '匹配结果.xlsx'}。")
    if _same_file(input_path, output_path):
        raise OutputPathError(f"输出文件 {output_path} 就是输入文件，写出结果会覆盖原表格。请用 --output 指定另一个文件名。")
    # The progress file and the output are written into this folder, which is created when missing.
    try:
        check_writable_folder(output_path.parent, "--output", target=output_path)
    except OutputLocationError as error:
        raise OutputPathError(str(error)) from error


def _same_file(first: Path, second: Path) -> bool:
    if first.resolve() == second.resolve():
        return True
    try:
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return False


def check_column(table: pd.DataFrame, column: str, input_path: Path) -> str:
    """Return the column name as the table spells it (surrounding spaces ignored)."""
    name = str(column).strip()
    if name not in table.columns:
        present = "、".join(str(name) for name in table.columns)
        raise ColumnNotFoundError(f"文件 {input_path} 中没有名为“{column}”的列。现有的列：{present}。请用 --column 指定其中一列。")
    return name


def check_column_conflicts(table: pd.DataFrame, top_k: int, input_path: Path) -> None:
    clashes = [name for name in result_columns(top_k) if name in table.columns]
    if clashes:
        raise ColumnConflictError(
            f"文件 {input_path} 已有结果列 {'、'.join(clashes)}，可能是上一次匹配的输出。"
            "请用原始表格作为输入，或删除或重命名这些列后再试。"
        )


def check_cells_fit_output(table: pd.DataFrame, input_path: Path, output_path: Path) -> None:
    """Raise InputFileError before matching when the output is XLSX and an input cell cannot be stored in it."""
    if output_path.suffix.lower() != ".xlsx":
        return
    problems = xlsx_cell_problems(table)
    if problems:
        raise InputFileError(f"文件 {input_path} 中有 XLSX 单元格放不下的内容，无法写成 {output_path}：{'；'.join(problems)}。{XLSX_LIMITS_ADVICE}。")


def reject_leftover_progress(output_path: Path) -> None:
    """Raise ProgressFileError if an unfinished run of the same output left progress files."""
    leftovers = existing_progress_paths(output_path)
    if leftovers:
        raise ProgressFileError(
            f"发现上次未完成的运行留下的进度文件：{'、'.join(str(path) for path in leftovers)}。"
            "要从中断处继续，请加上 --resume；要重新开始，请先删除这些进度文件。"
        )


def check_same_run(earlier: dict, current: dict, path: Path) -> None:
    """Raise ProgressFileError, listing every difference, if a progress file belongs to another run."""
    earlier_values = _resume_values(earlier)
    current_values = _resume_values(current)
    differences = []
    for key, label in RESUME_FIELDS.items():
        if earlier_values[key] != current_values[key]:
            if key == "input_sha256":
                before, now = earlier["input"], current["input"]
                differences.append(
                    f"{label}（上次：{before['path']}，{before['size']} 字节，修改于 {before['mtime']}；"
                    f"本次：{now['path']}，{now['size']} 字节，修改于 {now['mtime']}）"
                )
            else:
                differences.append(f"{label}（上次：{_show(earlier_values[key])}；本次：{_show(current_values[key])}）")
    if differences:
        raise ProgressFileError(
            f"进度文件 {path} 属于另一次运行，不能接着用：{'；'.join(differences)}。"
            f"请用与上次相同的输入文件和参数加 --resume 继续，或删除 {path} 后重新开始。"
        )


def _resume_values(header: dict) -> dict:
    values = {key: header.get(key) for key in RESUME_FIELDS}
    values["input_sha256"] = header.get("input", {}).get("sha256")
    return values


def _show(value) -> str:
    return "默认" if value in (None, "") else str(value)


# --- progress files --------------------------------------------------------------------------


def read_progress_file(path: Path):
    """Read a progress file.

    Returns:
        ``(header, chunks, valid_bytes)``: the header dict (None if even the header line is
        incomplete), the chunks by index, and the byte length of the intact lines. A last
        line without its newline, or that is not valid JSON, is what a killed process
        leaves behind, and is left out.

    Raises:
        ProgressFileError: a line other than the last one is damaged, or the file was written
            by another version of greenmatch.
    """
    *complete, tail = path.read_bytes().split(b"\n")
    if tail:
        logger.warning("Dropping the incomplete last line of %s (%d bytes)", path, len(tail))

    header, chunks, valid_bytes = None, {}, 0
    for number, line in enumerate(complete, start=1):
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            if number == len(complete):
                logger.warning("Dropping the damaged last line of %s: %s", path, error)
                break
            raise ProgressFileError(f"进度文件 {path} 第 {number} 行已损坏（{error}）。请删除该文件后重新运行。") from error

        kind = record.get("kind") if isinstance(record, dict) else None
        if kind == "header" and number == 1 and record.get("format") == PROGRESS_FORMAT:
            header = record
        elif kind == "chunk" and header is not None:
            chunks[int(record["chunk"])] = _row_results(record, path, number)
        else:
            raise ProgressFileError(
                f"进度文件 {path} 第 {number} 行不是本版本 greenmatch 写的进度记录。请删除该文件后重新运行。"
            )
        valid_bytes += len(line) + 1
    return header, chunks, valid_bytes


def _row_results(record: dict, path: Path, number: int) -> List[RowResult]:
    try:
        return [RowResult(**row) for row in record["rows"]]
    except (KeyError, TypeError) as error:
        raise ProgressFileError(f"进度文件 {path} 第 {number} 行缺少字段或字段不符（{error}）。请删除该文件后重新运行。") from error


class ProgressWriter:
    """Append finished chunks to a progress file, each flushed to disk before `append` returns.

    An existing file is first cut back to ``valid_bytes``, which drops a line that a killed
    process left incomplete. A new file starts with the header line.
    """

    def __init__(self, path: Path, header: dict, valid_bytes: Optional[int] = None):
        self.path = Path(path)
        self.header = header
        self.valid_bytes = valid_bytes
        self.handle = None

    def __enter__(self) -> "ProgressWriter":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.valid_bytes:
                self.handle = open(self.path, "r+b")
                self.handle.truncate(self.valid_bytes)
                self.handle.seek(self.valid_bytes)
            else:
                self.handle = open(self.path, "wb")
                self._write_line(self.header)
                fsync_folder(self.path.parent)
        except OSError as error:
            if self.handle is not None:
                self.handle.close()
            raise OutputPathError(
                f"无法写入进度文件 {self.path}（{os_error_reason(error)}）。请用 --output 把输出放到有写入权限的文件夹。"
            ) from error
        return self

    def append(self, chunk: int, rows: Sequence[RowResult]) -> None:
        self._write_line({"kind": "chunk", "chunk": chunk, "rows": [asdict(row) for row in rows]})

    def _write_line(self, record: dict) -> None:
        self.handle.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def __exit__(self, *exc_info) -> None:
        self.handle.close()


# --- the summary shown to users --------------------------------------------------------------


def format_summary(summary: BatchSummary, max_rows_listed: int = 20) -> str:
    """Format a batch summary in Chinese, as the CLI and the recipe print it."""
    lines = [f"已完成：共 {summary.rows} 行，本次匹配 {summary.matched} 行，沿用上次进度 {summary.resumed} 行，用时 {summary.seconds:.1f} 秒。"]
    lines.append(f"绿色 {summary.green} 行，非绿色 {summary.not_green} 行，文本为空而跳过 {summary.empty} 行。")
    if summary.truncated:
        shown = "、".join(str(row) for row in summary.truncated_rows[:max_rows_listed])
        more = f" 等（共 {summary.truncated} 行）" if summary.truncated > max_rows_listed else ""
        lines.append(f"超长文本 {summary.truncated} 行：超过模型的最大长度，只用开头部分匹配。行号（表头为第 1 行）：{shown}{more}。")
    else:
        lines.append("超长文本 0 行。")
    if summary.default_threshold:
        lines.append("注意：该模型没有用标注数据校准非绿色阈值，“是否绿色”一列按默认阈值判定。")
    lines.append(f"结果已写入：{Path(summary.output_path).resolve()}")
    return "\n".join(lines)
