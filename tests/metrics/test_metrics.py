"""Unit tests for the local evaluate modules in greenmatch.metrics.

Every expected number is worked out by hand in the comment above its case.
"""

# No offline flags are set here: they would leak into every later test and its subprocesses.
# Loading a metric by its local path contacts no Hub, which a test below checks by blocking
# socket connections.
import doctest  # noqa: E402
import math  # noqa: E402
import socket  # noqa: E402

import evaluate  # noqa: E402
import pytest  # noqa: E402

from greenmatch.metrics import AVAILABLE_METRICS, load_metric  # noqa: E402


def _log2_discount(rank):
    return 1.0 / math.log2(rank + 1)


@pytest.fixture(scope="module")
def retrieval():
    return load_metric("retrieval", keep_in_memory=True)


@pytest.fixture(scope="module")
def not_green():
    return load_metric("not_green", keep_in_memory=True)


@pytest.fixture
def no_network(monkeypatch):
    """Make every socket connection fail, so a test fails if it reaches the network."""

    def reject_connection(*args, **kwargs):
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", reject_connection)
    monkeypatch.setattr(socket.socket, "connect_ex", reject_connection)
    monkeypatch.setattr(socket, "create_connection", reject_connection)


# load_metric


@pytest.mark.parametrize("name", AVAILABLE_METRICS)
def test_load_metric_offline(name, no_network):
    metric = load_metric(name, keep_in_memory=True)

    assert isinstance(metric, evaluate.EvaluationModule)
    assert metric.name == name


def test_load_metric_unknown_name():
    with pytest.raises(ValueError, match="未知的指标名称") as error:
        load_metric("accuracy")

    assert "'accuracy'" in str(error.value)
    for name in AVAILABLE_METRICS:
        assert name in str(error.value)


@pytest.mark.parametrize("name", AVAILABLE_METRICS)
def test_docstring_examples_run(name):
    # The Examples section of each module's inputs description is a doctest.
    metric = load_metric(name, keep_in_memory=True)
    parser = doctest.DocTestParser()
    example_test = parser.get_doctest(metric.inputs_description, {}, f"{name} inputs", None, 0)
    runner = doctest.DocTestRunner()
    runner.run(example_test)

    assert len(example_test.examples) > 0
    assert runner.failures == 0


# retrieval


def test_retrieval_ranks_one_three_absent(retrieval):
    # Query 1: correct code at rank 1. Query 2: at rank 3. Query 3: not in the list.
    # hit@1 = 1/3 and hit@3 = hit@5 = hit@10 = 2/3.
    # mrr = (1 + 1/3 + 0) / 3 = 4/9.
    # ndcg@10 with one relevant code: query 1 gives 1, query 2 gives 1/log2(4) = 0.5,
    # query 3 gives 0, so the mean is 1.5 / 3 = 0.5.
    results = retrieval.compute(
        predictions=[
            ["1.1.1", "1.1.2", "1.1.3"],
            ["2.1.1", "2.1.2", "2.1.3"],
            ["3.1.1", "3.1.2"],
        ],
        references=[["1.1.1"], ["2.1.3"], ["4.1.1"]],
    )

    assert results["hit@1"] == pytest.approx(1 / 3)
    assert results["hit@3"] == pytest.approx(2 / 3)
    assert results["hit@5"] == pytest.approx(2 / 3)
    assert results["hit@10"] == pytest.approx(2 / 3)
    assert results["mrr"] == pytest.approx(4 / 9)
    assert results["ndcg@10"] == pytest.approx(0.5)
    assert results["num_queries"] == 3
    assert results["num_skipped"] == 0


def test_retrieval_default_output_keys(retrieval):
    results = retrieval.compute(predictions=[["1.1.1"]], references=[["1.1.1"]])

    assert set(results) == {"hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10", "num_queries", "num_skipped"}


def test_retrieval_multi_code_reference(retrieval):
    # Correct codes 1.1.2 and 1.1.5. The predictions rank 1.1.5 at 2 and 1.1.2 at 3.
    # The first correct code is at rank 2: hit@1 = 0, hit@3 = 1, mrr = 1/2.
    # DCG = 1/log2(3) + 1/log2(4) = 0.6309 + 0.5 = 1.1309.
    # Ideal DCG for 2 relevant codes = 1/log2(2) + 1/log2(3) = 1.6309.
    # ndcg@10 = 1.1309 / 1.6309 = 0.6934.
    results = retrieval.compute(
        predictions=[["1.1.1", "1.1.5", "1.1.2"]],
        references=[["1.1.2", "1.1.5"]],
    )

    expected_ndcg = (_log2_discount(2) + _log2_discount(3)) / (_log2_discount(1) + _log2_discount(2))
    assert results["hit@1"] == pytest.approx(0.0)
    assert results["hit@3"] == pytest.approx(1.0)
    assert results["mrr"] == pytest.approx(0.5)
    assert results["ndcg@10"] == pytest.approx(expected_ndcg)
    assert results["ndcg@10"] == pytest.approx(0.6934, abs=1e-4)


def test_retrieval_ndcg_one_of_two_found(retrieval):
    # Correct codes 1.1.1 and 1.1.2, but only 1.1.1 is listed, at rank 1.
    # DCG = 1. Ideal DCG = 1 + 1/log2(3) = 1.6309. ndcg@10 = 1 / 1.6309 = 0.6131.
    # hit@1 = 1 and mrr = 1 because one correct code is enough.
    results = retrieval.compute(
        predictions=[["1.1.1", "9.9.9"]],
        references=[["1.1.1", "1.1.2"]],
    )

    assert results["ndcg@10"] == pytest.approx(1 / (1 + _log2_discount(2)))
    assert results["ndcg@10"] == pytest.approx(0.6131, abs=1e-4)
    assert results["hit@1"] == pytest.approx(1.0)
    assert results["mrr"] == pytest.approx(1.0)


def test_retrieval_ndcg_ideal_capped_at_ten(retrieval):
    # 12 correct codes and the first 10 of them fill the top 10. The ideal DCG counts
    # only min(12, 10) = 10 relevant codes, so ndcg@10 = 1.
    correct_codes = [f"1.1.{i}" for i in range(1, 13)]
    results = retrieval.compute(predictions=[correct_codes[:10]], references=[correct_codes])

    assert results["ndcg@10"] == pytest.approx(1.0)


def test_retrieval_hit_at_rank_eleven(retrieval):
    # The only correct code is at rank 11, past every default cut-off.
    # hit@10 = 0, mrr = 1/11, ndcg@10 = 0.
    ranked_codes = [f"2.1.{i}" for i in range(1, 11)] + ["1.1.1"]
    results = retrieval.compute(predictions=[ranked_codes], references=[["1.1.1"]])

    assert results["hit@10"] == pytest.approx(0.0)
    assert results["mrr"] == pytest.approx(1 / 11)
    assert results["ndcg@10"] == pytest.approx(0.0)


def test_retrieval_repeated_prediction_code(retrieval):
    # 1.1.1 is listed twice. Only its first occurrence adds gain, so DCG = 1 and
    # ndcg@10 = 1 / 1 = 1, not 1 + 1/log2(3).
    results = retrieval.compute(predictions=[["1.1.1", "1.1.1"]], references=[["1.1.1"]])

    assert results["ndcg@10"] == pytest.approx(1.0)


def test_retrieval_empty_prediction_list(retrieval):
    # A query with correct codes but no predictions scores 0 everywhere.
    results = retrieval.compute(predictions=[[], ["1.1.1"]], references=[["1.1.1"], ["1.1.1"]])

    assert results["hit@1"] == pytest.approx(0.5)
    assert results["mrr"] == pytest.approx(0.5)
    assert results["ndcg@10"] == pytest.approx(0.5)


def test_retrieval_skips_not_green(retrieval):
    # Queries 2 and 3 have empty references (not green) and are skipped.
    # Only query 1 is scored, and its correct code is at rank 2:
    # hit@1 = 0, hit@3 = 1, mrr = 1/2, ndcg@10 = 1/log2(3) = 0.6309.
    results = retrieval.compute(
        predictions=[["1.1.1", "1.1.2"], ["1.1.2"], []],
        references=[["1.1.2"], [], []],
    )

    assert results["num_queries"] == 1
    assert results["num_skipped"] == 2
    assert results["hit@1"] == pytest.approx(0.0)
    assert results["hit@3"] == pytest.approx(1.0)
    assert results["mrr"] == pytest.approx(0.5)
    assert results["ndcg@10"] == pytest.approx(_log2_discount(2))


def test_retrieval_custom_cutoffs(retrieval):
    # Correct codes 1.1.1 at rank 1 and 1.1.3 at rank 3, k_values=[2, 2], ndcg_k=2.
    # hit@2 = 1, and the repeated cut-off is reported once.
    # ndcg@2 counts only rank 1: DCG = 1, ideal DCG for min(2, 2) codes
    # = 1 + 1/log2(3), so ndcg@2 = 0.6131.
    results = retrieval.compute(
        predictions=[["1.1.1", "1.1.2", "1.1.3"]],
        references=[["1.1.1", "1.1.3"]],
        k_values=[2, 2],
        ndcg_k=2,
    )

    assert set(results) == {"hit@2", "mrr", "ndcg@2", "num_queries", "num_skipped"}
    assert results["hit@2"] == pytest.approx(1.0)
    assert results["ndcg@2"] == pytest.approx(1 / (1 + _log2_discount(2)))


def test_retrieval_length_mismatch(retrieval):
    with pytest.raises(ValueError):
        retrieval.compute(predictions=[["1.1.1"], ["1.1.2"]], references=[["1.1.1"]])


def test_retrieval_empty(retrieval):
    with pytest.raises(ValueError, match="empty"):
        retrieval.compute(predictions=[], references=[])


def test_retrieval_all_not_green(retrieval):
    with pytest.raises(ValueError, match="No query has a correct code"):
        retrieval.compute(predictions=[["1.1.1"], []], references=[[], []])


@pytest.mark.parametrize("k_values", [[0], [-1], [1.5], [True], []])
def test_retrieval_invalid_k_values(retrieval, k_values):
    with pytest.raises(ValueError, match="k_values"):
        retrieval.compute(predictions=[["1.1.1"]], references=[["1.1.1"]], k_values=k_values)


def test_retrieval_invalid_ndcg_k(retrieval):
    with pytest.raises(ValueError, match="ndcg_k"):
        retrieval.compute(predictions=[["1.1.1"]], references=[["1.1.1"]], ndcg_k=0)


# not_green


def test_not_green_auroc_perfect(not_green):
    # Every green score (0.9, 0.8) is above every not-green score (0.3, 0.1): AUROC = 1.
    results = not_green.compute(predictions=[0.9, 0.8, 0.3, 0.1], references=[1, 1, 0, 0])

    assert results["auroc"] == pytest.approx(1.0)


def test_not_green_auroc_inverted(not_green):
    # Every green score is below every not-green score: AUROC = 0.
    results = not_green.compute(predictions=[0.1, 0.3, 0.8, 0.9], references=[1, 1, 0, 0])

    assert results["auroc"] == pytest.approx(0.0)


def test_not_green_auroc_ties(not_green):
    # Green scores 0.8 and 0.5, not-green scores 0.5 and 0.2. Of the 4 green/not-green
    # pairs, 3 are ordered correctly and (0.5, 0.5) is a tie worth 1/2: AUROC = 3.5 / 4.
    results = not_green.compute(predictions=[0.8, 0.5, 0.5, 0.2], references=[1, 1, 0, 0])

    assert results["auroc"] == pytest.approx(0.875)


def test_not_green_threshold_none(not_green):
    results = not_green.compute(predictions=[0.9, 0.1], references=[1, 0])

    assert set(results) == {"auroc"}


def test_not_green_threshold_ties(not_green):
    # Scores   0.9  0.5  0.5  0.3  0.2  0.1   threshold 0.5
    # Green    yes  no   no   yes  no   no
    # Predicted not green (score < 0.5): 0.3, 0.2, 0.1. The two 0.5 scores equal the
    # threshold and count as green.
    # TP = 2 (0.2, 0.1), FP = 1 (0.3), FN = 2 (both 0.5).
    # precision = 2/3, recall = 2/4 = 1/2, f1 = 2 * (2/3) * (1/2) / (2/3 + 1/2) = 4/7.
    # AUROC: 0.9 beats all 4 not-green scores, 0.3 beats 0.2 and 0.1: 6 of 8 pairs = 0.75.
    results = not_green.compute(
        predictions=[0.9, 0.5, 0.5, 0.3, 0.2, 0.1],
        references=[1, 0, 0, 1, 0, 0],
        threshold=0.5,
    )

    assert results["precision"] == pytest.approx(2 / 3)
    assert results["recall"] == pytest.approx(1 / 2)
    assert results["f1"] == pytest.approx(4 / 7)
    assert results["auroc"] == pytest.approx(0.75)
    assert results["threshold"] == pytest.approx(0.5)
    assert results["num_green"] == 2
    assert results["num_not_green"] == 4


def test_not_green_single_class(not_green):
    # Only green texts: AUROC is undefined. No text is not green and none scores below
    # 0.5, so precision, recall and f1 fall back to 0.
    results = not_green.compute(predictions=[0.9, 0.7], references=[1, 1], threshold=0.5)

    assert results["auroc"] is None
    assert results["precision"] == pytest.approx(0.0)
    assert results["recall"] == pytest.approx(0.0)
    assert results["f1"] == pytest.approx(0.0)
    assert results["num_green"] == 2
    assert results["num_not_green"] == 0


def test_not_green_none_predicted(not_green):
    # Threshold 0.0 is below every score, so nothing is predicted not green.
    # precision falls back to 0, recall = 0/1 = 0.
    results = not_green.compute(predictions=[0.9, 0.2], references=[1, 0], threshold=0.0)

    assert results["precision"] == pytest.approx(0.0)
    assert results["recall"] == pytest.approx(0.0)
    assert results["f1"] == pytest.approx(0.0)


def test_not_green_infinite_scores(not_green):
    # Scores -inf, 0.2 (not green) and inf (green). AUROC = 1.
    # Threshold 0.0: only -inf is predicted not green, so precision = 1/1, recall = 1/2,
    # f1 = 2 * 1 * (1/2) / (1 + 1/2) = 2/3.
    results = not_green.compute(
        predictions=[float("-inf"), 0.2, float("inf")],
        references=[0, 0, 1],
        threshold=0.0,
    )

    assert results["auroc"] == pytest.approx(1.0)
    assert results["precision"] == pytest.approx(1.0)
    assert results["recall"] == pytest.approx(0.5)
    assert results["f1"] == pytest.approx(2 / 3)


def test_not_green_length_mismatch(not_green):
    with pytest.raises(ValueError):
        not_green.compute(predictions=[0.9, 0.1], references=[1])


def test_not_green_empty(not_green):
    with pytest.raises(ValueError, match="empty"):
        not_green.compute(predictions=[], references=[])


@pytest.mark.parametrize("reference", [2, -1, 0.7])
def test_not_green_invalid_reference(not_green, reference):
    with pytest.raises(ValueError, match="references must be 1"):
        not_green.compute(predictions=[0.9, 0.1], references=[1, reference])


def test_not_green_nan_score(not_green):
    with pytest.raises(ValueError, match="NaN"):
        not_green.compute(predictions=[0.9, float("nan")], references=[1, 0])


def test_not_green_nan_threshold(not_green):
    with pytest.raises(ValueError, match="threshold"):
        not_green.compute(predictions=[0.9, 0.1], references=[1, 0], threshold=float("nan"))
