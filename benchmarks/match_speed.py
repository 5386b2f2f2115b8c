"""Match throughput and latency on this machine: greenmatch against the original's scoring loop.

The original project (caitaotaotao/GreenIndustryCata, ``modelPipe.pred1``) scored a query by
running the cross-encoder once per catalogue entry with batch size 1. This script times that
loop on a few queries, then greenmatch's batched ways on the same model and the same queries:

- the retriever with BM25 alone (no cross-encoder),
- retrieve-then-rerank with the model's shortlist (the default),
- the cross-encoder over every entry, batched.

It also reports hit@3 of retrieve-then-rerank and of scoring every entry on the dev set, so a
speed-up is never bought with accuracy. Run:

    python benchmarks/match_speed.py --model ~/.cache/greenmatch/models/quick
    python benchmarks/match_speed.py --model outputs/quick --loop-queries 5 --queries 200 --quality-queries 273
"""

import argparse
import json
import platform
import time

import numpy as np
import torch

from greenmatch.labelled import load_shipped
from greenmatch.matcher import Matcher


def original_loop_seconds(matcher: Matcher, texts) -> float:
    """Time the original's per-entry loop: one forward pass per (query, entry), batch size 1."""
    started = time.perf_counter()
    for text in texts:
        for entry_text in matcher._entry_texts:
            matcher.cross_encoder.predict([(text, entry_text)], batch_size=1, show_progress_bar=False)
    return (time.perf_counter() - started) / len(texts)


def batched_seconds(matcher: Matcher, texts, **score_kwargs) -> float:
    """Time greenmatch's scoring of ``texts`` in one call, per text."""
    started = time.perf_counter()
    matcher.score(texts, **score_kwargs)
    return (time.perf_counter() - started) / len(texts)


def single_query_latency(matcher: Matcher, texts, **score_kwargs) -> float:
    """Median seconds for one text matched on its own (what the web page does)."""
    timings = []
    for text in texts:
        started = time.perf_counter()
        matcher.score([text], **score_kwargs)
        timings.append(time.perf_counter() - started)
    return float(np.median(timings))


def hit_at_3(matcher: Matcher, dev, limit: int, **score_kwargs) -> float:
    green = [item for item in dev if item.is_green][:limit]
    scored = matcher.score([item.text for item in green], **score_kwargs)
    hits = [
        any(matcher.catalogue.entries[i].code in item.codes for i in result["order"][:3]) for result, item in zip(scored, green)
    ]
    return float(np.mean(hits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a trained greenmatch model folder")
    parser.add_argument("--loop-queries", type=int, default=3, help="queries timed with the original loop (about 10 s each here)")
    parser.add_argument("--queries", type=int, default=100, help="queries timed with the batched ways")
    parser.add_argument("--quality-queries", type=int, default=100, help="green dev texts for the hit@3 comparison (scoring every entry costs 211 pairs each)")
    parser.add_argument("--output", help="write the figures as JSON here")
    args = parser.parse_args()

    matcher = Matcher.from_pretrained(args.model)
    dev = load_shipped("dev", matcher.catalogue)
    texts = [item.text for item in dev][: args.queries]
    matcher.entry_embeddings()  # cached with the model, as in real use
    matcher.score(texts[:2])  # warm-up: tokenizer and BM25 index

    figures = {
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads",
        "original_loop_s_per_query": original_loop_seconds(matcher, texts[: args.loop_queries]),
        "retrieval_only_s_per_query": batched_seconds(matcher, texts, fusion_weight=1.0),
        "rerank_s_per_query": batched_seconds(matcher, texts),
        "full_scoring_batched_s_per_query": batched_seconds(matcher, texts[:20], shortlist=None, fusion_weight=0.0),
        "rerank_latency_single_s": single_query_latency(matcher, texts[:20]),
        "hit@3_rerank": hit_at_3(matcher, dev, args.quality_queries),
        "hit@3_full_scoring": hit_at_3(matcher, dev, args.quality_queries, shortlist=None, fusion_weight=0.0),
        "shortlist": matcher.config.shortlist,
    }
    figures["speedup_rerank_vs_original"] = figures["original_loop_s_per_query"] / figures["rerank_s_per_query"]
    for key, value in figures.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, ensure_ascii=False, indent=2)


if __name__ == "__main__":
    main()
