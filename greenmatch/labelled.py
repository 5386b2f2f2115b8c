"""Labelled texts: a text and the catalogue entries it belongs to, or none (not green).

Two file formats are read:

- a table (CSV, XLSX or JSONL) with a text column and a code column, codes separated by
  ``;``, an empty code cell meaning not green. Column names are detected (``text``/``文本``/
  ``项目名称``… and ``codes``/``目录代码``…) or given by the caller;
- the pair format of the original project: ``text<TAB>entry text<TAB>0/1`` without a header.
  Rows are grouped by text, and a text without any label-1 row is not green.

The shipped sets are the evaluation dev set (never trained on), the hand-written training
examples, the not-green training texts, and an example of a domain team's labelled file.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from greenmatch.catalogue import Catalogue
from greenmatch.errors import LabelledDataError
from greenmatch.tables import read_table

logger = logging.getLogger(__name__)

TEXT_COLUMNS = ("text", "文本", "项目名称", "名称", "项目", "描述", "贷款用途", "经营范围", "query")
CODE_COLUMNS = ("codes", "code", "目录代码", "代码", "条目代码", "labels", "label")
_CODE_SEPARATOR = re.compile(r"[;；,，、\s]+")

SHIPPED_SETS = {
    "dev": "dev.csv",
    "train": "train_examples.csv",
    "not_green_train": "not_green_train.csv",
    "finetune_example": "finetune_example.csv",
}


@dataclass(frozen=True)
class LabelledText:
    """A text with every catalogue code an analyst accepts for it; no codes means not green."""

    text: str
    codes: tuple = ()
    kind: str = ""

    @property
    def is_green(self) -> bool:
        return bool(self.codes)


def parse_codes(cell: str) -> tuple:
    """Split a code cell such as ``3.2.2; 5.1.3`` into codes, keeping their order.

    Full-width digits and dots (``３．２．２``, typed with a Chinese input method) are read as
    their ASCII forms (NFKC normalisation).
    """
    codes = []
    for code in _CODE_SEPARATOR.split(unicodedata.normalize("NFKC", str(cell or "")).strip()):
        code = code.strip().rstrip(".")
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


def load_labelled(
    path,
    catalogue: Optional[Catalogue] = None,
    text_column: Optional[str] = None,
    codes_column: Optional[str] = None,
    unknown_codes: str = "raise",
) -> List[LabelledText]:
    """Read a labelled file in the table or the pair format.

    Args:
        path: CSV, XLSX or JSONL with a text and a code column, or a TSV/TXT pair file.
        catalogue: codes are checked against it (default: the embedded 2019 catalogue).
        text_column, codes_column: column names, detected when not given.
        unknown_codes: ``"raise"`` rejects a code not in the catalogue; ``"warn"`` logs it
            and drops it (a text left without codes is then skipped, not taken as not green).

    Raises:
        LabelledDataError: a column is missing, or a code is not in the catalogue. The message
            names the file, the row and the code.
    """
    path = Path(path)
    catalogue = catalogue or Catalogue.default()
    if _is_pair_file(path, named_columns=bool(text_column or codes_column)):
        return _load_pairs(path, catalogue)

    frame = read_table(path, error_class=LabelledDataError)
    text_column = text_column or _find_column(frame.columns, TEXT_COLUMNS, path, "文本", "--text-column")
    codes_column = codes_column or _find_column(frame.columns, CODE_COLUMNS, path, "目录代码", "--codes-column")
    for column in (text_column, codes_column):
        if column not in frame.columns:
            raise LabelledDataError(f"{path} 中没有列“{column}”。现有列：{'、'.join(frame.columns)}。")

    labelled, skipped_empty, unknown_only = [], 0, []
    for index, row in enumerate(frame.to_dict("records")):
        row_number = index + 2
        text = str(row[text_column]).strip()
        if not text:
            skipped_empty += 1
            continue
        codes = parse_codes(row[codes_column])
        known = _check_codes(codes, catalogue, path, row_number, codes_column, unknown_codes)
        if codes and not known:
            unknown_only.append((row_number, codes[0]))
            continue
        labelled.append(LabelledText(text=text, codes=known, kind=str(row.get("kind", "")).strip()))

    if skipped_empty:
        logger.warning("Skipped %d rows of %s with an empty text", skipped_empty, path)
    if not labelled:
        raise LabelledDataError(_no_usable_rows_message(path, len(frame), text_column, codes_column, skipped_empty, unknown_only, catalogue))
    logger.info(
        "Loaded %d labelled texts from %s (%d green, %d not green)",
        len(labelled),
        path,
        sum(item.is_green for item in labelled),
        sum(not item.is_green for item in labelled),
    )
    return labelled


def _no_usable_rows_message(path, rows: int, text_column, codes_column, skipped_empty: int, unknown_only: list, catalogue) -> str:
    """Explain why no row of a labelled table was usable: no rows, empty texts, or only unknown codes."""
    if rows == 0:
        return f"{path} 中没有可用的数据行：文件只有表头。请在表头下方每行填写一条文本及其目录代码。"
    if not unknown_only:
        return (
            f"{path} 中没有可用的数据行：{rows} 行的文本列“{text_column}”全部为空。"
            "请检查文本是否填在这一列，或用 --text-column 指定文本所在的列。"
        )
    first_row, first_code = unknown_only[0]
    empty = f"另有 {skipped_empty} 行文本为空；" if skipped_empty else ""
    return (
        f"{path} 中没有可用的数据行：{len(unknown_only)} 行的目录代码都不在“{catalogue.title}”中，"
        f"例如第 {first_row} 行“{codes_column}”列的“{first_code}”，这些行已去掉（不会当作非绿色）；{empty}"
        f"请把“{codes_column}”列改为该目录的三级代码（例如 {catalogue.codes[0]}），多个代码用分号分隔，不属于绿色产业的留空。"
    )


def _find_column(columns: Sequence[str], candidates: Iterable[str], path: Path, what: str, option: str) -> str:
    lowered = {str(column).strip().lower(): column for column in columns}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    raise LabelledDataError(
        f"{path} 中找不到{what}列。现有列：{'、'.join(map(str, columns))}。"
        f"请把列名改为 {' / '.join(list(candidates)[:3])} 之一，或用 {option} 指定列名。"
    )


def _check_codes(codes, catalogue, path, row_number, column, unknown_codes) -> tuple:
    known = []
    for code in codes:
        if code in catalogue:
            known.append(code)
            continue
        message = (
            f"{path} 第 {row_number} 行“{column}”列：目录中没有条目代码“{code}”。"
            f"请改为“{catalogue.title}”中的三级代码（例如 {catalogue.codes[0]}），多个代码用分号分隔；不属于绿色产业的留空。"
        )
        if unknown_codes == "raise":
            raise LabelledDataError(message)
        logger.warning("%s:%d: unknown code %r dropped", path, row_number, code)
    return tuple(known)


# Maximum length of a first line's third cell that is still read as a pair label, valid or not, e.g. "2", "-1", "1.0".
_MAX_LABEL_LENGTH = 3


def _is_pair_file(path: Path, named_columns: bool = False) -> bool:
    """Tell the original project's pair format from a table by the file's first line.

    A first line of three cells is a pair row when its label is 0 or 1. With another short
    third cell it is still taken as a pair row, so that `_load_pairs` reports the label,
    unless the line names known columns (a header) or the caller named the columns.
    """
    if path.suffix.lower() not in (".tsv", ".txt"):
        return False
    try:
        with open(path, encoding="utf-8-sig") as handle:
            first = [cell.strip() for cell in handle.readline().rstrip("\r\n").split("\t")]
    except (OSError, UnicodeDecodeError):
        return False
    if len(first) != 3:
        return False
    if first[2] in ("0", "1"):
        return True
    header_names = {name.lower() for name in (*TEXT_COLUMNS, *CODE_COLUMNS)}
    names_columns = any(cell.lower() in header_names for cell in first)
    return not named_columns and not names_columns and 0 < len(first[2]) <= _MAX_LABEL_LENGTH


def _load_pairs(path: Path, catalogue: Catalogue) -> List[LabelledText]:
    """Group the original project's ``text, entry text, label`` rows into labelled texts."""
    by_text = {}
    lookup = _entry_text_lookup(catalogue)
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            lines = raw.decode(encoding).splitlines()
            break
        except UnicodeDecodeError:
            continue
    else:
        raise LabelledDataError(f"无法识别文件 {path} 的编码（已尝试 UTF-8、GB18030）。请另存为 UTF-8 后再试。")

    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise LabelledDataError(
                f"{path} 第 {line_number} 行格式不正确：应为“文本<TAB>条目文本<TAB>0或1”三列，实际为 {len(parts)} 列。"
            )
        text, entry_text, label = (part.strip() for part in parts)
        if label not in ("0", "1"):
            raise LabelledDataError(
                f"{path} 第 {line_number} 行：第三列的标签“{label}”无效，只能是 1（文本属于该条目）或 0（不属于）。请改正这一行后再试。"
            )
        code = lookup.get(_normalise(entry_text))
        if code is None:
            raise LabelledDataError(
                f"{path} 第 {line_number} 行：条目文本“{entry_text[:30]}…”与目录中任何条目都不对应。"
                "请确认该文件与所用目录（--catalogue）是同一版本。"
            )
        codes = by_text.setdefault(text, [])
        if label == "1" and code not in codes:
            codes.append(code)
    logger.info("Grouped %d pair rows of %s into %d labelled texts", len(lines), path, len(by_text))
    return [LabelledText(text=text, codes=tuple(codes)) for text, codes in by_text.items()]


def _normalise(text: str) -> str:
    return re.sub(r"[\s，,、。：:；;]", "", text)


def _entry_text_lookup(catalogue: Catalogue) -> dict:
    lookup = {}
    for entry in catalogue:
        for form in (entry.matching_text, entry.text, entry.title, f"{entry.title}，{entry.text}", entry.explanation):
            if form:
                lookup.setdefault(_normalise(form), entry.code)
    return lookup


def load_shipped(name: str, catalogue: Optional[Catalogue] = None) -> List[LabelledText]:
    """Load a labelled set shipped in the package: ``dev``, ``train``, ``not_green_train`` or ``finetune_example``."""
    if name not in SHIPPED_SETS:
        raise LabelledDataError(f"没有名为“{name}”的内置数据集。可用：{'、'.join(SHIPPED_SETS)}。")
    source = resources.files("greenmatch") / "resources" / SHIPPED_SETS[name]
    with resources.as_file(source) as path:
        if name == "not_green_train":
            frame = read_table(path, error_class=LabelledDataError)
            return [LabelledText(text=row["text"], codes=(), kind=row.get("kind", "")) for row in frame.to_dict("records")]
        text_column = "项目名称" if name == "finetune_example" else None
        codes_column = "目录代码" if name == "finetune_example" else None
        return load_labelled(path, catalogue, text_column=text_column, codes_column=codes_column)


def load_dataset_or_file(name_or_path: str, catalogue: Optional[Catalogue] = None, **kwargs) -> List[LabelledText]:
    """Load a shipped set by name, or a labelled file by path."""
    if name_or_path in SHIPPED_SETS:
        return load_shipped(name_or_path, catalogue)
    return load_labelled(name_or_path, catalogue, **kwargs)
