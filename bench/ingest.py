"""Ingest speed against the embedder's own limit.

    .venv/bin/python bench/ingest.py [--corpus FILE ...]

Ingests the corpus (default: ../shared/eval wikinews + squad-dev articles) into a fresh
store, then encodes the very same chunk texts with a bare SentenceTransformer.encode
(same model, batch size and threads) and with the ingest's own embedder alone, and prints
chunks/s for each and the ratios, and the time of a second, unchanged run (which must
embed nothing). Writes bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.app import App  # noqa: E402
from bot.settings import Settings  # noqa: E402
from ingest.runner import run_ingest  # noqa: E402
from vectorstore.embedding import make_embedder  # noqa: E402
from vectorstore.embedding.torch_backend import SentenceTransformerEmbedder  # noqa: E402
from vectorstore.inspection import iter_chunks  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="append", type=Path)
    args = parser.parse_args()
    corpus = args.corpus or [EVAL / "wikinews" / "articles.jsonl", EVAL / "squad-dev" / "articles.jsonl"]
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        settings = Settings(_env_file=None, newsdesk_data_dir=Path(tmp))  # type: ignore[call-arg]
        embedder = make_embedder(settings)  # EMBEDDING_BACKEND picks torch or onnx
        embedder.embed(["warm up"])  # model load is not ingest
        bare = SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)
        ingestor = App(settings, embedder=embedder).ingestor
        first = run_ingest(settings, [str(c) for c in corpus], ingestor=ingestor)
        t0 = time.perf_counter()
        second = run_ingest(settings, [str(c) for c in corpus], ingestor=ingestor)
        unchanged_s = time.perf_counter() - t0
        texts = [c.text for c in iter_chunks(App(settings).store)]
        bare.model.encode(texts[:8], batch_size=settings.embedding_batch_size)  # load, warm
        t0 = time.perf_counter()
        bare.model.encode(texts, batch_size=settings.embedding_batch_size, show_progress_bar=False)
        bare_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        embedder.embed(texts)  # the ingest's own embedder, alone: its batches and arena settings
        own_s = time.perf_counter() - t0
    figures = {
        "backend": settings.embedding_backend,
        "articles": first.count("added"),
        "chunks": first.chunks_embedded,
        "ingest_s": round(first.seconds, 2),
        "ingest_chunks_per_s": round(first.chunks_embedded / first.seconds, 2),
        "of_which_embedding_s": round(first.embed_seconds, 2),
        "bare_encode_s": round(bare_s, 2),
        "bare_encode_chunks_per_s": round(len(texts) / bare_s, 2),
        "ratio_ingest_to_bare": round((first.chunks_embedded / first.seconds) / (len(texts) / bare_s), 3),
        "own_encode_chunks_per_s": round(len(texts) / own_s, 2),
        "ratio_ingest_to_own_encode": round(first.chunks_embedded / first.seconds / (len(texts) / own_s), 3),
        "second_run_s": round(unchanged_s, 2),
        "second_run_chunks_embedded": second.chunks_embedded,
    }
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(figures, indent=2) + "\n")
    for key, value in figures.items():
        print(f"{key:28s} {value}")


if __name__ == "__main__":
    main()
