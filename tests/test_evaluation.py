"""Tests of the baselines, evaluate_ranker, the report writer and ``greenmatch evaluate``."""

import argparse
import copy
import json
import logging
import math
import sys
import types
import warnings

import pytest
from matplotlib import font_manager
from sklearn.metrics import f1_score, roc_auc_score

from greenmatch import report
from greenmatch.baselines import BASELINES, BaselineNotFoundError, BM25Ranker, char_ngram_tokens, load_baseline, zero_shot_ranker
from greenmatch.catalogue import Catalogue
from greenmatch.commands import evaluate as evaluate_command
from greenmatch.errors import GreenmatchError, LabelledDataError
from greenmatch.evaluation import (
    THRESHOLD_FROM_ARGUMENT,
    THRESHOLD_FROM_RANKER,
    THRESHOLD_ORACLE,
    evaluate_ranker,
    hit_at_k_curve,
    oracle_threshold,
    per_level1_hit_at_1,
)
from greenmatch.labelled import LabelledText, load_labelled, parse_codes
from greenmatch.ranking import Ranking

# Texts written for these tests, with codes of the embedded 2019 catalogue. An empty code
# cell means not green.
LABELLED_ROWS = [
    ("江苏盐城海上风力发电场建设项目", "3.2.1", "project_name"),
    ("工业园区屋顶分布式光伏电站", "3.2.2;3.4.6", "project_name"),
    ("城市生活垃圾焚烧发电厂扩建", "5.3.2", "project_name"),
    ("新能源汽车充电桩建设和运营", "5.2.5", "project_name"),
    ("钢铁企业烧结机超低排放改造", "2.3.4", "project_name"),
    ("为商场提供合同能源管理服务", "6.2.2", "loan_purpose"),
    ("城镇污水处理厂提标改造及再生水利用", "5.3.1", "project_name"),
    ("废弃农膜回收再利用项目", "2.5.4", "project_name"),
    ("用于购置节能变压器生产设备", "1.1.9", "loan_purpose"),
    ("湿地公园生态修复", "4.3.2", "project_name"),
    ("老旧小区外墙加装保温层", "5.1.5", "project_name"),
    ("给学校食堂换装空气源热水机组", "3.2.10", "loan_purpose"),
    ("采购一批纯电动公交车投入市区线路", "5.2.7", "loan_purpose"),
    ("商品住宅小区开发项目", "", "project_name"),
    ("白酒销售；日用百货零售", "", "business_scope"),
    ("用于支付员工工资及办公场所租金", "", "loan_purpose"),
    ("高档写字楼装修工程", "", "project_name"),
    ("一般项目：服装服饰批发；鞋帽零售", "", "business_scope"),
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPORT_PLOTS = (report.HIT_AT_K_PLOT, report.SCORE_PLOT, report.LEVEL1_PLOT)


@pytest.fixture(scope="module")
def labelled_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("labelled") / "small.csv"
    lines = ["text,codes,kind"] + [f"{text},{codes},{kind}" for text, codes, kind in LABELLED_ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def labelled(labelled_file, catalogue):
    return load_labelled(labelled_file, catalogue)


@pytest.fixture(scope="module")
def bm25(catalogue):
    return load_baseline("bm25", catalogue)


class FixedRanker:
    """A ranker that returns prepared rankings, one per text in order."""

    def __init__(self, rankings, name="fixed", threshold=None):
        self.rankings = rankings
        self.name = name
        self.threshold = threshold

    def rank(self, texts, top_k=10):
        return [Ranking(codes=r.codes[:top_k], scores=r.scores[:top_k], verdict_score=r.verdict_score) for r in self.rankings]


def run_evaluate_command(argv):
    """Parse ``argv`` with a parser that has only the evaluate subcommand, and run it."""
    parser = argparse.ArgumentParser(prog="greenmatch")
    subparsers = parser.add_subparsers(dest="command")
    evaluate_command.add_parser(subparsers)
    args = parser.parse_args(["evaluate", *argv])
    return args.run(args)


def expected_ranking_metrics(result, ks=(1, 3, 5, 10)):
    """Compute hit@k, MRR and NDCG@10 by hand from the per-text records."""
    green = [record for record in result.per_text if record["codes"]]
    ranks = [record["rank"] for record in green]
    expected = {f"hit@{k}": sum(rank is not None and rank <= k for rank in ranks) / len(ranks) for k in ks}
    expected["mrr"] = sum(1 / rank for rank in ranks if rank is not None) / len(ranks)
    ndcg_values = []
    for record in green:
        dcg = sum(1 / math.log2(i + 2) for i, code in enumerate(record["predicted"][:10]) if code in record["codes"])
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(record["codes"]), 10)))
        ndcg_values.append(dcg / ideal)
    expected["ndcg@10"] = sum(ndcg_values) / len(ndcg_values)
    return expected


# --- baselines --------------------------------------------------------------------------------


def test_char_tokens_stop_at_punctuation():
    tokens = char_ngram_tokens("光伏、风电LED")
    assert tokens == ["光", "伏", "光伏", "风", "电", "风电", "led"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("江苏盐城海上风力发电场建设项目", "3.2.1"), ("为商场提供合同能源管理服务", "6.2.2"), ("抽水蓄能电站建设", "3.4.7")],
)
def test_bm25_ranks_easy_text_first(bm25, text, code):
    ranking = bm25.rank([text], top_k=5)[0]
    assert ranking.codes[0] == code
    assert ranking.verdict_score == ranking.scores[0]
    assert ranking.scores == sorted(ranking.scores, reverse=True)


def test_bm25_jieba_ranks_easy_text_first(catalogue):
    ranker = BM25Ranker(catalogue, tokenizer="jieba")
    assert ranker.rank(["新能源汽车充电桩建设和运营"], top_k=3)[0].codes[0] == "5.2.5"


def test_bm25_text_without_known_tokens(bm25):
    ranking = bm25.rank(["!!!"], top_k=3)[0]
    assert len(ranking.codes) == 3
    assert ranking.verdict_score == 0.0


def test_baselines_have_no_threshold(bm25):
    assert bm25.threshold is None
    assert bm25.name == "bm25"


def test_unknown_baseline_raises_chinese_error(catalogue):
    with pytest.raises(BaselineNotFoundError) as caught:
        load_baseline("bm26", catalogue)
    assert isinstance(caught.value, GreenmatchError)
    assert "没有名为“bm26”的基线方法" in str(caught.value)
    for name in BASELINES:
        assert name in str(caught.value)


def test_zero_shot_ranks_with_cosine(catalogue):
    # A 3-category slice of the catalogue keeps the entry embeddings quick on a CPU.
    small = Catalogue([entry for entry in catalogue if entry.level1_code in ("3", "5", "6")], name="slice")
    ranker = zero_shot_ranker(small)
    rankings = ranker.rank(["江苏盐城海上风力发电场建设项目", "城市生活垃圾焚烧发电厂扩建"], top_k=5)
    assert ranker.threshold is None
    assert ranker.name == "zero-shot"
    assert rankings[0].codes[0].startswith("3.")
    for ranking in rankings:
        assert len(ranking.codes) == 5
        assert -1.0 <= ranking.verdict_score <= 1.0 + 1e-5
        assert ranking.verdict_score == pytest.approx(ranking.scores[0])


# --- evaluate_ranker --------------------------------------------------------------------------


def test_evaluate_metrics_match_hand_computation(bm25, labelled, catalogue):
    result = evaluate_ranker(bm25, labelled, catalogue)
    expected = expected_ranking_metrics(result)
    for key, value in expected.items():
        assert result.metrics[key] == pytest.approx(value), key
    assert result.metrics["num_green"] == 13
    assert result.metrics["num_not_green"] == 5


def test_evaluate_auroc_matches_sklearn(bm25, labelled, catalogue):
    result = evaluate_ranker(bm25, labelled, catalogue)
    labels = [1 if record["codes"] else 0 for record in result.per_text]
    scores = [record["verdict_score"] for record in result.per_text]
    assert result.metrics["auroc"] == pytest.approx(roc_auc_score(labels, scores))


def test_evaluate_oracle_threshold_maximises_f1(bm25, labelled, catalogue):
    result = evaluate_ranker(bm25, labelled, catalogue)
    is_not_green = [not record["codes"] for record in result.per_text]
    scores = [record["verdict_score"] for record in result.per_text]

    def f1_at(threshold):
        return f1_score(is_not_green, [score < threshold for score in scores], zero_division=0.0)

    assert result.metrics["threshold_source"] == THRESHOLD_ORACLE
    assert result.metrics["f1"] == pytest.approx(f1_at(result.metrics["threshold"]))
    best_possible = max(f1_at(score + offset) for score in scores for offset in (-1e-6, 1e-6))
    assert result.metrics["f1"] == pytest.approx(best_possible)


def test_evaluate_threshold_sources(labelled, catalogue):
    rankings = [Ranking(codes=["3.2.1"], scores=[0.5], verdict_score=0.5) for _ in labelled]
    from_argument = evaluate_ranker(FixedRanker(rankings, threshold=0.9), labelled, catalogue, threshold=0.1)
    calibrated = evaluate_ranker(FixedRanker(rankings, threshold=0.9), labelled, catalogue)
    assert from_argument.metrics["threshold_source"] == THRESHOLD_FROM_ARGUMENT
    assert from_argument.metrics["threshold"] == 0.1
    assert calibrated.metrics["threshold_source"] == THRESHOLD_FROM_RANKER
    assert calibrated.metrics["threshold"] == 0.9
    assert calibrated.metrics["recall"] == 1.0


def test_evaluate_records_ranks_and_levels(catalogue):
    labelled = [
        LabelledText("甲", ("3.2.1",)),
        LabelledText("乙", ("5.3.2", "1.7.3")),
        LabelledText("丙", ("4.3.2",)),
        LabelledText("丁", ()),
    ]
    rankings = [
        Ranking(codes=["3.2.1", "3.1.1"], scores=[0.9, 0.8], verdict_score=0.9),
        Ranking(codes=["3.2.3", "1.7.3", "5.3.2"], scores=[0.7, 0.6, 0.5], verdict_score=0.7),
        Ranking(codes=["1.1.1", "1.1.2"], scores=[0.4, 0.3], verdict_score=0.4),
        Ranking(codes=["6.2.2"], scores=[0.2], verdict_score=0.2),
    ]
    result = evaluate_ranker(FixedRanker(rankings), labelled, catalogue, top_k=10)

    assert [record["rank"] for record in result.per_text] == [1, 2, None, None]
    assert [record["level1"] for record in result.per_text] == ["3", "1", "4", ""]
    assert result.metrics["hit@1"] == pytest.approx(1 / 3)
    assert result.metrics["hit@3"] == pytest.approx(2 / 3)
    assert result.metrics["mrr"] == pytest.approx((1 + 1 / 2) / 3)
    assert result.metrics["auroc"] == 1.0
    assert result.metrics["f1"] == 1.0
    assert hit_at_k_curve(result, max_k=3) == pytest.approx([1 / 3, 2 / 3, 2 / 3])

    levels = per_level1_hit_at_1(result, catalogue)
    assert list(levels) == ["1", "2", "3", "4", "5", "6"]
    assert levels["3"] == {"title": "清洁能源产业", "count": 1, "hit@1": 1.0}
    assert levels["1"]["hit@1"] == 0.0
    assert levels["4"]["hit@1"] == 0.0
    assert levels["2"]["hit@1"] is None


def test_evaluate_small_top_k_limits_cutoffs(bm25, labelled, catalogue):
    result = evaluate_ranker(bm25, labelled, catalogue, top_k=3)
    assert set(key for key in result.metrics if key.startswith("hit@")) == {"hit@1", "hit@3"}
    assert "ndcg@3" in result.metrics
    expected = expected_ranking_metrics(result, ks=(1, 3))
    assert result.metrics["hit@3"] == pytest.approx(expected["hit@3"])
    assert result.metrics["mrr"] == pytest.approx(expected["mrr"])


def test_oracle_threshold_needs_both_classes():
    assert oracle_threshold([0.1, 0.5], [1, 1]) is None
    assert oracle_threshold([0.1, 0.5], [0, 0]) is None
    assert oracle_threshold([0.1, 0.5, 0.9], [0, 1, 1]) == pytest.approx(0.3)


# --- report and command -----------------------------------------------------------------------


def assert_valid_png(path):
    assert path.exists(), path
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path
    assert path.stat().st_size > 5000, path


def test_command_writes_report(labelled_file, labelled, catalogue, bm25, tmp_path, capsys):
    output_dir = tmp_path / "eval"
    rc = run_evaluate_command(
        ["--data", str(labelled_file), "--baseline", "bm25", "--baseline", "bm25-jieba", "--output-dir", str(output_dir)]
    )
    assert rc == 0

    printed = capsys.readouterr().out
    assert "模型" in printed
    assert "F1（非绿色）" in printed
    assert "bm25-jieba" in printed

    assert (output_dir / "report.md").exists()
    markdown = (output_dir / "report.md").read_text(encoding="utf-8")
    assert "## 总体指标" in markdown
    assert "## 各一级类别的 hit@1" in markdown
    assert "错得最严重" in markdown
    for name in REPORT_PLOTS:
        assert_valid_png(output_dir / name)

    document = json.loads((output_dir / "metrics.json").read_text(encoding="utf-8"))
    assert [result["name"] for result in document["results"]] == ["bm25", "bm25-jieba"]
    direct = evaluate_ranker(bm25, labelled, catalogue)
    written = document["results"][0]["metrics"]
    for key, value in direct.metrics.items():
        if isinstance(value, float):
            assert written[key] == pytest.approx(value), key
        else:
            assert written[key] == value, key


def test_report_uses_english_without_cjk_font(bm25, labelled, catalogue, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(report, "find_cjk_font", lambda: None)
    report._use_cjk_font.cache_clear()
    result = evaluate_ranker(bm25, labelled, catalogue)
    try:
        with caplog.at_level(logging.WARNING, logger="greenmatch.report"):
            report.write_report([result], tmp_path / "first", catalogue, "测试")
            report.write_report([result], tmp_path / "second", catalogue, "测试")
    finally:
        report._use_cjk_font.cache_clear()
    warnings = [record for record in caplog.records if "No CJK font" in record.getMessage()]
    assert len(warnings) == 1
    for name in REPORT_PLOTS:
        assert_valid_png(tmp_path / "second" / name)


def render_report(results, output_dir, catalogue) -> list:
    """Write a report and return the messages of matplotlib's missing-glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.write_report(results, output_dir, catalogue, "测试")
    return [str(warning.message) for warning in caught if "missing from font" in str(warning.message)]


@pytest.fixture
def chinese_named_result(bm25, labelled, catalogue):
    result = evaluate_ranker(bm25, labelled, catalogue)
    result.name = "检索器（SimCSE）"
    return result


def test_report_ascii_without_cjk_font(chinese_named_result, catalogue, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "find_cjk_font", lambda: None)
    report._use_cjk_font.cache_clear()
    try:
        missing = render_report([chinese_named_result], tmp_path, catalogue)
    finally:
        report._use_cjk_font.cache_clear()
    assert missing == []


def test_report_chinese_with_cjk_font(chinese_named_result, catalogue, tmp_path):
    if report.find_cjk_font() is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-noto-cjk)")
    report._use_cjk_font.cache_clear()
    missing = render_report([chinese_named_result], tmp_path, catalogue)
    assert missing == []


def test_cjk_font_found_when_cache_stale():
    if not report._cjk_font_files():
        pytest.skip("no CJK font file on this machine (apt-get install fonts-noto-cjk)")
    # A font manager whose list was built before the CJK fonts were installed.
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [font for font in stale.ttflist if not report._is_cjk_family(font.name)]
    assert report.cjk_font_family(stale) is not None


@pytest.mark.parametrize(
    "name, position, expected",
    [
        ("检索器（SimCSE）", 1, "retriever (SimCSE)"),
        ("检索后重排（greenmatch） [b]", 2, "retrieve and rerank (greenmatch) [b]"),
        ("bm25-jieba", 3, "bm25-jieba"),
        ("我的模型", 4, "ranker 4"),
    ],
)
def test_chart_names_ascii(name, position, expected):
    assert report.chart_ranker_name(name, position, ascii_only=True) == expected


def test_chart_names_kept_with_cjk_font():
    assert report.chart_ranker_name("检索器（SimCSE）", 1) == "检索器（SimCSE）"


def test_command_unknown_baseline(labelled_file, tmp_path):
    with pytest.raises(BaselineNotFoundError) as caught:
        run_evaluate_command(["--data", str(labelled_file), "--baseline", "nope", "--output-dir", str(tmp_path)])
    assert "没有名为“nope”的基线方法" in str(caught.value)


def test_command_missing_data_file(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(LabelledDataError) as caught:
        run_evaluate_command(["--data", str(missing), "--baseline", "bm25", "--output-dir", str(tmp_path)])
    assert "找不到评测数据" in str(caught.value)
    assert str(missing) in str(caught.value)


def test_command_evaluates_model_rankers(labelled_file, catalogue, tmp_path, monkeypatch):
    """--model evaluates every ranker the matcher returns. A stub replaces the real Matcher."""

    class StubMatcher:
        loaded = []

        @classmethod
        def from_pretrained(cls, path):
            cls.loaded.append(path)
            return cls()

        def rankers(self, full_scoring=False):
            return [BM25Ranker(catalogue, name="retriever"), BM25Ranker(catalogue, tokenizer="jieba", name="rerank")]

    monkeypatch.setitem(sys.modules, "greenmatch.matcher", types.SimpleNamespace(Matcher=StubMatcher))
    output_dir = tmp_path / "eval"
    run_evaluate_command(
        ["--data", str(labelled_file), "--model", "models/a", "--model", "models/b", "--output-dir", str(output_dir)]
    )

    document = json.loads((output_dir / "metrics.json").read_text(encoding="utf-8"))
    names = [result["name"] for result in document["results"]]
    assert StubMatcher.loaded == ["models/a", "models/b"]
    assert names == ["retriever", "rerank", "retriever [b]", "rerank [b]"]


def test_full_width_codes_parsed():
    assert parse_codes("３．２．２；５．１．３") == ("3.2.2", "5.1.3")


def test_bm25_max_repeats_caps_tokens(catalogue):
    ranker = BM25Ranker(catalogue, max_repeats=2)
    twice, three_times = ranker.score_all("光伏、光伏"), ranker.score_all("光伏、光伏、光伏")
    assert (twice == three_times).all()
    assert (twice > BM25Ranker(catalogue, max_repeats=1).score_all("光伏")).any()
