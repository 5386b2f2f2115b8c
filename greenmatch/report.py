"""Write an evaluation report: metrics.json, a Chinese report.md and three PNG charts.

The charts are drawn on `matplotlib.figure.Figure` objects with the Agg canvas, so writing a
report neither needs a display nor changes pyplot's global backend. Chinese text in a chart
needs a CJK font (`find_cjk_font`). When there is none, the charts are drawn in ASCII only,
with English labels and English ranker names (`chart_ranker_name`), instead of empty boxes,
and a warning is logged once per process.
"""

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure

from greenmatch.catalogue import Catalogue
from greenmatch.evaluation import (
    THRESHOLD_FROM_ARGUMENT,
    THRESHOLD_FROM_RANKER,
    THRESHOLD_ORACLE,
    EvaluationResult,
    format_metric,
    hit_at_k_curve,
    per_level1_hit_at_1,
)

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.md"
HIT_AT_K_PLOT = "hit_at_k.png"
SCORE_PLOT = "score_distribution.png"
LEVEL1_PLOT = "level1_hit_at_1.png"

WORST_MISSES = 10
MAX_PLOT_K = 10

# Font families that cover Simplified Chinese, most preferred first.
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Sarasa Gothic SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)

# Parts of the lower-cased file names of fonts that cover Simplified Chinese, for fonts that
# matplotlib's cached font list misses.
CJK_FONT_FILE_MARKERS = (
    "notosanscjk",
    "notoserifcjk",
    "notosanssc",
    "sourcehan",
    "wqy",
    "wenquanyi",
    "droidsansfallback",
    "sarasa",
    "msyh",
    "simhei",
    "pingfang",
    "uming",
    "ukai",
)

# English chart names for the Chinese ranker names of `Matcher.rankers`.
RANKER_NAMES_EN = {
    "检索器（SimCSE）": "retriever (SimCSE)",
    "混合检索（SimCSE + BM25）": "hybrid retrieval (SimCSE + BM25)",
    "检索后重排（greenmatch）": "retrieve and rerank (greenmatch)",
    "交叉编码器全量打分（原方法）": "cross-encoder on all entries (original)",
}

THRESHOLD_SOURCE_NAMES = {
    THRESHOLD_ORACLE: "评测数据上的最优值（oracle，偏乐观）",
    THRESHOLD_FROM_RANKER: "模型自带的校准阈值",
    THRESHOLD_FROM_ARGUMENT: "调用时指定",
}

REPORT_COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("hit@5", "hit@5"),
    ("hit@10", "hit@10"),
    ("mrr", "MRR"),
    ("ndcg@10", "NDCG@10"),
    ("auroc", "AUROC"),
    ("precision", "精确率"),
    ("recall", "召回率"),
    ("f1", "F1"),
)

# Chart text in Chinese, and in English for machines without a CJK font.
CHART_LABELS = {
    "zh": {
        "hit_title": "hit@k 曲线（绿色文本）",
        "hit_x": "k（前 k 个候选）",
        "hit_y": "hit@k",
        "score_title": "{name}：判定分数分布",
        "score_x": "判定分数（verdict_score）",
        "score_y": "文本数",
        "green": "绿色",
        "not_green": "非绿色",
        "threshold": "阈值 {value:.3f}",
        "oracle": "（oracle）",
        "level1_title": "各一级类别的 hit@1",
        "level1_x": "一级类别",
        "level1_y": "hit@1",
        "level1_tick": "{code} {title}\n（{count} 条）",
    },
    "en": {
        "hit_title": "hit@k on green texts",
        "hit_x": "k (top-k candidates)",
        "hit_y": "hit@k",
        "score_title": "{name}: verdict score distribution",
        "score_x": "verdict score",
        "score_y": "texts",
        "green": "green",
        "not_green": "not green",
        "threshold": "threshold {value:.3f}",
        "oracle": " (oracle)",
        "level1_title": "hit@1 per first-level category",
        "level1_x": "first-level category code",
        "level1_y": "hit@1",
        "level1_tick": "{code}\n(n={count})",
    },
}


def write_report(results: Sequence[EvaluationResult], output_dir, catalogue: Catalogue, title: str) -> List[Path]:
    """Write metrics.json, report.md and the three charts into ``output_dir``.

    Args:
        results: one result per ranker, all on the same labelled texts.
        output_dir: created when missing. Existing report files in it are overwritten.
        catalogue: the catalogue the codes belong to.
        title: the report's heading, e.g. the data set's name.

    Returns the paths written.
    """
    if not results:
        raise ValueError("results is empty. Evaluate at least one ranker before writing a report.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    level1_tables = {result.name: per_level1_hit_at_1(result, catalogue) for result in results}

    paths = [
        write_metrics_json(results, level1_tables, output_dir / METRICS_FILE, catalogue, title),
        write_markdown(results, level1_tables, output_dir / REPORT_FILE, catalogue, title),
    ]
    chinese = _use_cjk_font()
    labels = CHART_LABELS["zh" if chinese else "en"]
    names = [chart_ranker_name(result.name, position, ascii_only=not chinese) for position, result in enumerate(results, start=1)]
    with matplotlib.rc_context(_chart_style()):
        paths.append(plot_hit_at_k(results, output_dir / HIT_AT_K_PLOT, labels, names))
        paths.append(plot_score_distribution(results, output_dir / SCORE_PLOT, labels, names))
        paths.append(plot_level1_hit_at_1(results, level1_tables, output_dir / LEVEL1_PLOT, labels, names))
    logger.info("Wrote the evaluation report of %d rankers to %s", len(results), output_dir)
    return paths


# --- metrics.json and report.md ---------------------------------------------------------------


def write_metrics_json(results, level1_tables: dict, path: Path, catalogue: Catalogue, title: str) -> Path:
    """Write every result with its per-text records and per-category hit@1 as JSON."""
    document = {
        "title": title,
        "catalogue": catalogue.name,
        "results": [
            {**result.to_dict(), "per_level1_hit_at_1": level1_tables[result.name]} for result in results
        ],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_markdown(results, level1_tables: dict, path: Path, catalogue: Catalogue, title: str) -> Path:
    """Write the Chinese report: the metrics table, hit@1 per category and the worst misses."""
    sections = [
        _summary_section(results, catalogue, title),
        _level1_section(results, level1_tables),
        _worst_misses_section(best_result(results), catalogue),
    ]
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return path


def best_result(results: Sequence[EvaluationResult]) -> EvaluationResult:
    """Return the result with the highest hit@1, ties broken by MRR (missing values count as -1)."""

    def key(result):
        hit_at_1 = result.metrics.get("hit@1")
        mrr = result.metrics.get("mrr")
        return (-1 if hit_at_1 is None else hit_at_1, -1 if mrr is None else mrr)

    return max(results, key=key)


def _summary_section(results, catalogue: Catalogue, title: str) -> str:
    first = results[0].metrics
    num_green = first.get("num_green", 0)
    lines = [
        f"# {title}",
        "",
        f"评测数据共 {first['num_texts']} 条文本：绿色 {num_green} 条，非绿色 {first.get('num_not_green', 0)} 条。"
        f"目录：{catalogue.title}（{len(catalogue)} 个三级条目）。",
        "",
        "## 总体指标",
        "",
        "| 模型 | " + " | ".join(label for _, label in REPORT_COLUMNS) + " | 阈值 | 阈值来源 | 耗时（秒） |",
        "|" + "---|" * (len(REPORT_COLUMNS) + 4),
    ]
    for result in results:
        metrics = result.metrics
        cells = [format_metric(metrics.get(key)) for key, _ in REPORT_COLUMNS]
        source = metrics.get("threshold_source")
        cells += [
            format_metric(metrics.get("threshold")),
            THRESHOLD_SOURCE_NAMES.get(source, source or "—"),
            f"{result.elapsed_seconds:.2f}",
        ]
        lines.append(f"| {_escape(result.name)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "hit@k、MRR、NDCG@10 只在绿色文本上计算。AUROC 衡量判定分数把绿色文本排在非绿色文本之前的能力，不依赖阈值。"
        "精确率、召回率和 F1 以“非绿色”为正类：判定分数低于阈值的文本判为非绿色。",
        "",
        "阈值来源为 oracle 的，是在本评测数据上选出的使 F1 最高的阈值，其 F1 偏乐观，不能代表新数据上的表现。"
        "耗时是对全部文本排序的时间，不含加载模型。",
    ]
    return "\n".join(lines)


def _level1_section(results, level1_tables: dict) -> str:
    names = [result.name for result in results]
    first_table = level1_tables[names[0]]
    lines = [
        "## 各一级类别的 hit@1",
        "",
        "每条绿色文本归入排名最高的正确条目所属的一级类别；没有正确条目进入候选时，归入所标第一个代码的一级类别。",
        "",
        "| 一级类别 | 文本数 | " + " | ".join(_escape(name) for name in names) + " |",
        "|" + "---|" * (len(names) + 2),
    ]
    for code, row in first_table.items():
        if row["count"] == 0:
            continue
        values = [format_metric(level1_tables[name][code]["hit@1"]) for name in names]
        lines.append(f"| {code} {row['title']} | {row['count']} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def worst_misses(result: EvaluationResult, count: int = WORST_MISSES) -> List[dict]:
    """Return the green texts whose first correct code ranked worst, worst first.

    Texts with no correct code among the candidates come first, then larger ranks. Ties go
    to the text whose wrong top candidate scored higher, i.e. the more confident mistake.
    """
    misses = [record for record in result.per_text if record["codes"] and record["rank"] != 1]

    def key(record):
        rank = record["rank"] if record["rank"] is not None else float("inf")
        return (rank, record["scores"][0] if record["scores"] else 0.0)

    return sorted(misses, key=key, reverse=True)[:count]


def _worst_misses_section(result: EvaluationResult, catalogue: Catalogue) -> str:
    misses = worst_misses(result)
    lines = [f"## 最佳模型 {_escape(result.name)} 错得最严重的 {len(misses)} 条", ""]
    if not misses:
        lines.append("所有绿色文本的第 1 名都是正确条目。")
        return "\n".join(lines)
    lines += [
        "按 hit@1 选出最佳模型（相同时比较 MRR）。正确条目未进入候选的排在最前，其余按正确条目的名次从后往前排。",
        "",
        "| # | 文本 | 类型 | 正确条目 | 预测第 1 名 | 正确条目名次 |",
        "|---|---|---|---|---|---|",
    ]
    for number, record in enumerate(misses, start=1):
        correct = "；".join(_entry_label(code, catalogue) for code in record["codes"])
        predicted = _entry_label(record["predicted"][0], catalogue) if record["predicted"] else "—"
        rank = str(record["rank"]) if record["rank"] is not None else f"未进入前 {len(record['predicted'])}"
        cells = [str(number), _escape(record["text"]), record["kind"] or "—", _escape(correct), _escape(predicted), rank]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _entry_label(code: str, catalogue: Catalogue) -> str:
    entry = catalogue.get(code)
    return f"{code} {entry.title}" if entry is not None else code


def _escape(text: str) -> str:
    """Keep a table cell on one line and its pipes out of the Markdown table syntax."""
    return str(text).replace("|", "\\|").replace("\n", " ")


# --- charts -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def find_cjk_font() -> Optional[str]:
    """Return the family name of an installed font that covers Chinese, or None.

    Looks in matplotlib's global font manager first, then in the system font folders.
    """
    return cjk_font_family(font_manager.fontManager)


def cjk_font_family(manager: font_manager.FontManager) -> Optional[str]:
    """Return the family name of a font in ``manager`` that covers Chinese, adding font files it misses.

    matplotlib caches its font list on first use, so a CJK font installed later (for example
    ``apt-get install fonts-noto-cjk`` after matplotlib first ran) is missing from it. When the
    list has no CJK family, the files of `font_manager.findSystemFonts` whose names match
    CJK_FONT_FILE_MARKERS are added with `FontManager.addfont` until one provides a CJK family.
    """
    family = _listed_cjk_family(manager)
    if family is not None:
        return family

    listed_files = {font.fname for font in manager.ttflist}
    for path in _cjk_font_files():
        if path in listed_files:
            continue
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError) as error:
            logger.debug("Cannot add the font file %s: %s", path, error)
            continue
        family = _listed_cjk_family(manager)
        if family is not None:
            logger.info("Added the font file %s, which matplotlib's font cache did not list", path)
            return family
    return None


def _listed_cjk_family(manager: font_manager.FontManager) -> Optional[str]:
    installed = {font.name for font in manager.ttflist}
    for family in CJK_FONT_FAMILIES:
        if family in installed:
            return family
    for family in sorted(installed):
        if _is_cjk_family(family):
            return family
    return None


def _is_cjk_family(family: str) -> bool:
    return family in CJK_FONT_FAMILIES or "CJK" in family or "WenQuanYi" in family


def _cjk_font_files() -> List[str]:
    """Return the system font files named like CJK fonts, regular sans-serif files first."""
    paths = [path for path in font_manager.findSystemFonts() if any(marker in Path(path).name.lower() for marker in CJK_FONT_FILE_MARKERS)]

    def preference(path):
        name = Path(path).name.lower()
        return ("serif" in name, "bold" in name, name)

    return sorted(paths, key=preference)


def chart_ranker_name(name: str, position: int, ascii_only: bool = False) -> str:
    """Return the name a chart shows for a ranker.

    With ``ascii_only`` (no CJK font), a Chinese name of `Matcher.rankers` is replaced by its
    English name in RANKER_NAMES_EN and a suffix such as `` [b]`` is kept. A name that still
    has non-ASCII characters becomes ``ranker <position>``, where the position is the
    ranker's 1-based row in the tables of report.md.
    """
    if not ascii_only:
        return name
    for chinese, english in RANKER_NAMES_EN.items():
        if name.startswith(chinese):
            name = english + name[len(chinese) :]
            break
    return name if name.isascii() else f"ranker {position}"


@lru_cache(maxsize=1)
def _use_cjk_font() -> bool:
    """Tell whether charts can use Chinese labels. The first call that finds no font logs a warning."""
    family = find_cjk_font()
    if family is None:
        logger.warning(
            "No CJK font is installed, so the charts use English labels and ranker names "
            "(install one, e.g. apt-get install fonts-noto-cjk, for Chinese labels)"
        )
        return False
    logger.info("Drawing chart labels with the font %s", family)
    return True


def _chart_style() -> dict:
    style = {"axes.unicode_minus": False, "figure.dpi": 100, "savefig.dpi": 120}
    family = find_cjk_font()
    if family is not None:
        style["font.sans-serif"] = [family, *matplotlib.rcParams["font.sans-serif"]]
        style["font.family"] = "sans-serif"
    return style


def plot_hit_at_k(results, path: Path, labels: dict, names: Optional[Sequence[str]] = None) -> Path:
    """Plot hit@1 … hit@10 of the green texts, one line per ranker, labelled with ``names`` (default: the rankers' names)."""
    names = names or [result.name for result in results]
    figure = Figure(figsize=(7, 4.5))
    axes = figure.add_subplot()
    for result, name in zip(results, names):
        max_k = min(MAX_PLOT_K, max((len(record["predicted"]) for record in result.per_text), default=1))
        curve = hit_at_k_curve(result, max_k=max_k)
        if curve:
            axes.plot(range(1, len(curve) + 1), curve, marker="o", label=name)
    axes.set_title(labels["hit_title"])
    axes.set_xlabel(labels["hit_x"])
    axes.set_ylabel(labels["hit_y"])
    axes.set_xticks(range(1, MAX_PLOT_K + 1))
    axes.set_ylim(0, 1.02)
    axes.grid(alpha=0.3)
    if axes.get_lines():
        axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    return path


def plot_score_distribution(results, path: Path, labels: dict, names: Optional[Sequence[str]] = None) -> Path:
    """Plot histograms of verdict_score for green and not-green texts, one panel per ranker.

    Panels are titled with ``names`` (default: the rankers' names).

    Each panel has its own x axis because BM25 scores and cosine similarities differ in scale.
    """
    columns = min(len(results), 3)
    rows = (len(results) + columns - 1) // columns
    figure = Figure(figsize=(4.5 * columns, 3.6 * rows))
    names = names or [result.name for result in results]
    for index, (result, name) in enumerate(zip(results, names), start=1):
        axes = figure.add_subplot(rows, columns, index)
        green = [record["verdict_score"] for record in result.per_text if record["codes"]]
        not_green = [record["verdict_score"] for record in result.per_text if not record["codes"]]
        bins = _shared_bins(green + not_green)
        if green:
            axes.hist(green, bins=bins, alpha=0.6, color="tab:green", label=labels["green"])
        if not_green:
            axes.hist(not_green, bins=bins, alpha=0.6, color="tab:gray", label=labels["not_green"])
        threshold = result.metrics.get("threshold")
        if threshold is not None:
            oracle = labels["oracle"] if result.metrics.get("threshold_source") == THRESHOLD_ORACLE else ""
            axes.axvline(threshold, color="tab:red", linestyle="--", label=labels["threshold"].format(value=threshold) + oracle)
        axes.set_title(labels["score_title"].format(name=name), fontsize=10)
        axes.set_xlabel(labels["score_x"])
        axes.set_ylabel(labels["score_y"])
        axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    return path


def _shared_bins(values: Sequence[float], count: int = 30):
    finite = [value for value in values if value == value and abs(value) != float("inf")]
    if not finite or min(finite) == max(finite):
        return count
    low, high = min(finite), max(finite)
    return [low + (high - low) * i / count for i in range(count + 1)]


def plot_level1_hit_at_1(results, level1_tables: Dict[str, dict], path: Path, labels: dict, names: Optional[Sequence[str]] = None) -> Path:
    """Plot hit@1 per first-level category as grouped bars, one bar per ranker, labelled with ``names`` (default: the rankers' names)."""
    names = names or [result.name for result in results]
    first_table = level1_tables[results[0].name]
    codes = [code for code, row in first_table.items() if row["count"] > 0]
    figure = Figure(figsize=(max(7, 1.6 * len(codes) + 2), 4.8))
    axes = figure.add_subplot()
    width = 0.8 / len(results)
    for offset, (result, name) in enumerate(zip(results, names)):
        table = level1_tables[result.name]
        values = [table[code]["hit@1"] or 0.0 for code in codes]
        positions = [i - 0.4 + width * (offset + 0.5) for i in range(len(codes))]
        axes.bar(positions, values, width=width, label=name)
    ticks = [labels["level1_tick"].format(code=code, title=first_table[code]["title"], count=first_table[code]["count"]) for code in codes]
    axes.set_xticks(range(len(codes)), ticks, fontsize=8)
    axes.set_title(labels["level1_title"])
    axes.set_xlabel(labels["level1_x"])
    axes.set_ylabel(labels["level1_y"])
    axes.set_ylim(0, 1.05)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    return path
