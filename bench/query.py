"""Warm latency of `ask` (retrieval + answer) at growing store sizes, beside a plain
dense peer on the same store, and the recall of the dense search (the chunk index's
proposals ranked by their best sentence, dense.py) against an exact search over every
sentence vector.

    .venv/bin/python bench/query.py [--copies 1 16] [--questions 200] [--store DIR]

The base store holds the real ../shared/eval articles (squad-dev + wikinews). Larger
stores add COPIES of every real article under new ids whose chunk and sentence vectors
are the real ones plus Gaussian noise (sigma 0.02 per dimension, then renormalised: cosine
to the original about 0.93), so that HNSW sees distinct points; texts are the real texts.
Everything is queried through the real code path. The peer is what a plain LangChain
pipeline does (Chroma similarity search top-5, then the sentence closest to the question
by cosine, embedded at question time), here through chromadb on the same collection.
Writes bench/results/query.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.app import App  # noqa: E402
from bot.evaluation import load_jsonl  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.store_reads import chunks_of, embeddings_of, query, sentences_of, write_article  # noqa: E402
from vectorstore.chroma.store import ChromaStore  # noqa: E402
from vectorstore.models import Article, Chunk  # noqa: E402
from vectorstore.retrieval import Filters, Retriever  # noqa: E402
from vectorstore.sentences import split_sentences  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"


def enlarge(store: ChromaStore, copy: int, rng: np.random.Generator) -> None:
    """Add one noisy copy of every real article (see the module docstring)."""
    with store.writing("bench/query.py"):
        _enlarge(store, copy, rng)


def _enlarge(store: ChromaStore, copy: int, rng: np.random.Generator) -> None:
    for record in [r for r in store.records().values() if "#copy" not in r.id]:
        chunks = chunks_of(store, record.id)
        vectors = embeddings_of(store, [c.id for c in chunks])
        sentences = sentences_of(store, [c.id for c in chunks], [c.n_sentences for c in chunks])
        new_id = f"{record.id}#copy{copy}"
        article = Article(id=new_id, title=record.title, text="", hash=f"{record.hash[:50]}c{copy}")
        new_chunks, chunk_vecs, sent_vecs = [], [], []
        for c in chunks:
            rows = sentences[c.id]
            spans = tuple((s.start, s.end) for s in rows)
            new_chunks.append(Chunk(article.id, c.index, c.text, c.start, c.end, spans))
            chunk_vecs.append(_noisy(vectors[c.id], rng))
            sent_vecs.append(np.stack([_noisy(s.vector, rng) for s in rows]) if rows else np.zeros((0, 384)))
        write_article(store, article, new_chunks, np.stack(chunk_vecs), sent_vecs)
    store.bump_generation()


def copies_made(store: ChromaStore) -> int:
    """How many complete copies a kept store holds (a run stopped mid-copy redoes that copy)."""
    records = store.records().values()
    base = sum("#copy" not in r.id for r in records)
    per_copy = Counter(int(r.id.rsplit("#copy", 1)[1]) for r in records if "#copy" in r.id)
    made = 0
    while per_copy.get(made + 1) == base:
        made += 1
    return made


def _noisy(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
    return out / np.linalg.norm(out)


def peer_answer(engine, question: str) -> str:  # type: ignore[no-untyped-def]
    retriever = engine.retriever
    vector = retriever.embed_query(question)
    hits = query(retriever.store, vector, 5)
    sentences = [s.text for chunk, _ in hits for s in split_sentences(chunk.text)]
    if not sentences:
        return ""
    sims = retriever.embedder.embed(sentences) @ vector
    return sentences[int(np.argmax(sims))]


def percentiles(name: str, times: list[float]) -> dict[str, float]:
    """p50 and p95 of sorted latencies, in ms."""
    return {
        f"{name}_p50_ms": round(statistics.median(times), 1),
        f"{name}_p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
    }


def timed(fn, questions: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    fn(questions[0])
    out = []
    for q in questions:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def dense_recall(retriever: Retriever, queries: np.ndarray, k: int = 10) -> dict[str, float]:
    """The dense search's top k chunks against the exact ones: every stored sentence vector
    compared with the question, each visible chunk ranked by its closest sentence. Two
    figures: the share of the exact top-k chunks found, and the distance recall of
    ann-benchmarks, which counts a chunk as found when its similarity is at least the exact
    k-th one's (less 1e-3): with near-identical copies in the store, the exact top k is one
    of many equally good answers."""
    snap = retriever.store.snapshot()
    rows = retriever.store._rows  # bench-only access: every row, not a question's
    owners: list[int] = []
    chunk_ids: list[str] = []
    parts: list[np.ndarray] = []
    for row in rows.passages_at([seq for seq, _ in rows.vectors()]):
        record = snap.records.get(row.article_id)
        if record is None or record.hash != row.hash or not row.sentences:
            continue
        owners.extend([len(chunk_ids)] * len(row.sentences))
        chunk_ids.append(row.chunk_id)
        parts.append(np.stack([s.vector for s in row.sentences]))
    matrix, owner = np.concatenate(parts), np.asarray(owners)
    by_id = by_distance = 0.0
    for q in queries:
        best = np.full(len(chunk_ids), -2.0, dtype=np.float32)
        np.maximum.at(best, owner, matrix @ q)
        exact = np.argsort(-best)[:k]
        found = retriever._dense(snap, q, Filters())  # bench-only access: the dense side alone
        top = sorted(found, key=lambda c: found[c][0])[:k]
        by_id += len(set(top) & {chunk_ids[i] for i in exact}) / k
        floor = float(best[exact[-1]]) - 1e-3
        by_distance += sum(found[c][1] >= floor for c in top) / k
    n = len(queries)
    return {"sentences": len(owner), "recall_ids": by_id / n, "recall_distance": by_distance / n}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument(
        "--store", type=Path, help="keep the store in this folder and reuse its copies on the next run"
    )
    args = parser.parse_args()
    questions = [q["question"] for q in load_jsonl(EVAL / "squad-dev" / "questions.jsonl")][: args.questions]
    rng = np.random.default_rng(5)
    results = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-query-") as tmp:
        folder = args.store or Path(tmp)
        settings = Settings(_env_file=None, newsdesk_data_dir=folder)  # type: ignore[call-arg]
        corpus = [str(EVAL / "squad-dev" / "articles.jsonl"), str(EVAL / "wikinews" / "articles.jsonl")]
        app = App(settings)
        app.ingest(corpus)
        store = app.store
        made = copies_made(store)
        for copies in sorted(args.copies):
            if made > copies:
                print(f"skipping {copies} copies: the kept store already holds {made}", flush=True)
                continue
            while made < copies:
                made += 1
                enlarge(store, made, rng)
            engine = App(settings, store=store).engine
            ours = timed(lambda q, e=engine: e.answer(q, k=10), questions)
            guild = Filters.for_guild(1)  # what every Discord question carries: this server's + global
            scoped = timed(lambda q, e=engine, f=guild: e.answer(q, k=10, filters=f), questions)
            peer = timed(lambda q, e=engine: peer_answer(e, q), questions)
            queries = np.stack([engine.retriever.embed_query(q) for q in questions[:100]])
            row = {
                "chunks": store._chunks.count(),
                **percentiles("ask", ours),
                **percentiles("ask_discord_scope", scoped),
                **percentiles("peer", peer),
            }
            recall = dense_recall(engine.retriever, queries)
            row.update({f"dense_{key}_at_10": round(value, 4) for key, value in recall.items()})
            results.append(row)
            print(json.dumps(row), flush=True)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "query.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
