"""Reading and writing analysts' tables: formulas, cell types, repeated headers, worksheets,
UTF-16 text, JSONL errors and the limits of XLSX cells."""

import codecs
import datetime
import zipfile

import openpyxl
import pandas as pd
import pytest

from greenmatch.errors import InputFileError
from greenmatch.tables import (
    XLSX_MAX_CELL_CHARACTERS,
    cell_text,
    escape_csv_formula,
    read_table,
    write_table,
    xlsx_cell_problems,
)

FORMULA = '=HYPERLINK("http://127.0.0.1/x","点击")'
LONG_TEXT = "光" * (XLSX_MAX_CELL_CHARACTERS + 1)


def first_sheet(path):
    return openpyxl.load_workbook(path).worksheets[0]


def write_xlsx(path, rows, sheet="Sheet1"):
    """Write rows (header first) with openpyxl, so that every cell keeps the Python type given."""
    workbook = openpyxl.Workbook()
    workbook.active.title = sheet
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


# --- formulas --------------------------------------------------------------------------------


@pytest.fixture
def formula_xlsx(tmp_path):
    path = tmp_path / "out.xlsx"
    write_table(pd.DataFrame({"项目名称": [FORMULA, "光伏电站"], "=表头": ["a", "b"]}), path)
    return path


def test_xlsx_formula_is_text_cell(formula_xlsx):
    assert first_sheet(formula_xlsx)["A2"].data_type == "s"


def test_xlsx_formula_text_kept(formula_xlsx):
    assert first_sheet(formula_xlsx)["A2"].value == FORMULA


def test_xlsx_header_formula_is_text(formula_xlsx):
    assert first_sheet(formula_xlsx)["B1"].data_type == "s"


def test_xlsx_sheet_has_no_formula(formula_xlsx):
    with zipfile.ZipFile(formula_xlsx) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml


@pytest.mark.parametrize(
    "value, written",
    [
        (FORMULA, "'" + FORMULA),
        ("+86 138 0000 0000", "'+86 138 0000 0000"),
        ("-光伏电站", "'-光伏电站"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("-5", "-5"),
        ("-1,234.5", "-1,234.5"),
        ("+3.2%", "+3.2%"),
        ("1e-5", "1e-5"),
        ("-", "-"),
        ("光伏电站", "光伏电站"),
        (-0.25, -0.25),
    ],
)
def test_csv_escape_table(value, written):
    assert escape_csv_formula(value) == written


def test_csv_output_escapes_formula(tmp_path):
    path = tmp_path / "out.csv"
    write_table(pd.DataFrame({"项目名称": [FORMULA], "分数": [-0.25]}), path)
    assert read_table(path)["项目名称"].tolist() == ["'" + FORMULA]


def test_csv_output_keeps_negative_score(tmp_path):
    path = tmp_path / "out.csv"
    write_table(pd.DataFrame({"项目名称": [FORMULA], "分数": [-0.25]}), path)
    assert read_table(path)["分数"].tolist() == ["-0.25"]


# --- cell types ------------------------------------------------------------------------------


@pytest.fixture
def typed_xlsx(tmp_path):
    rows = [
        ["项目名称", "金额", "日期", "时间", "编号", "通过"],
        ["光伏电站", 1234567.5, datetime.datetime(2024, 3, 1), datetime.datetime(2024, 3, 1, 9, 30), "007", True],
        [2024, 3, None, None, "", False],
    ]
    return write_xlsx(tmp_path / "typed.xlsx", rows)


@pytest.fixture
def typed_copy(typed_xlsx, tmp_path):
    path = tmp_path / "copy.xlsx"
    write_table(read_table(typed_xlsx, keep_types=True), path)
    return first_sheet(path)


def test_xlsx_number_stays_number(typed_copy):
    assert typed_copy["B2"].value == 1234567.5


def test_xlsx_number_cell_type(typed_copy):
    assert typed_copy["B2"].data_type == "n"


def test_xlsx_date_stays_date(typed_copy):
    assert typed_copy["C2"].value == datetime.datetime(2024, 3, 1)


def test_xlsx_date_format(typed_copy):
    assert typed_copy["C2"].number_format == "yyyy-mm-dd"


def test_xlsx_datetime_format(typed_copy):
    assert typed_copy["D2"].number_format == "yyyy-mm-dd hh:mm:ss"


def test_xlsx_text_digits_stay_text(typed_copy):
    assert typed_copy["E2"].value == "007"


def test_xlsx_boolean_stays_boolean(typed_copy):
    assert typed_copy["F2"].value is True


def test_xlsx_empty_cell_stays_empty(typed_copy):
    assert typed_copy["C3"].value is None


def test_default_read_is_text(typed_xlsx):
    assert read_table(typed_xlsx)["金额"].tolist() == ["1234567.5", "3"]


@pytest.mark.parametrize("value, text", [(None, ""), (float("nan"), ""), (2024, "2024"), (3.5, "3.5"), ("光伏", "光伏")])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_csv_cells_stay_as_written(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("编号,金额,日期\n007,\"1,234.50\",2024/3/1\n", encoding="utf-8")
    copy = tmp_path / "copy.csv"
    write_table(read_table(source, keep_types=True), copy)
    assert copy.read_text(encoding="utf-8-sig").splitlines()[1] == '007,"1,234.50",2024/3/1'


def test_jsonl_numbers_keep_types(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"项目名称": "光伏", "金额": 12.5, "备注": null}\n', encoding="utf-8")
    assert read_table(path, keep_types=True).iloc[0].tolist() == ["光伏", 12.5, None]


# --- repeated headers ------------------------------------------------------------------------


def test_csv_repeated_header_rejected(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("项目名称,金额,项目名称\n光伏,1,风电\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="“项目名称”（第 1、3 列）"):
        read_table(path)


def test_xlsx_repeated_header_rejected(tmp_path):
    path = write_xlsx(tmp_path / "dup.xlsx", [["项目名称", "项目名称"], ["光伏", "风电"]])
    with pytest.raises(InputFileError, match="重复的列名"):
        read_table(path)


def test_header_spaces_count_as_repeat(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("项目名称, 项目名称 \n光伏,风电\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="首尾空格不算区别"):
        read_table(path)


def test_jsonl_repeated_key_rejected(tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_text('{"项目名称": "光伏", "项目名称": "风电"}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="第 1 行的键“项目名称”"):
        read_table(path)


def test_empty_header_named_like_pandas(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("项目名称,,\n光伏,1,2\n", encoding="utf-8")
    assert list(read_table(path).columns) == ["项目名称", "Unnamed: 1", "Unnamed: 2"]


# --- worksheets ------------------------------------------------------------------------------


@pytest.fixture
def two_sheets(tmp_path):
    path = tmp_path / "loans.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"说明": ["x"]}).to_excel(writer, sheet_name="说明", index=False)
        pd.DataFrame({"项目名称": ["光伏"]}).to_excel(writer, sheet_name="项目", index=False)
    return path


def test_missing_sheet_names_file(two_sheets):
    with pytest.raises(InputFileError, match="loans.xlsx"):
        read_table(two_sheets, sheet_name="nosuch")


def test_missing_sheet_named(two_sheets):
    with pytest.raises(InputFileError, match="没有名为“nosuch”的工作表"):
        read_table(two_sheets, sheet_name="nosuch")


def test_missing_sheet_lists_sheets(two_sheets):
    with pytest.raises(InputFileError, match="现有的工作表：“说明”、“项目”"):
        read_table(two_sheets, sheet_name="nosuch")


def test_sheet_index_out_of_range(two_sheets):
    with pytest.raises(InputFileError, match="只有 2 个工作表"):
        read_table(two_sheets, sheet_name=5)


def test_named_sheet_read(two_sheets):
    assert read_table(two_sheets, sheet_name="项目")["项目名称"].tolist() == ["光伏"]


# --- UTF-16 text -----------------------------------------------------------------------------

UNICODE_TEXT = "项目名称\t金额\r\n屋顶光伏电站\t1,200\r\n"


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_utf16_le_tab_separated(tmp_path, suffix):
    path = tmp_path / f"unicode{suffix}"
    path.write_bytes(codecs.BOM_UTF16_LE + UNICODE_TEXT.encode("utf-16-le"))
    assert read_table(path).to_dict("records") == [{"项目名称": "屋顶光伏电站", "金额": "1,200"}]


def test_utf16_be_read(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes(codecs.BOM_UTF16_BE + UNICODE_TEXT.encode("utf-16-be"))
    assert list(read_table(path).columns) == ["项目名称", "金额"]


def test_utf16_comma_separated(tmp_path):
    path = tmp_path / "unicode.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "项目名称,金额\r\n光伏,1\r\n".encode("utf-16-le"))
    assert list(read_table(path).columns) == ["项目名称", "金额"]


def test_utf16_broken_rejected(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "项目".encode("utf-16-le") + b"\x00\xd8")  # a lone high surrogate
    with pytest.raises(InputFileError, match="不是有效的 UTF-16 文本"):
        read_table(path)


# --- JSONL errors ----------------------------------------------------------------------------


@pytest.fixture
def control_character_jsonl(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"项目名称": "光伏"}\n{"项目名称": "风电\t场"}\n', encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_table(path)
    return str(caught.value)


def test_jsonl_error_names_file(control_character_jsonl):
    assert "rows.jsonl" in control_character_jsonl


def test_jsonl_error_names_line_and_column(control_character_jsonl):
    assert "第 2 行第 13 列" in control_character_jsonl  # the tab is the 13th character


def test_jsonl_error_reason_in_chinese(control_character_jsonl):
    assert "未转义的控制字符" in control_character_jsonl


def test_jsonl_error_has_no_english_reason(control_character_jsonl):
    assert "Invalid" not in control_character_jsonl


def test_jsonl_invalid_utf8_rejected(tmp_path):
    path = tmp_path / "gbk.jsonl"
    path.write_bytes('{"项目名称": "光伏"}\n'.encode("utf-8") + '{"项目名称": "风电"}\n'.encode("gbk"))
    with pytest.raises(InputFileError, match="第 2 行不是有效的 UTF-8 文本"):
        read_table(path)


# --- limits of XLSX cells --------------------------------------------------------------------


def test_long_cell_problem_names_row_and_column():
    frame = pd.DataFrame({"编号": ["1", "2"], "项目名称": ["光伏", LONG_TEXT]})
    assert xlsx_cell_problems(frame) == [f"第 3 行“项目名称”列有 {len(LONG_TEXT)} 个字符"]


def test_control_character_problem():
    frame = pd.DataFrame({"项目名称": ["光伏\x01电站"]})
    assert xlsx_cell_problems(frame) == ["第 2 行“项目名称”列含控制字符 U+0001（第 3 个字符）"]


def test_tab_and_newline_fit_xlsx():
    assert xlsx_cell_problems(pd.DataFrame({"项目名称": ["光伏\t电站\n二期"]})) == []


def test_problem_list_is_capped():
    frame = pd.DataFrame({"项目名称": ["\x01"] * 8})
    assert xlsx_cell_problems(frame, max_listed=5)[-1] == "另有 3 个单元格"


def test_long_cell_xlsx_write_rejected(tmp_path):
    with pytest.raises(InputFileError, match="第 2 行“项目名称”列"):
        write_table(pd.DataFrame({"项目名称": [LONG_TEXT]}), tmp_path / "out.xlsx")


def test_rejected_xlsx_not_written(tmp_path):
    with pytest.raises(InputFileError):
        write_table(pd.DataFrame({"项目名称": [LONG_TEXT]}), tmp_path / "out.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_long_cell_csv_kept_whole(tmp_path):
    path = tmp_path / "out.csv"
    write_table(pd.DataFrame({"项目名称": [LONG_TEXT]}), path)
    assert read_table(path)["项目名称"].tolist() == [LONG_TEXT]


def test_csv_keeps_whole_numbers(tmp_path):
    path = tmp_path / "out.csv"
    write_table(pd.DataFrame({"金额": pd.Series([1000000, 2.5], dtype=object)}), path)
    assert read_table(path)["金额"].tolist() == ["1000000", "2.5"]
