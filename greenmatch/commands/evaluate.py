"""``greenmatch evaluate``: compare baselines and trained models on a labelled set and write a report."""

import logging
import sys
from pathlib import Path

from greenmatch.baselines import BASELINES, DEFAULT_BASELINES, BaselineNotFoundError, load_baseline
from greenmatch.commands.catalogue import add_catalogue_arguments, check_catalogue_arguments, load_catalogue_from_args
from greenmatch.commands.options import positive_int
from greenmatch.errors import LabelledDataError, check_writable_folder
from greenmatch.labelled import SHIPPED_SETS, load_dataset_or_file

# greenmatch.evaluation (HF evaluate, which imports transformers and torch) and greenmatch.report
# (matplotlib) are imported inside the functions that use them, to keep `greenmatch --help` fast.

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT_DIR = "reports/eval"

CONSOLE_COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("hit@5", "hit@5"),
    ("hit@10", "hit@10"),
    ("mrr", "MRR"),
    ("ndcg@10", "NDCG@10"),
    ("auroc", "AUROC"),
    ("f1", "F1（非绿色）"),
)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="在带标注的数据上评测模型和基线",
        description="在带标注的文本上评测基线方法和训练好的模型，打印指标表，并写出报告（report.md、metrics.json 和图表）。",
    )
    parser.add_argument(
        "--data",
        default="dev",
        metavar="文件或名称",
        help=f"带标注的数据文件（CSV、XLSX、JSONL 或原项目的三列 TSV），或内置数据集名称（{'、'.join(SHIPPED_SETS)}）；默认 dev",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="文件夹或ID",
        help="训练好的 greenmatch 模型（本地文件夹或 Hub ID），分别评测检索器、检索后重排和交叉编码器；可重复给出",
    )
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="名称",
        help=f"基线方法（{'、'.join(BASELINES)}）；可重复给出。未给出 --model 和 --baseline 时评测 {' 和 '.join(DEFAULT_BASELINES)}",
    )
    add_catalogue_arguments(parser)
    parser.add_argument("--text-column", metavar="列名", help="数据文件中文本所在的列；默认自动识别")
    parser.add_argument("--codes-column", metavar="列名", help="数据文件中目录代码所在的列；默认自动识别")
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, metavar="文件夹", help=f"报告写入的文件夹；默认 {DEFAULT_OUTPUT_DIR}")
    parser.add_argument("--top-k", type=positive_int, default=10, metavar="K", help="每条文本保留的候选条目数；默认 10")
    parser.add_argument(
        "--full-scoring",
        action="store_true",
        help="对 --model 另外评测“交叉编码器对全部条目打分”（原方法）；每条文本要打分全部条目，2 核 CPU 上每条约 5 秒",
    )
    parser.add_argument("--write-card", action="store_true", help="把 --model 的评测结果写入该模型的 greenmatch.json 和模型卡（README.md）")
    parser.set_defaults(run=run)


def run(args) -> int:
    check_baseline_names(args.baseline)
    check_catalogue_arguments(args)
    check_writable_folder(args.output_dir, "--output-dir")

    from greenmatch.evaluation import evaluate_ranker
    from greenmatch.report import HIT_AT_K_PLOT, LEVEL1_PLOT, METRICS_FILE, REPORT_FILE, SCORE_PLOT, write_report

    catalogue = load_catalogue_from_args(args)
    labelled = load_evaluation_data(args, catalogue)

    results = []
    for label, build_rankers in ranker_sources(args, catalogue):
        print(f"正在评测 {label} …", file=sys.stderr)
        for ranker in build_rankers():
            result = evaluate_ranker(ranker, labelled, catalogue, top_k=args.top_k)
            result.name = _unique_name(result.name, label, [existing.name for existing in results])
            results.append(result)

    print(console_summary(args.data, labelled, results))
    write_report(results, args.output_dir, catalogue, title=f"评测报告：{args.data}")
    if args.write_card:
        for path in args.model:
            write_results_to_card(path, results, dataset=str(args.data))
    written = "、".join((REPORT_FILE, METRICS_FILE, HIT_AT_K_PLOT, SCORE_PLOT, LEVEL1_PLOT))
    print(f"报告已写入 {args.output_dir}：{written}")
    return 0


def check_baseline_names(names) -> None:
    """Reject an unknown ``--baseline`` before any data or model is loaded."""
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise BaselineNotFoundError(
            f"没有名为“{'、'.join(unknown)}”的基线方法。可用的基线：{'、'.join(BASELINES)}。"
        )


def load_evaluation_data(args, catalogue):
    """Load the shipped set or labelled file named by ``--data``."""
    if args.data not in SHIPPED_SETS and not Path(args.data).exists():
        raise LabelledDataError(
            f"找不到评测数据“{args.data}”：它既不是已有的文件，也不是内置数据集名称（{'、'.join(SHIPPED_SETS)}）。请检查路径。"
        )
    return load_dataset_or_file(
        args.data,
        catalogue,
        text_column=args.text_column,
        codes_column=args.codes_column,
    )


def ranker_sources(args, catalogue):
    """Yield ``(label, build)`` for each requested baseline and model. ``build()`` returns rankers.

    Building is deferred so that only one model is in memory at a time.
    """
    baselines = list(args.baseline)
    if not baselines and not args.model:
        baselines = list(DEFAULT_BASELINES)
    for name in baselines:
        yield name, lambda name=name: [load_baseline(name, catalogue)]
    for path in args.model:
        yield path, lambda path=path: model_rankers(path, full_scoring=args.full_scoring)


def model_rankers(path: str, full_scoring: bool = False) -> list:
    """Load a trained model and return its rankers: the retriever, retrieve-then-rerank and,
    with ``full_scoring``, the cross-encoder over every entry."""
    # The matcher imports torch and both models, so it is loaded only when a model is evaluated.
    from greenmatch.matcher import Matcher

    return Matcher.from_pretrained(path).rankers(full_scoring=full_scoring)


def write_results_to_card(path: str, results: list, dataset: str) -> None:
    """Store the evaluation metrics of a local model in greenmatch.json and re-render its card."""
    from greenmatch.matcher import CONFIG_NAME, MatcherConfig
    from greenmatch.model_card import write_model_card

    folder = Path(path)
    if not (folder / CONFIG_NAME).exists():
        print(f"提示：{path} 不是本地模型文件夹，评测结果没有写入模型卡。", file=sys.stderr)
        return
    config = MatcherConfig.load(folder / CONFIG_NAME)
    for result in results:
        config.metrics[result.name] = {"dataset": dataset, "metrics": {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}}
    config.save(folder / CONFIG_NAME)
    write_model_card(folder, config)
    print(f"评测结果已写入 {folder / 'README.md'}")


def _unique_name(name: str, label: str, existing_names: list) -> str:
    """Suffix a ranker name that an earlier ranker already uses with the model it came from."""
    if name not in existing_names:
        return name
    candidate = f"{name} [{Path(label).name or label}]"
    number = 2
    while candidate in existing_names:
        candidate = f"{name} [{Path(label).name or label}] #{number}"
        number += 1
    return candidate


def console_summary(data_name: str, labelled, results) -> str:
    """Format the Chinese summary printed to stdout: data counts, the metrics table and threshold notes."""
    from greenmatch.evaluation import THRESHOLD_ORACLE, format_metric, format_table

    num_green = sum(item.is_green for item in labelled)
    rows = [("模型", *(label for _, label in CONSOLE_COLUMNS))]
    for result in results:
        rows.append((result.name, *(format_metric(result.metrics.get(key)) for key, _ in CONSOLE_COLUMNS)))

    lines = [
        f"评测数据：{data_name}（{len(labelled)} 条文本，绿色 {num_green} 条，非绿色 {len(labelled) - num_green} 条）",
        "",
        format_table(rows),
        "",
    ]
    oracle_names = [result.name for result in results if result.metrics.get("threshold_source") == THRESHOLD_ORACLE]
    if oracle_names:
        lines.append(
            f"注意：{'、'.join(oracle_names)} 没有校准过的阈值，其 F1 使用的是在本评测数据上选出的最优阈值（oracle），偏乐观。"
        )
    return "\n".join(lines)
