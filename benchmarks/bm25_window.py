"""Compare ways of bounding the BM25 part of the matcher's retrieval score.

The matcher's models read the first ``Matcher._character_limit()`` characters of a text. BM25
can read the whole text or only that window, and can count a repeated query token every time,
at most a few times, or once. For each way, this script puts a BM25 index into a trained
matcher and recalibrates the matcher on the training selection set as ``greenmatch train``
does. It then evaluates the matcher on the dev set and prints how far long texts with no
green item rise above the not-green threshold. Run:

    python benchmarks/bm25_window.py --model /tmp/timing_quick
"""

import argparse
import copy
import logging

from greenmatch.baselines import BM25Ranker
from greenmatch.calibration import calibrate
from greenmatch.evaluation import evaluate_ranker
from greenmatch.labelled import load_dataset_or_file
from greenmatch.matcher import Matcher
from greenmatch.training import TrainConfig, apply_preset, prepare_data

logger = logging.getLogger("bm25_window")

# Ordinary business-scope items with no green activity among them.
ORDINARY_ITEMS = (
    "日用百货销售 服装服饰零售 食品经营 餐饮服务 房地产开发经营 广告设计 会议及展览服务 企业管理咨询 货物进出口 "
    "五金产品批发 电子产品销售 办公用品销售 家用电器销售 珠宝首饰零售 化妆品零售 体育用品零售 文具用品零售 玩具销售 "
    "箱包销售 鞋帽零售 针纺织品销售 母婴用品销售 宠物食品销售 礼品花卉销售 工艺美术品销售 乐器零售 眼镜销售 钟表销售 "
    "汽车零配件零售 摩托车销售 自行车销售 健身休闲活动 票务代理服务 婚庆礼仪服务 摄影扩印服务 洗染服务 理发及美容服务 "
    "家政服务 住房租赁 停车场服务 物业管理 酒店管理 餐饮管理 旅行社服务 游乐园服务 电影放映 歌舞厅娱乐活动 网吧活动 "
    "棋牌室服务 保健服务 养生保健服务 足浴服务 烟草制品零售 酒类经营 保健食品销售 药品零售 医疗器械销售 "
    "图书出版物零售 音像制品零售 网络文化经营"
).split()


def long_texts() -> list:
    scopes = ["一般项目：" + "；".join(ORDINARY_ITEMS[:count]) + "。" for count in (5, 15, 30, 62)]
    return scopes + ["光伏电站建设" * 1700]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a trained greenmatch model folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    matcher = Matcher.from_pretrained(args.model)
    trained_config = copy.deepcopy(matcher.config)
    window = matcher._character_limit()
    selection = prepare_data(apply_preset(TrainConfig(preset="quick"))).selection
    dev = load_dataset_or_file("dev", matcher.catalogue)
    texts = long_texts()

    variants = [
        ("whole text, every token", None, None),
        ("model window, every token", window, None),
        ("model window, a token at most twice", window, 2),
        ("model window, each token once", window, 1),
    ]
    for name, max_chars, max_repeats in variants:
        matcher.config = copy.deepcopy(trained_config)
        matcher._lexical_index = BM25Ranker(matcher.catalogue, max_chars=max_chars, max_repeats=max_repeats)
        calibrate(matcher, selection, shortlist=trained_config.shortlist)
        config = matcher.config
        print(f"## {name}: BM25 weight {config.lexical_weight}, fusion weight {config.fusion_weight}, threshold {config.threshold:.3f}")

        for ranker in matcher.rankers()[1:]:
            metrics = evaluate_ranker(ranker, dev, matcher.catalogue).metrics
            print(
                f"  {ranker.name}: hit@1 {metrics['hit@1']:.3f}, hit@3 {metrics['hit@3']:.3f}, MRR {metrics['mrr']:.3f}, "
                f"AUROC {metrics['auroc']:.3f}, not-green F1 {metrics.get('f1') or 0:.3f}"
            )
        for text, result in zip(texts, matcher.match(texts, top_k=1)):
            print(f"  {len(text):>6} characters: verdict − threshold {result.verdict_score - result.threshold:+.2f}")


if __name__ == "__main__":
    main()
