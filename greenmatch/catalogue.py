"""The green-industry catalogue: entries, loading from the common layouts, and validation.

A catalogue is a three-level tree (for 《绿色产业指导目录（2019年版）》: 6 first-level, 30
second-level and 211 third-level entries). greenmatch matches texts to the third-level entries,
so a `Catalogue` is an ordered collection of third-level `Entry` objects that carry their
level-1 and level-2 codes and titles.

Files are read in any of these layouts, detected from the header:

- ``official``: ``level1_code, level1, level2_code, level2, level3_code, level3, explanation``
  (the table made from the official PDF);
- ``original``: ``THEME, DETAILS, SIM_POOL_PURE, ...``, the workbook of the original project,
  where THEME holds code and title together (``1.1.1 节能锅炉制造``);
- ``chinese``: ``一级目录, 二级目录, 目录, 说明[, 国标]``, each title led by its code;
- ``greenmatch``: ``code, title, text[, level1_code, level1, level2_code, level2, explanation,
  keywords]``, the layout `Catalogue.save` and `Catalogue.to_dataset` write.

Any other header works when the caller names the columns (``columns={"code": "编号", ...}``).
"""

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence

import pandas as pd

from greenmatch.cleaning import clean_explanation
from greenmatch.errors import CatalogueError
from greenmatch.tables import read_table

logger = logging.getLogger(__name__)

DEFAULT_CATALOGUE_NAME = "gigc2019"
DEFAULT_CATALOGUE_TITLE = "绿色产业指导目录（2019年版）"

ENTRY_FIELDS = ("code", "title", "text", "level1_code", "level1", "level2_code", "level2", "explanation", "keywords")

_CODE = re.compile(r"^\d+(\.\d+){2}$")
_LEADING_CODE = re.compile(r"^\s*(\d+(?:\s*\.\s*\d+)*)\s*[.．、]?\s*(.*)$", re.S)

# Columns that identify each layout, and how their columns map to entry fields.
_LAYOUTS = {
    "official": {
        "level1_code": "level1_code",
        "level1": "level1",
        "level2_code": "level2_code",
        "level2": "level2",
        "code": "level3_code",
        "title": "level3",
        "explanation": "explanation",
    },
    "original": {"theme": "THEME", "explanation": "DETAILS", "text": "SIM_POOL_PURE"},
    "chinese": {"level1": "一级目录", "level2": "二级目录", "theme": "目录", "explanation": "说明"},
    "greenmatch": {"code": "code", "title": "title", "text": "text"},
}
_OPTIONAL_GREENMATCH_COLUMNS = ("level1_code", "level1", "level2_code", "level2", "explanation", "keywords")


@dataclass(frozen=True)
class Entry:
    """A third-level catalogue entry with its place in the tree.

    ``text`` is the text used for matching: a description of the activities, products and
    facilities the entry covers. ``explanation`` is the official explanation when the entry
    was loaded from an official table, and empty otherwise.
    """

    code: str
    title: str
    text: str
    level1_code: str = ""
    level1: str = ""
    level2_code: str = ""
    level2: str = ""
    explanation: str = ""
    keywords: tuple = field(default_factory=tuple)

    @property
    def matching_text(self) -> str:
        """Title and description joined, the entry side of every retriever and cross-encoder input."""
        if not self.text or self.text == self.title:
            return self.title
        return f"{self.title}：{self.text}"

    def to_dict(self) -> dict:
        record = asdict(self)
        record["keywords"] = list(self.keywords)
        return record


class Catalogue:
    """An ordered collection of third-level entries, looked up by code.

    Args:
        entries: the entries in catalogue order. Codes must be unique.
        name: a short identifier, e.g. ``gigc2019``.
        title: the human-readable title, e.g. 绿色产业指导目录（2019年版）.

    Example::

        >>> catalogue = Catalogue.default()
        >>> len(catalogue)
        211
        >>> catalogue["5.2.5"].title
        '充电、换电、加氢和加气设施建设和运营'
    """

    def __init__(self, entries: Sequence[Entry], name: str = "custom", title: str = ""):
        self.entries = list(entries)
        self.name = name
        self.title = title or name
        self._by_code = {}
        for entry in self.entries:
            if entry.code in self._by_code:
                raise CatalogueError(f"目录中有重复的条目代码“{entry.code}”。每个三级条目的代码必须唯一。")
            self._by_code[entry.code] = entry

    # --- collection protocol -------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Entry:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"目录“{self.title}”中没有代码为“{code}”的条目。") from None

    def get(self, code: str, default=None) -> Optional[Entry]:
        return self._by_code.get(code, default)

    def __repr__(self) -> str:
        return f"Catalogue(name={self.name!r}, entries={len(self)})"

    @property
    def codes(self) -> list:
        return [entry.code for entry in self.entries]

    def index_of(self, code: str) -> int:
        return self.codes.index(code)

    def level1_titles(self) -> dict:
        """Map each first-level code to its title, in catalogue order."""
        return {entry.level1_code: entry.level1 for entry in self.entries}

    def level2_titles(self) -> dict:
        """Map each second-level code to its title, in catalogue order."""
        return {entry.level2_code: entry.level2 for entry in self.entries}

    def same_level2(self, code: str) -> list:
        """Return the codes of the other entries under the same second-level heading."""
        parent = self[code].level2_code
        return [entry.code for entry in self.entries if entry.level2_code == parent and entry.code != code]

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def default(cls) -> "Catalogue":
        """Load the catalogue embedded in the package.

        It holds the 2019 catalogue's codes and titles; the descriptions and keywords were
        written for greenmatch and are not the official explanations.
        """
        source = resources.files("greenmatch") / "resources" / f"{DEFAULT_CATALOGUE_NAME}.jsonl"
        with resources.as_file(source) as path:
            catalogue = cls.from_file(path, name=DEFAULT_CATALOGUE_NAME)
        catalogue.title = DEFAULT_CATALOGUE_TITLE
        return catalogue

    @classmethod
    def load(cls, path_or_name: Optional[str] = None, columns: Optional[Mapping[str, str]] = None) -> "Catalogue":
        """Load the embedded catalogue (``None`` or ``"gigc2019"``) or a catalogue file."""
        if path_or_name in (None, "", DEFAULT_CATALOGUE_NAME, "default"):
            return cls.default()
        return cls.from_file(path_or_name, columns=columns)

    @classmethod
    def from_file(cls, path, columns: Optional[Mapping[str, str]] = None, name: Optional[str] = None) -> "Catalogue":
        """Read a catalogue from CSV, XLSX or JSONL, detecting its layout from the header.

        Args:
            path: the file.
            columns: maps entry fields (``code``, ``title``, ``text``, ``explanation``,
                ``level1``, ``level2``, ``level1_code``, ``level2_code``) to column names,
                for files in none of the known layouts. ``code`` and ``title`` are required,
                and one of ``text`` and ``explanation``.
            name: the catalogue's short identifier, by default the file's stem.

        Raises:
            CatalogueError: the file cannot be read, or a row is invalid. The message names
                the file and the row.
        """
        path = Path(path)
        frame = read_table(path, error_class=CatalogueError)
        if columns:
            layout, mapping = "custom", _check_named_columns(frame, columns, path)
        else:
            layout, mapping = _detect_layout(frame, path)
        logger.info("Reading catalogue %s in the %s layout (%d rows)", path, layout, len(frame))

        entries = _rows_to_entries(frame, layout, mapping, path)
        catalogue = cls(_check_entries(entries, path), name=name or path.stem)
        catalogue.title = name or path.stem
        logger.info(
            "Loaded %d entries under %d first-level and %d second-level headings from %s",
            len(catalogue),
            len(catalogue.level1_titles()),
            len(catalogue.level2_titles()),
            path,
        )
        return catalogue

    # --- conversion ------------------------------------------------------------------------

    def to_dataset(self):
        """Return the entries as a `datasets.Dataset`, one row per entry, in catalogue order."""
        from datasets import Dataset

        records = [entry.to_dict() for entry in self.entries]
        for record in records:
            record["matching_text"] = Entry(**{**record, "keywords": ()}).matching_text
        return Dataset.from_list(records)

    @classmethod
    def from_dataset(cls, dataset, name: str = "custom", title: str = "") -> "Catalogue":
        """Build a catalogue from a dataset with the columns `to_dataset` writes."""
        missing = [column for column in ("code", "title", "text") if column not in dataset.column_names]
        if missing:
            raise CatalogueError(f"数据集缺少列：{'、'.join(missing)}。现有列：{'、'.join(dataset.column_names)}。")
        entries = []
        for row in dataset:
            values = {key: row.get(key) or "" for key in ENTRY_FIELDS if key != "keywords"}
            values["keywords"] = tuple(row.get("keywords") or ())
            entries.append(Entry(**values))
        return cls(entries, name=name, title=title)

    def save(self, path) -> None:
        """Write the catalogue as JSONL in the ``greenmatch`` layout."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for entry in self.entries:
                handle.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")

    def to_records(self) -> list:
        return [entry.to_dict() for entry in self.entries]


# --- layout detection and row parsing ---------------------------------------------------------


def _detect_layout(frame: pd.DataFrame, path: Path):
    present = set(frame.columns)
    for layout, mapping in _LAYOUTS.items():
        if set(mapping.values()) <= present:
            resolved = dict(mapping)
            if layout == "greenmatch":
                resolved.update({key: key for key in _OPTIONAL_GREENMATCH_COLUMNS if key in present})
            return layout, resolved

    expected = "；".join(f"{name}：{'、'.join(mapping.values())}" for name, mapping in _LAYOUTS.items())
    closest = max(_LAYOUTS, key=lambda name: len(set(_LAYOUTS[name].values()) & present))
    missing = [column for column in _LAYOUTS[closest].values() if column not in present]
    raise CatalogueError(
        f"无法识别目录文件 {path} 的格式：缺少必需的列（按 {closest} 格式缺少：{'、'.join(missing)}）。"
        f"现有列：{'、'.join(frame.columns)}。"
        f"支持的表头为（{expected}）。也可以用 --columns 指定列名，例如 --columns code=编号,title=名称,text=说明。"
    )


def _check_named_columns(frame: pd.DataFrame, columns: Mapping[str, str], path: Path) -> dict:
    unknown_fields = [key for key in columns if key not in ENTRY_FIELDS]
    if unknown_fields:
        raise CatalogueError(f"未知的字段名：{'、'.join(unknown_fields)}。可用字段：{'、'.join(ENTRY_FIELDS)}。")
    missing_fields = [key for key in ("code", "title") if key not in columns]
    if "text" not in columns and "explanation" not in columns:
        missing_fields.append("text 或 explanation")
    if missing_fields:
        raise CatalogueError(f"指定列名时必须包含字段：{'、'.join(missing_fields)}。")
    missing_columns = [column for column in columns.values() if column not in frame.columns]
    if missing_columns:
        raise CatalogueError(
            f"目录文件 {path} 缺少列：{'、'.join(missing_columns)}。现有列：{'、'.join(frame.columns)}。请检查列名是否与表头一致。"
        )
    return dict(columns)


def _split_code(value: str):
    """Split ``1.1.1 节能锅炉制造`` or ``1. 节能环保产业`` into code and title."""
    match = _LEADING_CODE.match(value or "")
    if not match or not match.group(1):
        return "", (value or "").strip()
    code = re.sub(r"\s+", "", match.group(1)).rstrip(".")
    return code, match.group(2).strip()


def _rows_to_entries(frame: pd.DataFrame, layout: str, mapping: dict, path: Path) -> list:
    hierarchy = _default_hierarchy() if layout in ("original", "custom", "greenmatch") else {}
    # CSV and XLSX have a header in row 1, but JSONL has none, so its first record is on line 1.
    # NOTE: blank lines skipped in a JSONL or CSV file shift the numbers of the rows below them.
    first_row_number = 1 if path.suffix.lower() in (".jsonl", ".json") else 2
    entries = []
    for index, row in enumerate(frame.to_dict("records")):
        row_number = index + first_row_number
        values = {key: str(row.get(column, "")).strip() for key, column in mapping.items()}

        if "theme" in values:
            values["code"], values["title"] = _split_code(values.pop("theme"))
        for level in ("level1", "level2"):
            if values.get(level) and not values.get(f"{level}_code"):
                level_code, level_title = _split_code(values[level])
                if level_code:
                    values[f"{level}_code"], values[level] = level_code, level_title

        if not any(values.values()):
            continue  # a blank row at the end of a sheet
        values["code"] = re.sub(r"\s+", "", values.get("code", "")).rstrip(".")
        _fill_hierarchy(values, hierarchy)
        values["explanation"] = values.get("explanation", "")
        if not values.get("text"):
            values["text"] = clean_explanation(values["explanation"])
        elif layout == "original" and values["text"].startswith(values.get("title", "") + "，"):
            values["text"] = values["text"][len(values["title"]) + 1 :]  # SIM_POOL_PURE repeats the title
        values["keywords"] = tuple(k for k in re.split(r"[;；,，、]", values.get("keywords", "")) if k.strip())
        entries.append((row_number, Entry(**{key: values.get(key, "") for key in ENTRY_FIELDS})))
    return entries


def _fill_hierarchy(values: dict, hierarchy: dict) -> None:
    code = values.get("code", "")
    parts = code.split(".")
    if len(parts) == 3:
        values.setdefault("level1_code", "")
        values.setdefault("level2_code", "")
        values["level1_code"] = values["level1_code"] or parts[0]
        values["level2_code"] = values["level2_code"] or ".".join(parts[:2])
    for level in ("level1", "level2"):
        if not values.get(level):
            values[level] = hierarchy.get(values.get(f"{level}_code", ""), "")


def _default_hierarchy() -> dict:
    """Map the 2019 catalogue's level-1 and level-2 codes to their titles."""
    source = resources.files("greenmatch") / "resources" / f"{DEFAULT_CATALOGUE_NAME}.jsonl"
    titles = {}
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            titles[record["level1_code"]] = record["level1"]
            titles[record["level2_code"]] = record["level2"]
    return titles


def _check_entries(numbered_entries: list, path: Path) -> list:
    """Validate codes, titles and the tree, raising a CatalogueError that names the row."""
    if not numbered_entries:
        raise CatalogueError(f"目录文件 {path} 没有任何条目。")
    first_row = {}
    for row_number, entry in numbered_entries:
        where = f"{path} 第 {row_number} 行"
        if not entry.code:
            raise CatalogueError(f"{where}：条目代码为空。请填写三级条目代码，例如 1.1.1。")
        if not _CODE.match(entry.code):
            raise CatalogueError(f"{where}：条目代码“{entry.code}”格式不正确，应为“一级.二级.三级”形式，例如 1.1.1。")
        if not entry.title:
            raise CatalogueError(f"{where}：条目“{entry.code}”的标题为空。请填写三级条目名称。")
        if entry.level2_code and not entry.code.startswith(entry.level2_code + "."):
            raise CatalogueError(
                f"{where}：条目代码“{entry.code}”与所属二级代码“{entry.level2_code}”不一致。请检查代码层级。"
            )
        if entry.level1_code and entry.level2_code and not entry.level2_code.startswith(entry.level1_code + "."):
            raise CatalogueError(
                f"{where}：二级代码“{entry.level2_code}”与所属一级代码“{entry.level1_code}”不一致。请检查代码层级。"
            )
        if entry.code in first_row:
            raise CatalogueError(
                f"{where}：条目代码“{entry.code}”与第 {first_row[entry.code]} 行重复。每个三级条目的代码必须唯一。"
            )
        first_row[entry.code] = row_number
        if not entry.text and not entry.explanation:
            logger.warning("%s: entry %s has no description; its title alone will be matched", where, entry.code)
    return [entry for _, entry in numbered_entries]
