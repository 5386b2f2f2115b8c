"""Read and write the tables analysts bring: CSV, XLSX and JSONL.

Reading tries the encodings Chinese office software writes (UTF-8, UTF-8 with BOM, GB18030,
and UTF-16 with BOM, which is Excel's "Unicode 文本" export) and recognises password-protected
workbooks, so that every failure becomes a Chinese message that names the file. Repeated
column names are rejected, because pandas would rename the second one to ``name.1``.

Writing goes to a temporary file first and is renamed into place, so an interrupted write
never leaves half a file. Text is never written as a spreadsheet formula: XLSX text is
always a text cell, and CSV text that Excel would run as a formula gets a leading apostrophe
(see `escape_csv_formula`).
"""

import codecs
import datetime
import io
import json
import logging
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import List, Type

import numpy as np
import pandas as pd

from greenmatch.errors import GreenmatchError, InputFileError

logger = logging.getLogger(__name__)

CSV_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".jsonl", ".json", ".tsv", ".txt")

# An encrypted OOXML workbook is an OLE2 compound file, not a zip archive.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Maximum number of characters in an Excel cell. openpyxl truncates longer strings silently.
XLSX_MAX_CELL_CHARACTERS = 32767

# Control characters the XLSX format cannot store: all of U+0000 to U+001F except tab,
# line feed and carriage return (the same set as openpyxl's ILLEGAL_CHARACTERS_RE).
XLSX_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Advice that follows a list of cells an XLSX file cannot store.
XLSX_LIMITS_ADVICE = (
    f"XLSX 单元格最多容纳 {XLSX_MAX_CELL_CHARACTERS} 个字符，且不能含制表符、换行符和回车符以外的控制字符。"
    "请改用 .csv 作为输出文件（CSV 没有这些限制），或先在输入表格中修改这些单元格"
)

XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

# Excel runs a CSV cell that starts with one of these characters as a formula.
CSV_FORMULA_TRIGGERS = ("=", "+", "-", "@")

# A plain number such as -5, +3.2, -1,234.5, -3% or 1e-5, which Excel reads as a number.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")

# Cells made only of trigger characters, such as a "-" placeholder, hold no formula.
_ONLY_TRIGGERS = re.compile(r"[\s=+\-@]*")

# Chinese reasons for values of json.JSONDecodeError.msg. Other values are shown unchanged.
JSON_ERROR_REASONS = {
    "Expecting value": "此处缺少值，或值的写法无效（字符串要用双引号，不能用单引号）",
    "Invalid control character at": "字符串中有未转义的控制字符（如制表符或换行符），请写成 \\t 或 \\n",
    "Unterminated string starting at": "字符串缺少结尾的双引号",
    "Expecting property name enclosed in double quotes": "键名必须用双引号括起来（也可能是最后一项后面多了逗号）",
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "键名后缺少冒号",
    "Extra data": "一个 JSON 对象后面还有多余的内容（每行只能写一个对象）",
    "Invalid \\escape": "反斜杠转义无效（反斜杠本身要写成 \\\\）",
    "Invalid \\uXXXX escape": "\\u 转义后应为 4 位十六进制数",
}


class _DuplicateKeyError(ValueError):
    """A JSON object has the same key twice."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


# --- reading ---------------------------------------------------------------------------------


def read_table(path, error_class: Type[GreenmatchError] = InputFileError, sheet_name=0, keep_types: bool = False) -> pd.DataFrame:
    """Read a CSV, TSV, XLSX or JSONL file into a DataFrame.

    By default every cell is read as a string (empty cells become ``""``) so that codes such
    as ``1.1`` and texts such as ``2024`` keep their exact spelling.

    With ``keep_types`` every cell keeps the value the file stores, so that `write_table`
    writes it back unchanged. XLSX numbers stay int or float, dates stay datetime and
    booleans stay bool. JSONL numbers and booleans stay as parsed, and null becomes None.
    CSV cells stay the strings written in the file. Empty XLSX and CSV cells become ``""``.
    `cell_text` gives the string that the default mode reads for a cell.

    Args:
        path: the file; its suffix selects the format.
        error_class: the `GreenmatchError` subclass raised for every problem.
        sheet_name: the worksheet of an XLSX file, by name or by 0-based index.
        keep_types: keep the stored types instead of reading every cell as a string.

    Raises:
        error_class: the file is missing, empty, password-protected, not a workbook, has no
            such worksheet, repeats a column name, or is in an encoding other than UTF-8,
            GB18030 or UTF-16 with BOM. The message names the file.
    """
    path = Path(path)
    if not path.exists():
        raise error_class(f"找不到文件：{path}。请检查路径是否正确。")
    if path.is_dir():
        raise error_class(f"{path} 是文件夹，不是表格文件。请给出 CSV、XLSX 或 JSONL 文件的路径。")
    if path.stat().st_size == 0:
        raise error_class(f"文件 {path} 是空的。请确认文件已正确保存。")

    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frame = _read_workbook(path, error_class, sheet_name, keep_types)
    elif suffix in (".jsonl", ".json"):
        frame = _read_jsonl(path, error_class, keep_types)
    elif suffix in (".csv", ".tsv", ".txt"):
        frame = _read_delimited(path, error_class, sep="\t" if suffix == ".tsv" else ",")
    else:
        raise error_class(f"不支持的文件类型“{path.suffix}”：{path}。请使用 CSV、XLSX 或 JSONL 文件。")

    frame.columns = [str(column).strip() for column in frame.columns]
    _reject_repeated_columns(list(frame.columns), path, error_class)
    if keep_types:
        return frame.astype(object).where(frame.notna(), None) if suffix in (".jsonl", ".json") else frame.fillna("")
    return frame.fillna("").astype(str)


def cell_text(value) -> str:
    """Return the text of a cell read with ``keep_types``: ``""`` for an empty cell, else ``str(value)``.

    This is the string `read_table` returns for the cell without ``keep_types``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    return str(value)


def _read_workbook(path: Path, error_class, sheet_name, keep_types: bool) -> pd.DataFrame:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == OLE2_MAGIC and path.suffix.lower() != ".xls":
        if _is_encrypted_workbook(path):
            raise error_class(f"工作簿 {path} 设有打开密码，无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后另存再试。")
    if path.suffix.lower() == ".xls":
        raise error_class(f"不支持旧版 Excel 格式（.xls）：{path}。请在 Excel 中另存为 .xlsx 后再试。")
    if not zipfile.is_zipfile(path):
        raise error_class(f"无法读取工作簿 {path}：文件不是有效的 XLSX 文件（可能已损坏或扩展名有误）。请用 Excel 打开后另存为 .xlsx 再试。")

    try:
        with pd.ExcelFile(path, engine="openpyxl") as workbook:
            _check_sheet(workbook.sheet_names, sheet_name, path, error_class)
            # header=None: pandas would rename a repeated column name, hiding it from the check.
            grid = pd.read_excel(workbook, sheet_name=sheet_name, header=None, dtype=object if keep_types else str, keep_default_na=False)
    except GreenmatchError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise error_class(f"无法读取工作簿 {path}：{error}。请用 Excel 打开后另存为 .xlsx 再试。") from error
    return _use_first_row_as_header(grid)


def _check_sheet(sheet_names: List[str], sheet_name, path: Path, error_class) -> None:
    listed = "、".join(f"“{name}”" for name in sheet_names)
    if isinstance(sheet_name, int):
        if not 0 <= sheet_name < len(sheet_names):
            raise error_class(f"工作簿 {path} 只有 {len(sheet_names)} 个工作表（{listed}），没有第 {sheet_name + 1} 个。请改用其中一个工作表。")
    elif sheet_name not in sheet_names:
        raise error_class(f"工作簿 {path} 中没有名为“{sheet_name}”的工作表。现有的工作表：{listed}。请用 --sheet 指定其中一个。")


def _is_encrypted_workbook(path: Path) -> bool:
    try:
        import msoffcrypto
    except ImportError:  # the OLE2 header alone is a strong sign of encryption for .xlsx
        return True
    with open(path, "rb") as handle:
        try:
            return msoffcrypto.OfficeFile(handle).is_encrypted()
        except Exception:  # noqa: BLE001 - any parse failure means it is not a readable workbook either
            return True


def _read_delimited(path: Path, error_class, sep: str) -> pd.DataFrame:
    raw = path.read_bytes()
    text = _decode(raw, path, error_class)
    if raw.startswith(UTF16_BOMS) and "\t" in text.partition("\n")[0]:
        sep = "\t"  # Excel's "Unicode 文本" export is tab-separated, whatever the file is named
    try:
        # header=None: pandas would rename a repeated column name, hiding it from the check.
        grid = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.ParserError as error:
        raise error_class(f"无法解析 CSV 文件 {path}：{error}。请检查分隔符和引号是否成对。") from error
    except pd.errors.EmptyDataError as error:
        raise error_class(f"文件 {path} 没有表头和数据行。") from error
    return _use_first_row_as_header(grid)


def _decode(raw: bytes, path: Path, error_class) -> str:
    """Decode a delimited file as UTF-16 when it starts with a UTF-16 BOM, else as the first of CSV_ENCODINGS that fits."""
    if raw.startswith(UTF16_BOMS):
        try:
            text = raw.decode("utf-16")  # the BOM selects the byte order and is dropped
        except UnicodeDecodeError as error:
            raise error_class(
                f"文件 {path} 以 UTF-16 字节顺序标记开头，但第 {error.start} 字节处的内容不是有效的 UTF-16 文本。"
                "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再试。"
            ) from error
        logger.debug("Decoded %s as UTF-16", path)
        return text

    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" and text.startswith("\ufeff"):
            continue  # let utf-8-sig strip the byte-order mark
        logger.debug("Decoded %s as %s", path, encoding)
        return text
    raise error_class(
        f"无法识别文件 {path} 的编码（已尝试 UTF-8、UTF-8-SIG、GB18030 和带字节顺序标记的 UTF-16）。"
        "请在 Excel 或文本编辑器中另存为 UTF-8 编码的 CSV 后再试。"
    )


def _use_first_row_as_header(grid: pd.DataFrame) -> pd.DataFrame:
    """Turn the first row of a table read with ``header=None`` into its column names.

    An empty header cell is named ``Unnamed: <0-based position>``, as pandas names it.
    """
    if grid.empty:
        return pd.DataFrame()
    names = [_header_name(value, index) for index, value in enumerate(grid.iloc[0])]
    frame = grid.iloc[1:].reset_index(drop=True)
    frame.columns = names
    return frame


def _header_name(value, index: int) -> str:
    text = cell_text(value).strip()
    return text if text else f"Unnamed: {index}"


def _reject_repeated_columns(names: List[str], path: Path, error_class) -> None:
    """Raise error_class when a column name occurs twice, listing each repeated name with its column numbers."""
    positions = {}
    for number, name in enumerate(names, start=1):
        positions.setdefault(name, []).append(number)
    repeated = [(name, numbers) for name, numbers in positions.items() if len(numbers) > 1]
    if repeated:
        described = "、".join(f"“{name}”（第 {'、'.join(map(str, numbers))} 列）" for name, numbers in repeated)
        raise error_class(
            f"文件 {path} 的表头中有重复的列名：{described}。"
            "greenmatch 按列名取列，重名的列无法区分。请把重名的列改成不同的名称（首尾空格不算区别）后再试。"
        )


def _read_jsonl(path: Path, error_class, keep_types: bool) -> pd.DataFrame:
    records = []
    lines = path.read_bytes().split(b"\n")
    for line_number, raw_line in enumerate(lines, start=1):
        try:
            line = raw_line.decode("utf-8-sig" if line_number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise error_class(
                f"{path} 第 {line_number} 行不是有效的 UTF-8 文本（该行第 {error.start + 1} 字节）。JSONL 文件应为 UTF-8 编码，请另存为 UTF-8 后再试。"
            ) from error
        if not line.strip():
            continue
        try:
            record = json.loads(line, object_pairs_hook=_object_without_repeated_keys)
        except json.JSONDecodeError as error:
            reason = JSON_ERROR_REASONS.get(error.msg, error.msg)
            raise error_class(
                f"{path} 第 {line_number} 行第 {error.colno} 列不是有效的 JSON：{reason}。"
                '每行应为一个 JSON 对象，例如 {"项目名称": "屋顶光伏电站"}。'
            ) from error
        except _DuplicateKeyError as error:
            raise error_class(f"{path} 第 {line_number} 行的键“{error.key}”出现了不止一次。请删除或改名其中一个后再试。") from error
        if not isinstance(record, dict):
            raise error_class(f"{path} 第 {line_number} 行应为 JSON 对象（{{...}}），实际是 {type(record).__name__}。")
        records.append({key: _json_cell(value, keep_types) for key, value in record.items()})
    if not records:
        raise error_class(f"文件 {path} 没有任何数据行。")
    return pd.DataFrame.from_records(records)


def _object_without_repeated_keys(pairs):
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise _DuplicateKeyError(key)
    return dict(pairs)


def _json_cell(value, keep_types: bool = False):
    if value is None:
        return None if keep_types else ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(item) for item in value)
    if keep_types and isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


# --- writing ---------------------------------------------------------------------------------


def write_table(frame: pd.DataFrame, path, sheet_name: str = "Sheet1", error_class: Type[GreenmatchError] = InputFileError) -> None:
    """Write a DataFrame as XLSX, CSV or JSONL, atomically.

    XLSX: every string is a text cell, even one that starts with ``=``. Numbers, booleans,
    dates and datetimes keep their types, and dates get a date format. CSV: UTF-8 with BOM,
    which Excel opens correctly, and text passes through `escape_csv_formula`. JSONL: one
    object per row, unchanged.

    Raises:
        error_class: a string cannot be stored in an XLSX cell (see `xlsx_cell_problems`).
            Nothing is written then.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        problems = xlsx_cell_problems(frame)
        if problems:
            raise error_class(f"无法写出 XLSX 文件 {path}：{'；'.join(problems)}。{XLSX_LIMITS_ADVICE}。")

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        if suffix in (".xlsx", ".xlsm"):
            _write_workbook(frame, temporary, sheet_name)
        elif suffix == ".jsonl":
            frame.to_json(temporary, orient="records", lines=True, force_ascii=False)
        else:
            _escape_csv_formulas(frame).to_csv(temporary, index=False, encoding="utf-8-sig")
        # mkstemp creates the file readable by its owner only; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)



def xlsx_cell_problems(frame: pd.DataFrame, max_listed: int = 5) -> List[str]:
    """Describe, in Chinese, the cells of ``frame`` an XLSX file cannot store.

    A string cell is a problem when it is longer than XLSX_MAX_CELL_CHARACTERS or contains a
    control character of XLSX_ILLEGAL_CHARACTERS. Rows are numbered as a spreadsheet shows
    them, with the header as row 1.

    Returns:
        At most ``max_listed`` descriptions such as ``第 3 行“项目名称”列有 40000 个字符``,
        followed by a count of the rest; an empty list when every cell fits.
    """
    problems = []
    cells = [(1, "表头", name) for name in frame.columns]
    for column_number, column in enumerate(frame.columns):
        cells.extend((row + 2, column, value) for row, value in enumerate(frame.iloc[:, column_number]))
    for row, column, value in cells:
        if not isinstance(value, str):
            continue
        if len(value) > XLSX_MAX_CELL_CHARACTERS:
            problems.append(f"第 {row} 行“{column}”列有 {len(value)} 个字符")
        else:
            illegal = XLSX_ILLEGAL_CHARACTERS.search(value)
            if illegal:
                problems.append(f"第 {row} 行“{column}”列含控制字符 U+{ord(illegal.group()):04X}（第 {illegal.start() + 1} 个字符）")
    if len(problems) > max_listed:
        return problems[:max_listed] + [f"另有 {len(problems) - max_listed} 个单元格"]
    return problems


def _write_workbook(frame: pd.DataFrame, path, sheet_name: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name)

    header = []
    for name in frame.columns:
        cell = _xlsx_cell(sheet, str(name), WriteOnlyCell)
        if cell is not None:
            cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)

    for row in frame.itertuples(index=False, name=None):
        sheet.append([_xlsx_cell(sheet, value, WriteOnlyCell) for value in row])
    workbook.save(path)


def _xlsx_cell(sheet, value, cell_class):
    """Return a write-only cell for one value, or None for an empty cell."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and not value:
        return None

    if isinstance(value, str):
        cell = cell_class(sheet, value=value)
        # openpyxl makes a string that starts with "=" a formula, but user text must stay text.
        cell.data_type = "s"
        return cell

    try:
        cell = cell_class(sheet, value=value)
    except ValueError:  # a type openpyxl cannot store, such as a dict
        return _xlsx_cell(sheet, str(value), cell_class)
    if isinstance(value, datetime.datetime):
        cell.number_format = XLSX_DATE_FORMAT if value.time() == datetime.time() else XLSX_DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = XLSX_DATE_FORMAT
    return cell


def escape_csv_formula(value):
    """Prefix a CSV text cell that Excel would run as a formula with an apostrophe.

    Excel evaluates a CSV cell that starts with ``=``, ``+``, ``-`` or ``@``, so a project
    name such as ``=HYPERLINK("http://…")`` taken from a third party becomes a live link or
    worse when an analyst opens the result. greenmatch writes its CSV with a BOM for Excel,
    so it applies the usual defence: such a cell gets a leading ``'`` and Excel shows it as
    text. This changes the data a program reading the CSV gets, so the prefix is added only
    where Excel would otherwise evaluate the cell instead of showing its text.
    Plain numbers such as ``-5`` or ``+3.2%``, cells made only of trigger characters such as a
    ``-`` placeholder, and non-strings are returned unchanged. Leading whitespace is skipped
    in the check, so a formula behind a tab is caught too. XLSX output needs none of this,
    because its text cells are never formulas.
    """
    if not isinstance(value, str):
        return value
    stripped = value.lstrip()
    if not stripped.startswith(CSV_FORMULA_TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(stripped.rstrip()) or _ONLY_TRIGGERS.fullmatch(stripped):
        return value
    return "'" + value


def _escape_csv_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    escaped = frame.copy()
    escaped.columns = [escape_csv_formula(str(name)) for name in frame.columns]
    for number in range(len(escaped.columns)):
        column = escaped.iloc[:, number]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)):
            # map on an object column would infer float64 and write 1000000 as 1000000.0.
            escaped.isetitem(number, pd.Series([escape_csv_formula(value) for value in column], index=column.index, dtype=object))
    return escaped
