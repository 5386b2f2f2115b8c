"""Tests for greenmatch.catalogue: the known layouts, the embedded catalogue, and validation.

Broken files are written into ``tmp_path`` by each test. Every validation test checks that
the message names the file and, where a row is at fault, the row and the code or column.
"""

import csv
import io
import random

import openpyxl
import pytest

from greenmatch.catalogue import Catalogue, Entry
from greenmatch.errors import CatalogueError
from greenmatch.tables import OLE2_MAGIC

OFFICIAL_CSV = "gigc2019_from_official_pdf.csv"
ORIGINAL_XLSX = "gigc2019_caitaotaotao_green_industry_sim.xlsx"
CHINESE_CSV = "gigc2019_shangfr_GreenCreditPolicy.csv"

OFFICIAL_HEADER = ["level1_code", "level1", "level2_code", "level2", "level3_code", "level3", "explanation"]
BOILER_ROW = ["1", "节能环保产业", "1.1", "高效节能装备制造", "1.1.1", "节能锅炉制造", "包括电站锅炉和工业锅炉的制造。"]
KILN_ROW = ["1", "节能环保产业", "1.1", "高效节能装备制造", "1.1.2", "节能窑炉制造", "包括隧道窑和辊道窑的制造。"]


def catalogue_order(codes):
    """Sort codes such as 1.1.10 after 1.1.9, the order of the printed catalogue."""
    return sorted(codes, key=lambda code: tuple(int(part) for part in code.split(".")))


def write_csv(path, rows, header=OFFICIAL_HEADER, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, header=OFFICIAL_HEADER):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def load_error(path, **kwargs) -> str:
    """Load ``path`` expecting a CatalogueError, and return its message."""
    with pytest.raises(CatalogueError) as raised:
        Catalogue.from_file(path, **kwargs)
    return str(raised.value)


@pytest.fixture(scope="module")
def official_rows(shared_catalogue_dir):
    """The rows of the official table, read with the csv module rather than the loader under test."""
    with open(shared_catalogue_dir / OFFICIAL_CSV, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def official_codes(official_rows):
    return [row["level3_code"] for row in official_rows]


# --- the three shared layouts -----------------------------------------------------------------


def test_load_official_layout(shared_catalogue_dir, official_codes):
    loaded = Catalogue.from_file(shared_catalogue_dir / OFFICIAL_CSV)

    assert len(loaded) == 211
    assert loaded.codes == official_codes
    assert loaded.codes == catalogue_order(loaded.codes)
    assert len(loaded.level1_titles()) == 6
    assert len(loaded.level2_titles()) == 30


def test_load_original_layout(shared_catalogue_dir, official_codes):
    loaded = Catalogue.from_file(shared_catalogue_dir / ORIGINAL_XLSX)

    assert len(loaded) == 211
    assert loaded.codes == official_codes
    assert loaded.codes == catalogue_order(loaded.codes)
    assert len(loaded.level1_titles()) == 6
    assert len(loaded.level2_titles()) == 30


def test_load_chinese_layout(shared_catalogue_dir, official_codes):
    loaded = Catalogue.from_file(shared_catalogue_dir / CHINESE_CSV)

    assert len(loaded) == 211
    assert loaded.codes == official_codes
    assert loaded.codes == catalogue_order(loaded.codes)
    assert len(loaded.level1_titles()) == 6
    assert len(loaded.level2_titles()) == 30


# --- the embedded default catalogue -----------------------------------------------------------


def test_default_counts(catalogue):
    assert len(catalogue.level1_titles()) == 6
    assert len(catalogue.level2_titles()) == 30
    assert len(catalogue) == 211


def test_default_codes_match_official(catalogue, official_rows):
    assert catalogue.codes == [row["level3_code"] for row in official_rows]
    assert [entry.level1_code for entry in catalogue] == [row["level1_code"] for row in official_rows]
    assert [entry.level2_code for entry in catalogue] == [row["level2_code"] for row in official_rows]


def test_default_titles_match_official(catalogue, official_rows):
    assert [entry.title for entry in catalogue] == [row["level3"] for row in official_rows]
    assert [entry.level1 for entry in catalogue] == [row["level1"] for row in official_rows]
    assert [entry.level2 for entry in catalogue] == [row["level2"] for row in official_rows]


def test_default_descriptions_not_copied(catalogue, official_rows):
    run_length = 20
    official_runs = set()
    for row in official_rows:
        explanation = row["explanation"]
        for start in range(len(explanation) - run_length + 1):
            official_runs.add(explanation[start : start + run_length])

    shared_runs = {}
    for entry in catalogue:
        for start in range(len(entry.text) - run_length + 1):
            run = entry.text[start : start + run_length]
            if run in official_runs:
                shared_runs[entry.code] = run
                break

    assert shared_runs == {}


def test_default_descriptions_not_empty(catalogue):
    assert [entry.code for entry in catalogue if not entry.text.strip()] == []


def test_default_descriptions_differ_from_titles(catalogue):
    assert [entry.code for entry in catalogue if entry.text == entry.title] == []


def test_default_entries_have_keywords(catalogue):
    assert [entry.code for entry in catalogue if not entry.keywords] == []


def test_default_has_no_official_explanations(catalogue):
    assert [entry.code for entry in catalogue if entry.explanation] == []


# --- lookup, order and conversion -------------------------------------------------------------


def test_lookup_by_code(catalogue):
    entry = catalogue["5.2.5"]

    assert entry.code == "5.2.5"
    assert entry.title == "充电、换电、加氢和加气设施建设和运营"
    assert entry.level2_code == "5.2"


def test_contains_known_code(catalogue):
    assert "3.2.2" in catalogue


def test_contains_unknown_code(catalogue):
    assert "9.9.9" not in catalogue


def test_iteration_order(catalogue, official_codes):
    codes = [entry.code for entry in catalogue]

    assert codes == official_codes
    assert codes[0] == "1.1.1"
    assert codes[-1] == "6.5.8"


def test_same_level2_lists_siblings(catalogue):
    assert catalogue.same_level2("1.1.1") == [f"1.1.{number}" for number in range(2, 16)]


def test_same_level2_excludes_own_code(catalogue):
    assert "1.1.5" not in catalogue.same_level2("1.1.5")


def test_unknown_code_raises_keyerror(catalogue):
    with pytest.raises(KeyError, match="9.9.9"):
        catalogue["9.9.9"]


def test_get_unknown_code_returns_default(catalogue):
    assert catalogue.get("9.9.9") is None


def test_dataset_round_trip(catalogue):
    dataset = catalogue.to_dataset()
    restored = Catalogue.from_dataset(dataset)

    assert dataset.num_rows == 211
    assert "matching_text" in dataset.column_names
    assert restored.entries == catalogue.entries


def test_save_round_trip(catalogue, tmp_path):
    path = tmp_path / "saved.jsonl"
    catalogue.save(path)
    restored = Catalogue.from_file(path)

    assert restored.entries == catalogue.entries


def test_save_round_trip_keeps_explanations(shared_catalogue_dir, tmp_path):
    official = Catalogue.from_file(shared_catalogue_dir / OFFICIAL_CSV)
    path = tmp_path / "official.jsonl"
    official.save(path)
    restored = Catalogue.from_file(path)

    assert restored.entries == official.entries


def test_constructor_rejects_duplicate_codes():
    entry = Entry(code="1.1.1", title="节能锅炉制造", text="锅炉制造。")

    with pytest.raises(CatalogueError, match="1.1.1"):
        Catalogue([entry, entry])


# --- columns named by the caller --------------------------------------------------------------

NAMED_COLUMNS = {"code": "编号", "title": "名称", "text": "说明"}
NAMED_HEADER = ["编号", "名称", "说明"]
NAMED_ROWS = [
    ["1.1.1", "节能锅炉制造", "生产工业锅炉和电站锅炉。"],
    ["3.2.2", "太阳能利用设施建设和运营", "建设并运营光伏电站和光热电站。"],
]


def test_named_columns_load(tmp_path):
    path = write_csv(tmp_path / "named.csv", NAMED_ROWS, header=NAMED_HEADER)
    loaded = Catalogue.from_file(path, columns=NAMED_COLUMNS)

    assert loaded.codes == ["1.1.1", "3.2.2"]
    assert loaded["3.2.2"].title == "太阳能利用设施建设和运营"
    assert loaded["3.2.2"].text == "建设并运营光伏电站和光热电站。"


def test_named_columns_fill_headings(tmp_path):
    path = write_csv(tmp_path / "named.csv", NAMED_ROWS, header=NAMED_HEADER)
    entry = Catalogue.from_file(path, columns=NAMED_COLUMNS)["1.1.1"]

    assert entry.level1_code == "1"
    assert entry.level1 == "节能环保产业"
    assert entry.level2_code == "1.1"
    assert entry.level2 == "高效节能装备制造"


def test_named_columns_explanation_is_cleaned(tmp_path):
    rows = [["1.1.1", "节能锅炉制造", "包括工业锅炉制造。锅炉能效需达到《锅炉能效标准》（GB 24500）规定的2级要求。"]]
    path = write_csv(tmp_path / "named.csv", rows, header=NAMED_HEADER)
    entry = Catalogue.from_file(path, columns={"code": "编号", "title": "名称", "explanation": "说明"})["1.1.1"]

    assert entry.text == "包括工业锅炉制造。"
    assert entry.explanation == rows[0][2]


def test_named_column_missing_from_file(tmp_path):
    path = write_csv(tmp_path / "named.csv", NAMED_ROWS, header=NAMED_HEADER)
    message = load_error(path, columns={"code": "编号", "title": "标题", "text": "说明"})

    assert str(path) in message
    assert "标题" in message


def test_named_columns_without_code(tmp_path):
    path = write_csv(tmp_path / "named.csv", NAMED_ROWS, header=NAMED_HEADER)
    message = load_error(path, columns={"title": "名称", "text": "说明"})

    assert "code" in message


def test_named_columns_without_text(tmp_path):
    path = write_csv(tmp_path / "named.csv", NAMED_ROWS, header=NAMED_HEADER)
    message = load_error(path, columns={"code": "编号", "title": "名称"})

    assert "text 或 explanation" in message


def test_named_columns_unknown_field(tmp_path):
    path = write_csv(tmp_path / "named.csv", NAMED_ROWS, header=NAMED_HEADER)
    message = load_error(path, columns={**NAMED_COLUMNS, "colour": "颜色"})

    assert "colour" in message


# --- validation errors ------------------------------------------------------------------------


def test_missing_columns(tmp_path):
    header = OFFICIAL_HEADER[:-1]
    path = write_csv(tmp_path / "no_explanation.csv", [BOILER_ROW[:-1]], header=header)
    message = load_error(path)

    assert str(path) in message
    assert "缺少：explanation" in message


def test_unknown_header(tmp_path):
    path = write_csv(tmp_path / "unknown.csv", [["1.1.1", "锅炉"]], header=["编号", "名称"])
    message = load_error(path)

    assert str(path) in message
    assert "编号、名称" in message


def test_duplicate_codes(tmp_path):
    path = write_csv(tmp_path / "duplicate.csv", [BOILER_ROW, KILN_ROW, BOILER_ROW])
    message = load_error(path)

    assert str(path) in message
    assert "第 4 行" in message
    assert "第 2 行" in message
    assert "“1.1.1”" in message


def test_duplicate_codes_in_workbook(tmp_path):
    path = write_xlsx(tmp_path / "duplicate.xlsx", [BOILER_ROW, BOILER_ROW])
    message = load_error(path)

    assert str(path) in message
    assert "第 3 行" in message
    assert "第 2 行" in message


def test_code_outside_level2(tmp_path):
    row = BOILER_ROW[:4] + ["1.2.1"] + BOILER_ROW[5:]
    path = write_csv(tmp_path / "misplaced.csv", [row])
    message = load_error(path)

    assert str(path) in message
    assert "第 2 行" in message
    assert "“1.2.1”" in message
    assert "“1.1”" in message


def test_level2_outside_level1(tmp_path):
    row = ["1", "节能环保产业", "2.1", "清洁生产", "2.1.1", "产品设计", "产品设计。"]
    path = write_csv(tmp_path / "misplaced.csv", [BOILER_ROW, row])
    message = load_error(path)

    assert str(path) in message
    assert "第 3 行" in message
    assert "“2.1”" in message
    assert "“1”" in message


def test_malformed_code(tmp_path):
    row = BOILER_ROW[:4] + ["1.1"] + BOILER_ROW[5:]
    path = write_csv(tmp_path / "malformed.csv", [row])
    message = load_error(path)

    assert str(path) in message
    assert "第 2 行" in message
    assert "“1.1”" in message


def test_empty_code(tmp_path):
    row = BOILER_ROW[:4] + [""] + BOILER_ROW[5:]
    path = write_csv(tmp_path / "no_code.csv", [KILN_ROW, row])
    message = load_error(path)

    assert str(path) in message
    assert "第 3 行" in message
    assert "代码为空" in message


def test_empty_title(tmp_path):
    row = BOILER_ROW[:5] + [""] + BOILER_ROW[6:]
    path = write_csv(tmp_path / "no_title.csv", [row])
    message = load_error(path)

    assert str(path) in message
    assert "第 2 行" in message
    assert "“1.1.1”" in message
    assert "标题为空" in message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    message = load_error(path)

    assert str(path) in message
    assert "空" in message


def test_header_only_file(tmp_path):
    path = write_csv(tmp_path / "header_only.csv", [])
    message = load_error(path)

    assert str(path) in message
    assert "没有任何条目" in message


def test_missing_file(tmp_path):
    path = tmp_path / "absent.csv"
    message = load_error(path)

    assert str(path) in message
    assert "找不到" in message


def test_unreadable_workbook(tmp_path):
    path = tmp_path / "noise.xlsx"
    path.write_bytes(random.Random(0).randbytes(4096))
    message = load_error(path)

    assert str(path) in message
    assert "不是有效的 XLSX" in message


def write_encrypted_workbook(path):
    """Write a password-protected workbook, encrypted for real where msoffcrypto-tool can."""
    plain = write_xlsx(path.with_name("plain.xlsx"), [BOILER_ROW])
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        OOXMLFile = None

    if OOXMLFile is not None and hasattr(OOXMLFile, "encrypt"):
        with open(plain, "rb") as source, open(path, "wb") as target:
            OOXMLFile(source).encrypt("secret", target)
    else:
        # This msoffcrypto-tool cannot encrypt, so the file is only the OLE2 compound-file
        # header that every encrypted .xlsx starts with, followed by an empty sector.
        path.write_bytes(OLE2_MAGIC + bytes(504))
    return path


def test_encrypted_workbook(tmp_path):
    path = write_encrypted_workbook(tmp_path / "locked.xlsx")
    message = load_error(path)

    assert path.read_bytes()[:8] == OLE2_MAGIC
    assert str(path) in message
    assert "密码" in message


def test_gb18030_csv_loads(tmp_path):
    path = write_csv(tmp_path / "gb18030.csv", [BOILER_ROW, KILN_ROW], encoding="gb18030")
    loaded = Catalogue.from_file(path)

    assert loaded.codes == ["1.1.1", "1.1.2"]
    assert loaded["1.1.1"].title == "节能锅炉制造"
    assert loaded["1.1.2"].text == "包括隧道窑和辊道窑的制造。"


def test_utf8_sig_csv_loads(tmp_path):
    path = write_csv(tmp_path / "bom.csv", [BOILER_ROW, KILN_ROW], encoding="utf-8-sig")
    loaded = Catalogue.from_file(path)

    assert loaded.codes == ["1.1.1", "1.1.2"]
    assert loaded["1.1.1"].level1_code == "1"
    assert loaded["1.1.2"].title == "节能窑炉制造"


def test_utf16_csv_loads(tmp_path):
    path = write_csv(tmp_path / "utf16.csv", [BOILER_ROW, KILN_ROW], encoding="utf-16")
    catalogue = Catalogue.from_file(path)

    assert len(catalogue) == 2


def test_jsonl_malformed_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"code": "1.1.1", "title": "节能锅炉制造", "text": "锅炉制造。"}\n{"code": "1.1.2", \n', encoding="utf-8")
    message = load_error(path)

    assert str(path) in message
    assert "第 2 行" in message


def test_jsonl_line_not_object(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text('{"code": "1.1.1", "title": "节能锅炉制造", "text": "锅炉制造。"}\n["1.1.2"]\n', encoding="utf-8")
    message = load_error(path)

    assert str(path) in message
    assert "第 2 行" in message


def test_jsonl_invalid_code_names_line(tmp_path):
    path = tmp_path / "bad_code.jsonl"
    path.write_text(
        '{"code": "1.1.1", "title": "节能锅炉制造", "text": "锅炉制造。"}\n'
        '{"code": "1.1", "title": "节能窑炉制造", "text": "窑炉制造。"}\n',
        encoding="utf-8",
    )
    message = load_error(path)

    assert str(path) in message
    assert "第 2 行" in message
    assert "“1.1”" in message
