"""Tests for greenmatch.cleaning: from an official-style explanation to matching text.

The short explanations below were written for these tests in the style of the catalogue.
The last tests run the cleaning over the whole official table.
"""

import re

import pytest

from greenmatch.catalogue import Catalogue
from greenmatch.cleaning import clean_explanation

CLEANING_CASES = [
    pytest.param(
        "包括高效电机（GB 18613）和配电变压器（GB 20052）等产品制造。",
        "包括高效电机和配电变压器等产品制造。",
        id="bare_standard_codes",
    ),
    pytest.param(
        "包括园区循环化改造项目（发改环资〔2012〕765号）。",
        "包括园区循环化改造项目。",
        id="document_number_in_brackets",
    ),
    pytest.param(
        "包括按照发改环资〔2017〕1234号文件建设的循环化改造项目。",
        "包括按照发改环资文件建设的循环化改造项目。",
        id="document_number_keeps_leading_words",
    ),
    pytest.param(
        "参照试点项目（国能综电力〔2016〕397号、国能综电力〔2016〕474号）开展的改造。",
        "参照试点项目开展的改造。",
        id="document_number_list_leaves_no_brackets",
    ),
    pytest.param(
        "包括节能泵和真空炉制造。泵的能效优于《泵能效限定值》（GB 19762）规定的2级水平。",
        "包括节能泵和真空炉制造。",
        id="threshold_sentence_dropped",
    ),
    pytest.param(
        "包括需求侧用电服务。需符合《电力需求侧管理办法》（发改运行规〔2017〕1690号）。",
        "包括需求侧用电服务。",
        id="compliance_with_measures_dropped",
    ),
    pytest.param(
        "包括雨水收集设施。项目需符合所在城市的海绵城市专项规划。",
        "包括雨水收集设施。",
        id="compliance_with_plan_dropped",
    ),
    pytest.param(
        "包括光伏组件、逆变器、支架等设备制造，产品需符合《光伏组件规范》（GB/T 9535）等标准要求。",
        "包括光伏组件、逆变器、支架等设备制造。",
        id="include_list_kept_clause_dropped",
    ),
    pytest.param(
        "指对既有建筑实施节能改造，需达到《既有建筑节能标准》（JGJ 176）等标准。",
        "指对既有建筑实施节能改造。",
        id="definition_kept_clause_dropped",
    ),
    pytest.param(
        "包括《国家危险废物名录》所列废物的收集和贮存。",
        "包括国家危险废物名录所列废物的收集和贮存。",
        id="named_list_kept",
    ),
    pytest.param(
        "需符合《城镇燃气设计规范》（GB 50028）和《燃气工程项目规范》（GB 55009）的要求。",
        "需符合城镇燃气设计规范和燃气工程项目规范的要求。",
        id="only_standards_keeps_names",
    ),
    pytest.param(
        "包括余热余压利用设施建设；",
        "包括余热余压利用设施建设。",
        id="trailing_semicolon",
    ),
    pytest.param("", "", id="empty"),
    pytest.param("   ", "", id="whitespace"),
]


@pytest.mark.parametrize(("explanation", "expected"), CLEANING_CASES)
def test_clean_explanation(explanation, expected):
    assert clean_explanation(explanation) == expected


def test_clean_only_standards_not_empty():
    cleaned = clean_explanation("符合《节水灌溉工程技术标准》（GB/T 50363）等国家标准。")

    assert cleaned != ""
    assert "节水灌溉工程技术标准" in cleaned
    assert "GB" not in cleaned


def test_clean_none_returns_empty():
    assert clean_explanation(None) == ""


@pytest.fixture(scope="module")
def official(shared_catalogue_dir):
    return Catalogue.from_file(shared_catalogue_dir / "gigc2019_from_official_pdf.csv")


def test_official_texts_not_empty(official):
    assert [entry.code for entry in official if re.fullmatch(r"[\W_]*", entry.text)] == []


def test_official_texts_without_standard_codes(official):
    assert [entry.code for entry in official if "GB" in entry.text] == []


def test_official_texts_without_book_titles(official):
    assert [entry.code for entry in official if "《" in entry.text or "》" in entry.text] == []


def test_official_texts_without_empty_brackets(official):
    empty_brackets = re.compile(r"[（(][\s、，,]*[)）]")

    assert [entry.code for entry in official if empty_brackets.search(entry.text)] == []


def test_official_texts_without_orphaned_verbs(official):
    # A compliance verb directly followed by 等 or a stop means its cited object was removed.
    orphaned_verb = re.compile(r"(符合|满足|达到|执行|参照)(等|[。；;，,]|$)")

    assert [entry.code for entry in official if orphaned_verb.search(entry.text)] == []
