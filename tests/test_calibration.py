"""Calibration: the not-green threshold and the weights chosen on held-out texts."""

import shutil

import numpy as np
import pytest

from greenmatch.calibration import FUSION_GRID, LEXICAL_GRID, MIN_GREEN_TO_CHOOSE_WEIGHTS, calibrate, choose_threshold
from greenmatch.labelled import LabelledText
from greenmatch.matcher import Matcher


def test_threshold_separates_perfectly():
    # Not-green texts score 0.1 and 0.2, green ones 0.8 and 0.9: any cut between 0.2 and 0.8 is perfect.
    threshold, f1 = choose_threshold([0.1, 0.2, 0.8, 0.9], [False, False, True, True])
    assert 0.2 < threshold <= 0.8
    assert f1 == pytest.approx(1.0)


def test_threshold_maximises_f1():
    # Scores: not green 0.1, 0.5; green 0.3, 0.9. Cutting at 0.2 gives P=1, R=0.5, F1=0.667;
    # at 0.4: P=0.5, R=0.5; at 0.6: P=2/3, R=1, F1=0.8, the best.
    threshold, f1 = choose_threshold([0.1, 0.5, 0.3, 0.9], [False, False, True, True])
    assert 0.5 < threshold < 0.9
    assert f1 == pytest.approx(0.8)


def test_threshold_meets_target_precision():
    threshold, _ = choose_threshold([0.1, 0.5, 0.3, 0.9], [False, False, True, True], target_precision=1.0)
    assert 0.1 < threshold <= 0.3


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory, tiny_model_dir):
    folder = tmp_path_factory.mktemp("calibrated") / "model"
    shutil.copytree(tiny_model_dir, folder)
    matcher = Matcher.from_pretrained(folder)
    selection = [
        LabelledText("屋顶分布式光伏电站", ("3.2.2",)),
        LabelledText("海上风电场建设", ("3.2.1",)),
        LabelledText("城镇污水处理厂提标改造", ("5.3.1",)),
        LabelledText("新能源汽车充电站", ("5.2.5",)),
        LabelledText("商业综合体开发"),
        LabelledText("连锁餐饮门店"),
        LabelledText("高档住宅小区"),
    ]
    matcher.config.lexical_weight, matcher.config.fusion_weight = 0.45, 0.65
    report = calibrate(matcher, selection, shortlist=5)
    return matcher, report


def test_small_selection_keeps_weights(calibrated):
    matcher, report = calibrated
    assert report["weights_chosen"] is False
    assert (matcher.config.lexical_weight, matcher.config.fusion_weight) == (0.45, 0.65)


@pytest.fixture(scope="module")
def calibrated_large(tmp_path_factory, tiny_model_dir, catalogue):
    folder = tmp_path_factory.mktemp("calibrated_large") / "model"
    shutil.copytree(tiny_model_dir, folder)
    matcher = Matcher.from_pretrained(folder)
    matcher.config.lexical_weight, matcher.config.fusion_weight = 0.45, 0.65
    green = [LabelledText(entry.title, (entry.code,)) for entry in catalogue.entries[:MIN_GREEN_TO_CHOOSE_WEIGHTS]]
    not_green = [LabelledText(text) for text in ("商业综合体开发", "连锁餐饮门店", "高档住宅小区", "游艇俱乐部", "珠宝首饰零售")]
    report = calibrate(matcher, green + not_green, shortlist=5)
    return matcher, report


def test_large_selection_chooses_weights(calibrated_large):
    matcher, report = calibrated_large
    assert report["weights_chosen"] is True
    assert matcher.config.lexical_weight in LEXICAL_GRID
    assert matcher.config.fusion_weight in FUSION_GRID


def test_calibration_reports_auroc(calibrated):
    _, report = calibrated
    assert set(report["verdict_auroc"]) == {"retriever", "fused", "cross_encoder"}
    assert all(0.0 <= value <= 1.0 for value in report["verdict_auroc"].values())


def test_calibration_source_is_chinese(calibrated):
    matcher, _ = calibrated
    assert "7 条留出的标注文本" in matcher.config.threshold_source
    assert "非绿色 3 条" in matcher.config.threshold_source


def test_display_score_zero_at_centre(calibrated):
    matcher, _ = calibrated
    assert matcher.display_score(matcher.config.display_center) == pytest.approx(0.0)
    assert matcher.config.display_scale > 0
