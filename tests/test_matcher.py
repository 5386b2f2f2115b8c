"""The Matcher API and the ``greenmatch match`` table, on the tiny trained model."""

import argparse
import math

import numpy as np
import pytest
from sentence_transformers import CrossEncoder

from greenmatch.commands import match as match_command
from greenmatch.matcher import Matcher, MatchResult


@pytest.fixture(scope="module")
def matcher(tiny_model_dir):
    return Matcher.from_pretrained(tiny_model_dir)


def test_match_single_text_returns_result(matcher):
    result = matcher.match("屋顶分布式光伏电站", top_k=4)
    assert isinstance(result, MatchResult)
    assert [m.rank for m in result.matches] == [1, 2, 3, 4]


def test_match_list_keeps_order(matcher):
    texts = ["污水处理厂提标改造", "新能源汽车充电站", "商业综合体开发"]
    results = matcher.match(texts, top_k=2)
    assert [r.text for r in results] == texts


def test_match_fields_come_from_catalogue(matcher, catalogue):
    top = matcher.match("生活垃圾焚烧发电", top_k=1).top
    entry = catalogue[top.code]
    assert (top.title, top.level1, top.level2) == (entry.title, entry.level1, entry.level2)


def test_scores_descend_and_pass_tanh(matcher):
    result = matcher.match("工业园区集中供热", top_k=10)
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in scores)


def test_verdict_follows_threshold(matcher):
    result = matcher.match("城市轨道交通建设", top_k=1)
    assert result.is_green == (result.verdict_score >= result.threshold)


def test_full_scoring_ranks_every_entry(matcher, catalogue):
    scored = matcher.score(["余热余压利用"], shortlist=None, fusion_weight=0.0)[0]
    assert not np.isnan(scored["logit"]).any()
    assert len(scored["order"]) == len(catalogue)


def test_shortlist_limits_cross_encoder(matcher):
    scored = matcher.score(["余热余压利用"], shortlist=3, fusion_weight=0.0)[0]
    assert int((~np.isnan(scored["logit"])).sum()) == 3


def test_shortlisted_entries_rank_first(matcher):
    scored = matcher.score(["海上风电场"], shortlist=3, fusion_weight=0.5)[0]
    shortlisted = set(np.where(~np.isnan(scored["logit"]))[0])
    assert set(scored["order"][:3]) == shortlisted


def test_empty_text_is_not_green(matcher):
    result = matcher.match("", top_k=2)
    assert result.is_green is False


def test_long_text_marked_truncated(matcher):
    result = matcher.match("光伏" * 300, top_k=1)
    assert result.truncated is True


def test_top_k_below_one_rejected(matcher):
    with pytest.raises(ValueError):
        matcher.match("光伏", top_k=0)


def test_shortlist_below_one_rejected(matcher):
    with pytest.raises(ValueError):
        matcher.score(["光伏"], shortlist=-5)


def test_lexical_ignores_text_beyond_model_window(matcher):
    window = matcher._character_limit()
    head = "纺织品零售与服装批发" * (window // 10 + 1)
    scores = matcher.lexical_scores([head, head + "光伏电站建设、风力发电、污水处理" * 40])
    np.testing.assert_array_equal(scores[0], scores[1])


def test_lexical_counts_repeated_tokens_once(matcher):
    scores = matcher.lexical_scores(["光伏", "光伏、光伏、光伏"])
    np.testing.assert_array_equal(scores[0], scores[1])


def test_long_repetition_keeps_verdict_bounded(matcher):
    short = matcher.match("光伏电站建设", top_k=1).verdict_score
    long = matcher.match("光伏电站建设" * 1700, top_k=1).verdict_score
    assert long < short + 3.0


def test_cross_encoder_rank_alone(tiny_model_dir, catalogue):
    model = CrossEncoder(tiny_model_dir)
    documents = [catalogue["3.2.2"].matching_text, catalogue["3.2.1"].matching_text]
    ranked = model.rank("屋顶光伏", documents)
    assert sorted(item["corpus_id"] for item in ranked) == [0, 1]
    assert all(abs(item["score"]) < 1.0 for item in ranked)


def test_rankers_names(matcher):
    names = [ranker.name for ranker in matcher.rankers(full_scoring=True)]
    assert names[0] == "检索器（SimCSE）"
    assert "交叉编码器全量打分（原方法）" in names


def test_cli_match_prints_table(tiny_model_dir, capsys):
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    match_command.add_parser(subparsers)
    args = parser.parse_args(["match", "新能源汽车电池拆解回收", "--model", tiny_model_dir, "--top-k", "3"])
    args.verbose = False
    assert args.run(args) == 0
    output = capsys.readouterr().out
    assert "排名" in output
    assert "代码" in output
    assert "结论：" in output
    assert len([line for line in output.splitlines() if line.lstrip().startswith(("1 ", "2 ", "3 "))]) == 3


def test_cli_match_missing_default_model(tmp_path, monkeypatch):
    from greenmatch.errors import ModelNotFoundError
    from greenmatch.models import load_matcher

    monkeypatch.setenv("GREENMATCH_HOME", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="greenmatch quickstart"):
        load_matcher(None)
