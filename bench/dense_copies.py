"""Retrieval quality in the 100k-chunk store, where every real chunk has 85 noisy copies.

    .venv/bin/python bench/dense_copies.py --store /tmp/q100k [--questions 1000] [--dense index|chroma]

`bench/query.py --copies 85 --store /tmp/q100k` makes the store: the real squad-dev and
wikinews articles plus 85 copies of each under new ids (`<id>#copyN`), same texts, vectors
with noise. Asks squad-dev's sample1000 questions through the retriever (k=10) and scores
them as `newsdesk eval` does, a copy counting as its original: recall@1/5/10 and MRR@10
of the fused ranking, and of the passages the dense side found, in its order.

`--dense index` (default): the dense search answering uses (vectorstore/replica/dense.py: the
host's chunk index proposes chunks, ranked by their closest stored sentence vector).
`--dense chroma`: the dense search before it, Chroma's HNSW over all 458,724 sentence
vectors, 60 nearest sentences (loads that index, about 1 GB, into this process).
Exact top-10 lists are of little use here: the 86 copies of a chunk differ only by noise.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import vectorstore.retrieval.retriever as retrieval  # noqa: E402
from bot.app import App  # noqa: E402
from bot.evaluation import OffsetMap, first_hit_rank, select_questions  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.inspection import collections  # noqa: E402
from vectorstore.models import Passage  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
_COPY = re.compile(r"#copy\d+$")


def chroma_dense(store: Any) -> Any:
    """The dense search before the chunk index: the 60 nearest sentences in Chroma."""

    def dense(self: Any, snap: Any, vector: np.ndarray, filters: Any) -> dict[str, tuple[int, float]]:
        got = collections(store).sentences.query(  # a format-3 store's (vectorstore/inspection.py)
            query_embeddings=[vector], n_results=60, include=["metadatas", "distances"]
        )
        out: dict[str, tuple[int, float]] = {}
        for meta, dist in zip(got["metadatas"][0], got["distances"][0], strict=True):
            ok = meta and retrieval._admitted(snap, meta["article_id"], meta["hash"], filters)
            if ok and meta["chunk_id"] not in out:
                out[str(meta["chunk_id"])] = (len(out), 1.0 - float(dist))
        return out

    return dense


def rows(passages: list[Passage], offsets: OffsetMap) -> list[dict[str, Any]]:
    out = []
    for p in passages:
        original = _COPY.sub("", p.article.id)
        start, end = offsets.span(original, p.start, p.end)
        out.append({"article_id": original, "start": start, "end": end})
    return out


def scores(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    out = {f"recall_at_{k}": round(sum(1 for r in ranks if r and r <= k) / n, 3) for k in (1, 5, 10)}
    out["mrr_at_10"] = round(sum(1 / r for r in ranks if r) / n, 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--dense", choices=["index", "chroma"], default="index")
    args = parser.parse_args()
    questions = select_questions(
        EVAL / "squad-dev" / "questions.jsonl", EVAL / "squad-dev" / "sample1000.ids", args.questions
    )
    offsets = OffsetMap([EVAL / "squad-dev" / "articles.jsonl"])
    app = App(Settings(_env_file=None, newsdesk_data_dir=args.store))  # type: ignore[call-arg]
    retriever = app.retriever
    if args.dense == "chroma":
        retrieval.Retriever._dense = chroma_dense(app.store)  # type: ignore[method-assign]
    retriever.retrieve("warm up", 10)
    fused: list[int | None] = []
    dense: list[int | None] = []
    times = []
    for q in questions:
        start = time.perf_counter()
        found = retriever.retrieve(q["question"], 10)
        times.append((time.perf_counter() - start) * 1000)
        fused.append(first_hit_rank(q, rows(found.passages, offsets)))
        by_dense = sorted(
            (p for p in found.passages if p.dense_rank is not None), key=lambda p: p.dense_rank or 0
        )
        dense.append(first_hit_rank(q, rows(by_dense, offsets)))
    print(f"dense={args.dense} questions={len(questions)} retrieve p50 {statistics.median(times):.1f} ms")
    print("fused:", scores(fused))
    print("dense side:", scores(dense))


if __name__ == "__main__":
    main()
