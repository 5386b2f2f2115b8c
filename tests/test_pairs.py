"""Training queries and pairs: forms of generated queries, leak-free generation, safe negatives."""

import random

import pytest

from greenmatch.catalogue import Catalogue, Entry
from greenmatch.labelled import LabelledText
from greenmatch.pairs import PairConfig, build_pairs, cached_pairs, collect_queries, could_also_match, split_by_text
from greenmatch.queries import RuleBasedQueryGenerator, covered_items, generate_queries


def test_covered_items_include_keywords(catalogue):
    entry = catalogue["5.2.5"]
    items = covered_items(entry)
    for keyword in entry.keywords:
        assert keyword in items


def test_rule_queries_not_substrings(catalogue):
    generator = RuleBasedQueryGenerator()
    rng = random.Random(0)
    for entry in list(catalogue)[:40]:
        for query in generator.generate(entry, 5, rng):
            assert query not in entry.matching_text


def test_generated_queries_never_shared(catalogue):
    queries = generate_queries(catalogue, [RuleBasedQueryGenerator()], 6, seed=1)
    owners = {}
    for code, texts in queries.items():
        for text in texts:
            owners.setdefault(text, set()).add(code)
    assert all(len(codes) == 1 for codes in owners.values())


def test_shared_phrase_dropped_from_both():
    class FixedGenerator:
        def generate(self, entry, num_queries, rng):
            return ["共同的查询", f"{entry.title}专用查询"]

    catalogue = Catalogue([Entry("1.1.1", "甲条目", "甲的说明"), Entry("1.1.2", "乙条目", "乙的说明")])
    queries = generate_queries(catalogue, [FixedGenerator()], 2)
    assert queries["1.1.1"] == ["甲条目专用查询"]
    assert queries["1.1.2"] == ["乙条目专用查询"]


def test_could_also_match_keyword(catalogue):
    entry = catalogue["5.2.5"]
    assert could_also_match(f"某市{entry.keywords[0]}项目", entry)
    assert not could_also_match("某市商业综合体项目", entry)


@pytest.fixture(scope="module")
def small_catalogue(catalogue):
    codes = [entry.code for entry in catalogue if entry.level2_code in ("3.2", "5.2")]
    return Catalogue([catalogue[code] for code in codes], name="small")


def test_original_mode_pairs_every_title(small_catalogue):
    queries = collect_queries(small_catalogue, {}, [])
    pairs = build_pairs(small_catalogue, queries, [], retriever=None, config=PairConfig(mode="original", not_green_negatives=0))
    titles = [row for row in pairs if row["kind"] == "original"]
    first = small_catalogue.entries[0]
    negatives_of_first = [row for row in titles if row["query"] == first.title]
    allowed = [e for e in small_catalogue if e.code != first.code and not could_also_match(first.title, e)]
    assert len(negatives_of_first) == len(allowed)
    assert sum(row["label"] == 1.0 for row in pairs) == len(small_catalogue)


def test_negatives_exclude_correct_codes(small_catalogue):
    example = LabelledText("屋顶光伏加储能电站", ("3.2.2", "3.4.2") if "3.4.2" in small_catalogue else ("3.2.2",))
    queries = collect_queries(small_catalogue, {}, [example])
    pairs = build_pairs(small_catalogue, queries, [], retriever=None, config=PairConfig(hard_negatives=0, random_negatives=20))
    correct_texts = {small_catalogue[code].matching_text for code in example.codes}
    negatives = [row["passage"] for row in pairs if row["query"] == example.text and row["label"] == 0.0]
    assert negatives
    assert not correct_texts & set(negatives)


def test_not_green_pairs_are_negative(small_catalogue):
    not_green = [LabelledText("住宅小区开发项目"), LabelledText("连锁餐饮门店装修")]
    pairs = build_pairs(small_catalogue, [], not_green, retriever=None, config=PairConfig(not_green_negatives=2))
    rows = [row for row in pairs if row["kind"] == "not_green"]
    assert len(rows) == 4
    assert all(row["label"] == 0.0 for row in rows)


def test_split_by_text_disjoint():
    items = [LabelledText(f"文本{i}", ("1.1.1",)) for i in range(50)] + [LabelledText("文本3", ("1.1.2",))]
    train, held_out = split_by_text(items, 0.2, seed=0)
    assert not {i.text for i in train} & {i.text for i in held_out}
    assert len(train) + len(held_out) == len(items)


def test_cached_pairs_reused(tmp_path, small_catalogue):
    calls = []

    def build():
        calls.append(1)
        return build_pairs(small_catalogue, collect_queries(small_catalogue, {}, []), [], config=PairConfig(not_green_negatives=0))

    first = cached_pairs(tmp_path, "key", build)
    second = cached_pairs(tmp_path, "key", build)
    assert len(calls) == 1
    assert first["query"] == second["query"]
