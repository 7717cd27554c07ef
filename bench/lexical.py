"""The lexical index (the host's rows, the BM25 replica): quality against bm25s, and its cost
at 100k chunks.

    .venv/bin/python bench/lexical.py --store DIR [--copies 86]

DIR is a store of the real ../shared/eval articles (for instance the one `newsdesk eval
... --store DIR` keeps). Two parts:

1. squad-dev sample1000 through the real Retriever twice, the same store and dense side:
   lexical hits from the live replica (vectorstore/replica/bm25.py) and from a bm25s index
   built over the same visible chunks (what the retriever used before): recall@1/5/10, MRR.
2. A lexical store of COPIES x the store's chunk texts (100,792 rows at 86 copies of 1,172)
   in a temporary file: writing it, loading the replica (and its memory), search p50/p95
   for 200 questions, and one article's update (10 rows written, then applied).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.evaluation import first_hit_rank, load_jsonl  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.chroma.store import ChromaStore  # noqa: E402
from vectorstore.embedding import canonical_model_name, make_embedder  # noqa: E402
from vectorstore.inspection import iter_chunks  # noqa: E402
from vectorstore.lexical import LexicalIndex  # noqa: E402
from vectorstore.replica.bm25 import LiveBM25  # noqa: E402
from vectorstore.replica.passages import PassageRow  # noqa: E402
from vectorstore.replica.rows import ChunkRows  # noqa: E402
from vectorstore.retrieval import Filters, Retriever  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"


def rss_mb() -> int:
    return int(Path(f"/proc/{os.getpid()}/status").read_text().split("VmRSS:")[1].split()[0]) // 1024


def quality(store: ChromaStore, settings: Settings) -> dict[str, Any]:
    retriever = Retriever(store, make_embedder(settings))
    snap = store.snapshot()
    chunks = [c for c in iter_chunks(store) if (r := snap.records.get(c.article_id)) and r.hash == c.hash]
    reference = LexicalIndex.build([c.id for c in chunks], [c.text for c in chunks])

    def bm25s_hits(snap: Any, question: str, filters: Filters) -> dict[str, tuple[int, float]]:
        hits = reference.search(question, 40)
        return {reference.ids[i]: (rank, score) for rank, (i, score) in enumerate(hits)}

    ids = set((EVAL / "squad-dev" / "sample1000.ids").read_text().split())
    questions = [q for q in load_jsonl(EVAL / "squad-dev" / "questions.jsonl") if q["id"] in ids]
    out: dict[str, Any] = {}
    for name, lexical in (("live replica", retriever._lexical), ("bm25s", bm25s_hits)):
        retriever._lexical = lexical  # type: ignore[method-assign]  # bench-only swap
        ranks = []
        for q in questions:
            got = retriever.retrieve(q["question"], 10).passages
            ranks.append(
                first_hit_rank(q, [{"article_id": p.article.id, "start": p.start, "end": p.end} for p in got])
            )
        row = {
            f"recall@{k}": round(sum(1 for r in ranks if r and r <= k) / len(ranks), 4) for k in (1, 5, 10)
        }
        out[name] = {**row, "mrr@10": round(sum(1 / r for r in ranks if r) / len(ranks), 4)}
        print(name, out[name], flush=True)
    return out


def scale(store: ChromaStore, copies: int) -> dict[str, Any]:
    chunks = list(iter_chunks(store))
    questions = [q["question"] for q in load_jsonl(EVAL / "squad-dev" / "questions.jsonl")[:200]]
    with tempfile.TemporaryDirectory(prefix="newsdesk-lexical-") as tmp:
        rows = ChunkRows(Path(tmp) / "lexical.sqlite3")
        t0 = time.perf_counter()
        for k in range(copies):
            rows.add([PassageRow(f"{c.id}#{k}", f"{c.article_id}#{k}", c.hash, c.text) for c in chunks])
            rows.publish({(f"{c.article_id}#{k}", c.hash) for c in chunks})
        written = time.perf_counter() - t0
        before = rss_mb()
        live = LiveBM25(rows)
        t0 = time.perf_counter()
        live.refresh()
        loaded = time.perf_counter() - t0
        grown = rss_mb() - before
        times = []
        for q in questions:
            t0 = time.perf_counter()
            live.search(q, 40, lambda a, h: True)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        t0 = time.perf_counter()
        rows.add([PassageRow(f"new:{i}", "new-article", "h", chunks[i].text) for i in range(10)])
        rows.publish([("new-article", "h")])
        write_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        live.refresh()
        apply_ms = (time.perf_counter() - t0) * 1000
    result = {
        "rows": len(chunks) * copies,
        "write_all_s": round(written, 1),
        "replica_load_s": round(loaded, 1),
        "replica_rss_mb": grown,
        "search_p50_ms": round(statistics.median(times), 2),
        "search_p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        "one_article_write_ms": round(write_ms, 1),
        "one_article_apply_ms": round(apply_ms, 1),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=86)
    args = parser.parse_args()
    settings = Settings(_env_file=None, newsdesk_data_dir=args.store)  # type: ignore[call-arg]
    store = ChromaStore(settings, canonical_model_name(settings.embedding_model))
    result = {"quality": quality(store, settings), "scale": scale(store, args.copies)}
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "lexical.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
