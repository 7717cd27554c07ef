"""How much Chroma's HNSW index loses against exact search at the size of a 100k-chunk
store (about 459k sentence vectors), with the settings the store uses.

    .venv/bin/python bench/hnsw_recall.py [--size 458724] [--ef 200 400] [--m 16]

The vectors are the real sentence vectors of ../shared/eval (squad-dev + wikinews, as
ingested) and synthetic ones derived from them, two ways:

- duplicates: copies of each real vector plus Gaussian noise, sigma 0.02 per dimension
  (cosine to the source about 0.93): the store bench/query.py builds, in which every
  sentence has ~85 near-identical twins and the exact top 10 is one sentence's twins;
- distractors: a real vector plus Gaussian noise, sigma 0.05 (cosine about 0.7): related
  but different sentences, the shape of a large news archive.

Queries are the first 200 squad-dev questions. Recall@10 is reported by id, and as
ann-benchmarks' distance recall (a result counts when it is as close as the exact 10th,
within 1e-3). Writes bench/results/hnsw_recall.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.app import App  # noqa: E402
from bot.evaluation import load_jsonl  # noqa: E402
from bot.settings import Settings  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"


def real_vectors(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    corpus = [str(EVAL / "squad-dev" / "articles.jsonl"), str(EVAL / "wikinews" / "articles.jsonl")]
    app = App(settings)
    app.ingest(corpus)
    store = app.store
    parts = [
        np.asarray(got["embeddings"], dtype=np.float32)
        for got in store._pages(store._sentences, ["embeddings"])
    ]
    questions = [q["question"] for q in load_jsonl(EVAL / "squad-dev" / "questions.jsonl")][:200]
    return np.concatenate(parts), np.stack([app.retriever.embed_query(q) for q in questions])


def synthetic(real: np.ndarray, size: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    sources = np.resize(np.arange(len(real)), size - len(real))
    noisy = real[sources] + rng.normal(0, sigma, (len(sources), real.shape[1])).astype(np.float32)
    out = np.concatenate([real, noisy])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


Exact = list[tuple[set[str], float]]  # per query: the exact top-k ids, the k-th similarity


@dataclass(frozen=True)
class Recall:
    by_id: float  # share of the exact top-k ids found
    by_distance: float  # ann-benchmarks: share of results as close as the exact k-th (1e-3)
    latencies_ms: list[float]


def exact_top(matrix: np.ndarray, ids: list[str], queries: np.ndarray, k: int = 10) -> Exact:
    """Exact search: each query's k most similar rows of a matrix of unit vectors."""
    out: Exact = []
    for q in queries:
        sims = matrix @ q
        top = np.argpartition(-sims, k)[:k]
        out.append(({ids[i] for i in top}, float(sims[top].min())))
    return out


def against_exact(collection: Any, queries: np.ndarray, exact: Exact, k: int = 10, n: int = 10) -> Recall:
    """Chroma's top k (of n asked for) against exact search, by id and by distance."""
    by_id = by_distance = 0
    latencies: list[float] = []
    for q, (ids, threshold) in zip(queries, exact, strict=True):
        t0 = time.perf_counter()
        got = collection.query(query_embeddings=[q], n_results=n, include=["distances"])
        latencies.append((time.perf_counter() - t0) * 1000)
        by_id += len(ids & set(got["ids"][0][:k]))
        by_distance += sum(1.0 - d >= threshold - 1e-3 for d in (got["distances"] or [[]])[0][:k])
    total = k * len(queries)
    return Recall(by_id / total, by_distance / total, latencies)


def measure(
    vectors: np.ndarray, queries: np.ndarray, ef: list[int], m: int, folder: Path
) -> list[dict[str, float]]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    hnsw = {"space": "cosine", "ef_construction": 200, "ef_search": ef[0], "max_neighbors": m}
    collection = client.create_collection("recall", configuration={"hnsw": hnsw}, embedding_function=None)
    t0 = time.perf_counter()
    for start in range(0, len(vectors), 5000):
        part = vectors[start : start + 5000]
        collection.add(ids=[str(i) for i in range(start, start + len(part))], embeddings=part)
    build_s = time.perf_counter() - t0
    exact = exact_top(vectors, [str(i) for i in range(len(vectors))], queries)
    rows = []
    for value in ef:
        collection.modify(configuration={"hnsw": {"ef_search": value}})
        chromadb.api.shared_system_client.SharedSystemClient.clear_system_cache()  # reload the index
        fresh = chromadb.PersistentClient(str(folder), settings=ChromaSettings(anonymized_telemetry=False))
        reader = fresh.get_collection("recall")
        reader.query(query_embeddings=[queries[0]], n_results=10)  # load
        recall = against_exact(reader, queries, exact, n=60)
        rows.append(
            {
                "m": m,
                "ef_search": value,
                "recall_ids_at_10": round(recall.by_id, 4),
                "recall_distance_at_10": round(recall.by_distance, 4),
                "query_p50_ms": round(float(np.median(recall.latencies_ms)), 2),
                "build_s": round(build_s, 1),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=458_724)
    parser.add_argument("--ef", type=int, nargs="+", default=[200, 400])
    parser.add_argument("--m", type=int, nargs="+", default=[16])
    parser.add_argument("--kinds", nargs="+", default=["distractors", "duplicates"])
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    results = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-hnsw-") as tmp:
        settings = Settings(_env_file=None, newsdesk_data_dir=Path(tmp) / "store")  # type: ignore[call-arg]
        real, queries = real_vectors(settings)
        for kind in args.kinds:
            vectors = synthetic(real, args.size, 0.05 if kind == "distractors" else 0.02, rng)
            for m in args.m:
                for row in measure(vectors, queries, args.ef, m, Path(tmp) / f"{kind}-{m}"):
                    row = {"vectors": args.size, "kind": kind, **row}
                    results.append(row)
                    print(json.dumps(row), flush=True)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "hnsw_recall.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
