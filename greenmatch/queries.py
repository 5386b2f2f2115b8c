"""Query generators: query-like training texts made from catalogue entries.

Real inputs are project names with capacities and places ("宁夏200MW农光互补光伏电站"), loan
purposes, 经营范围 phrases and everyday paraphrases, so generated queries take those forms
rather than copying pieces of the entry text. A generator is any object with a
``generate(entry, num_queries, rng) -> list[str]`` method; `generate_queries` runs one over a
catalogue and drops every phrase generated for more than one entry, so no query leaks between
entries.
"""

import logging
import random
import re
from typing import Dict, List, Optional, Protocol

from greenmatch.catalogue import Catalogue, Entry

logger = logging.getLogger(__name__)

PLACES = (
    "江苏盐城", "山东德州", "宁夏中卫", "内蒙古包头", "河北张家口", "浙江湖州", "广东佛山", "四川宜宾",
    "湖北襄阳", "安徽合肥", "福建漳州", "甘肃酒泉", "新疆哈密", "云南曲靖", "贵州毕节", "陕西榆林",
    "江西赣州", "湖南株洲", "河南周口", "吉林白城", "重庆涪陵", "天津滨海新区", "上海临港", "山西大同",
)
COMPANY_FORMS = ("有限公司", "股份有限公司", "科技有限公司", "能源有限公司", "环保科技有限公司", "实业有限公司")
CAPACITIES = (
    "年产5万吨", "年产2000台套", "年处理10万吨", "日处理300吨", "日处理2万立方米", "100MW", "50兆瓦", "20MWp",
    "年产30万件", "一期", "二期", "10万平方米", "总投资3.5亿元", "年产1500套",
)
PROJECT_SUFFIXES = ("项目", "建设项目", "工程", "改造项目", "产业化项目", "（一期）项目")
LOAN_TEMPLATES = (
    "用于{item}项目建设",
    "用于购置{item}相关设备",
    "补充{item}业务流动资金",
    "用于{item}生产线建设及设备采购",
    "置换{item}项目前期投入",
)
SCOPE_TEMPLATES = (
    "一般项目：{item}的研发、生产、销售",
    "许可项目：{item}；技术服务、技术开发",
    "{item}技术推广服务；{item}设备销售",
    "经营范围：{item}",
)

_ITEM_SPLIT = re.compile(r"[、，,：:；;。（）()\s]|以及|及其|和|与|或|等")
_TRIM_PREFIX = re.compile(r"^(包括|主要包括|如|例如|涵盖|也就是|指|对|把|将|在|从事|开展|建设和运营|建设运营|制造|生产|利用)+")
_GENERIC = {"设备", "设施", "项目", "系统", "产品", "技术", "服务", "建设", "运营", "制造", "生产", "改造", "装备", "工程"}


class QueryGenerator(Protocol):
    def generate(self, entry: Entry, num_queries: int, rng: random.Random) -> List[str]:
        ...


def covered_items(entry: Entry) -> List[str]:
    """Return the product, activity and facility phrases an entry's text and keywords name."""
    items = list(entry.keywords)
    for piece in _ITEM_SPLIT.split(entry.text):
        piece = _TRIM_PREFIX.sub("", piece.strip())
        if 2 <= len(piece) <= 12 and piece not in _GENERIC and not piece.startswith(("属于", "不", "只", "一般", "前提")):
            items.append(piece)
    seen, unique = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique


class RuleBasedQueryGenerator:
    """Turn an entry's covered items into project names, loan purposes and 经营范围 phrases.

    Each query combines one covered item (a keyword or a noun phrase of the description) with
    a place, a capacity, a company form or a loan-purpose or business-scope frame, the way real
    inputs carry those words. Queries that are a plain substring of the entry's matching text
    are skipped, because real inputs rarely quote the catalogue.
    """

    def generate(self, entry: Entry, num_queries: int, rng: random.Random) -> List[str]:
        items = covered_items(entry) or [entry.title]
        queries, attempts = [], 0
        while len(queries) < num_queries and attempts < num_queries * 10:
            attempts += 1
            item = rng.choice(items)
            query = self._frame(item, entry, rng)
            if query in queries or query in entry.matching_text:
                continue
            queries.append(query)
        return queries

    @staticmethod
    def _frame(item: str, entry: Entry, rng: random.Random) -> str:
        form = rng.random()
        if form < 0.5:
            place = rng.choice(PLACES) if rng.random() < 0.8 else ""
            capacity = rng.choice(CAPACITIES) if rng.random() < 0.6 else ""
            return f"{place}{capacity}{item}{rng.choice(PROJECT_SUFFIXES)}"
        if form < 0.75:
            return rng.choice(LOAN_TEMPLATES).format(item=item)
        if form < 0.9:
            return rng.choice(SCOPE_TEMPLATES).format(item=item)
        company = f"{rng.choice(PLACES)[:2]}{rng.choice('华恒瑞绿源盛新泰宏德')}{rng.choice('能科环电达')}{rng.choice(COMPANY_FORMS)}"
        return f"{company}{item}项目"


class TransformersQueryGenerator:
    """Paraphrase entry titles and items with any `transformers` text2text or text-generation model.

    The original project used RoFormer-Sim (``junnyu/roformer_chinese_sim_char_base``). The
    model is loaded on first use; when it cannot be loaded (no network, unknown id), the
    generator logs why and returns nothing, so training falls back to the other generators.
    """

    def __init__(self, model_name_or_path: str, task: str = "text2text-generation", max_new_tokens: int = 32):
        self.model_name_or_path = model_name_or_path
        self.task = task
        self.max_new_tokens = max_new_tokens
        self._pipeline = None
        self._failed = False

    def _load(self):
        if self._pipeline is None and not self._failed:
            try:
                from transformers import pipeline

                self._pipeline = pipeline(self.task, model=self.model_name_or_path)
            except Exception as error:  # noqa: BLE001 - any load failure disables this optional generator
                logger.warning("Query generator %s could not be loaded, skipping it: %s", self.model_name_or_path, error)
                self._failed = True
        return self._pipeline

    def generate(self, entry: Entry, num_queries: int, rng: random.Random) -> List[str]:
        generator = self._load()
        if generator is None:
            return []
        prompts = [entry.title] + covered_items(entry)[: max(0, num_queries - 1)]
        outputs = generator(prompts, max_new_tokens=self.max_new_tokens, do_sample=True, num_return_sequences=1)
        queries = []
        for output in outputs:
            first = output[0] if isinstance(output, list) else output
            text = (first.get("generated_text") or "").strip()
            if text and text not in entry.matching_text and text not in queries:
                queries.append(text)
        return queries[:num_queries]


def generate_queries(
    catalogue: Catalogue,
    generators: List[QueryGenerator],
    num_queries: int,
    seed: int = 42,
) -> Dict[str, List[str]]:
    """Generate queries for every entry and drop any phrase generated for two entries.

    Returns:
        A map from entry code to its queries, in catalogue order.
    """
    rng = random.Random(seed)
    queries = {}
    for entry in catalogue:
        per_entry = []
        for generator in generators:
            per_entry.extend(q for q in generator.generate(entry, num_queries, rng) if q not in per_entry)
        queries[entry.code] = per_entry

    owners: Dict[str, set] = {}
    for code, texts in queries.items():
        for text in texts:
            owners.setdefault(text, set()).add(code)
    shared = {text for text, codes in owners.items() if len(codes) > 1}
    if shared:
        logger.info("Dropped %d generated queries that were produced for more than one entry", len(shared))
    queries = {code: [text for text in texts if text not in shared] for code, texts in queries.items()}

    total = sum(len(texts) for texts in queries.values())
    substrings = sum(text in catalogue[code].matching_text for code, texts in queries.items() for text in texts)
    logger.info(
        "Generated %d queries for %d entries (%.1f%% are substrings of their entry text)",
        total,
        len(queries),
        100.0 * substrings / max(total, 1),
    )
    return queries


def build_generators(names: Optional[List[str]]) -> List[QueryGenerator]:
    """Create generators from names: ``rules`` or a transformers model id or path."""
    generators: List[QueryGenerator] = []
    for name in names or ["rules"]:
        if name == "rules":
            generators.append(RuleBasedQueryGenerator())
        else:
            generators.append(TransformersQueryGenerator(name))
    return generators
