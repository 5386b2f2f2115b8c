"""Read and write the tables analysts bring: CSV, XLSX and JSONL.

Reading tries the encodings Chinese office software writes (UTF-8, UTF-8 with BOM, GB18030)
and recognises password-protected workbooks, so that every failure becomes a Chinese message
that names the file. Writing goes to a temporary file first and is renamed into place, so an
interrupted write never leaves half a file.
"""

import io
import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Type

import pandas as pd

from greenmatch.errors import GreenmatchError, InputFileError

logger = logging.getLogger(__name__)

CSV_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".jsonl", ".json", ".tsv", ".txt")

# An encrypted OOXML workbook is an OLE2 compound file, not a zip archive.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_table(path, error_class: Type[GreenmatchError] = InputFileError, sheet_name=0) -> pd.DataFrame:
    """Read a CSV, TSV, XLSX or JSONL file into a DataFrame of strings.

    Every cell is read as a string (empty cells become ``""``) so that codes such as ``1.1``
    and texts such as ``2024`` keep their exact spelling.

    Raises:
        error_class: the file is missing, empty, password-protected, not a workbook, or in
            an encoding other than UTF-8 or GB18030. The message names the file.
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
        frame = _read_workbook(path, error_class, sheet_name)
    elif suffix in (".jsonl", ".json"):
        frame = _read_jsonl(path, error_class)
    elif suffix in (".csv", ".tsv", ".txt"):
        frame = _read_delimited(path, error_class, sep="\t" if suffix == ".tsv" else ",")
    else:
        raise error_class(f"不支持的文件类型“{path.suffix}”：{path}。请使用 CSV、XLSX 或 JSONL 文件。")

    frame.columns = [str(column).strip() for column in frame.columns]
    return frame.fillna("").astype(str)


def _read_workbook(path: Path, error_class, sheet_name) -> pd.DataFrame:
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
        return pd.read_excel(path, sheet_name=sheet_name, dtype=str, engine="openpyxl", keep_default_na=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise error_class(f"无法读取工作簿 {path}：{error}。请用 Excel 打开后另存为 .xlsx 再试。") from error


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
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" and text.startswith("\ufeff"):
            continue  # let utf-8-sig strip the byte-order mark
        logger.debug("Decoded %s as %s", path, encoding)
        try:
            return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True)
        except pd.errors.ParserError as error:
            raise error_class(f"无法解析 CSV 文件 {path}：{error}。请检查分隔符和引号是否成对。") from error
        except pd.errors.EmptyDataError as error:
            raise error_class(f"文件 {path} 没有表头和数据行。") from error
    raise error_class(
        f"无法识别文件 {path} 的编码（已尝试 UTF-8、UTF-8-SIG、GB18030）。请在 Excel 或文本编辑器中另存为 UTF-8 编码的 CSV 后再试。"
    )


def _read_jsonl(path: Path, error_class) -> pd.DataFrame:
    records = []
    with open(path, encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise error_class(f"{path} 第 {line_number} 行不是有效的 JSON：{error.msg}。每行应为一个 JSON 对象。") from error
            if not isinstance(record, dict):
                raise error_class(f"{path} 第 {line_number} 行应为 JSON 对象（{{...}}），实际是 {type(record).__name__}。")
            records.append({key: _json_cell(value) for key, value in record.items()})
    if not records:
        raise error_class(f"文件 {path} 没有任何数据行。")
    return pd.DataFrame.from_records(records)


def _json_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(item) for item in value)
    return str(value)


def write_table(frame: pd.DataFrame, path, sheet_name: str = "Sheet1") -> None:
    """Write a DataFrame as CSV (UTF-8 with BOM, which Excel opens correctly) or XLSX, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame.to_excel(temporary, index=False, sheet_name=sheet_name, engine="openpyxl")
        elif suffix == ".jsonl":
            frame.to_json(temporary, orient="records", lines=True, force_ascii=False)
        else:
            frame.to_csv(temporary, index=False, encoding="utf-8-sig")
        # mkstemp creates the file readable by its owner only; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
