"""Memory of newsdesk's processes, as a small server would run them.

    .venv/bin/python bench/memory.py [--only embedding ask watch ingest bot q100k]
        [--store100k /tmp/q100k] [--rounds 50] [--questions 200]

Every figure is one real process's, read from /proc (VmRSS now, VmHWM for the peak):

- embedding: ONNX Runtime's arena on and off, at several batch sizes, each in a fresh
  process embedding the chunks of the Wikinews articles: the memory the embedding added
  (peak less the memory once the model was loaded and warm), what stays after it, and
  chunks/s. onnx_backend.ARENA and EMBEDDING_BATCH_SIZE are chosen from this table.
- ask: a cold `newsdesk ask` on a store of samples/ (peak, wall).
- ingest: `newsdesk ingest` of the Wikinews articles into a new store (peak).
- watch: `newsdesk watch` polling 20 feeds served on 127.0.0.1 (after start, peak, end).
- bot: `python -m bot` over the Discord stand-in, 20 feeds routed to 5 channels, fed
  1,000 articles in rounds (bench/newsroom.py's corpus) while questions are asked.
- q100k: the answering process over a 100k-chunk store (bench/query.py --copies 85
  --store DIR builds it): a cold ask's wall time, and a process answering questions.

Prints one table; writes bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

EVAL = REPO.parent / "shared" / "eval"
WIKINEWS = EVAL / "wikinews" / "articles.jsonl"
PYTHON = sys.executable


def status(pid: int | str = "self") -> dict[str, float]:
    """VmRSS and VmHWM (the peak) of a process, in MB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- embedding: the arena and the batch size -------------------------------------------------


MODES = {"arena": True, "off": False}


def embedding_child(mode: str, batch: int) -> dict[str, object]:
    """In a fresh process: the chunks of the Wikinews articles embedded once."""
    from ingest.chunking import Chunker
    from vectorstore.embedding import onnx_backend
    from vectorstore.embedding.onnx_backend import OnnxEmbedder
    from vectorstore.models import Article
    from vectorstore.settings import StoreSettings

    onnx_backend.TOKEN_BUDGET = 1 << 40  # the batch size alone (the budget only splits longer texts)
    settings = StoreSettings(_env_file=None)  # type: ignore[call-arg]
    onnx_dir = settings.embedding_onnx_dir or settings.data_dir / "models"
    embedder = OnnxEmbedder(settings.embedding_model, onnx_dir, batch_size=batch, arena=MODES[mode])
    chunker = Chunker(embedder.count_tokens, 200, 40)
    texts = []
    for line in WIKINEWS.open():
        a = json.loads(line)
        texts += [c.text for c in chunker.split(Article(id=a["id"], title=a["title"], text=a["text"]))]
    spans = [[(0, len(t))] for t in texts]
    embedder.embed_with_spans(texts[:4], spans[:4])  # loaded and warm
    loaded = status()["VmRSS"]
    reset_peak()
    t0 = time.perf_counter()
    embedder.embed_with_spans(texts, spans)
    seconds = time.perf_counter() - t0
    after = status()
    return {
        "mode": mode, "batch": batch, "chunks": len(texts), "loaded_mb": round(loaded),
        "added_peak_mb": round(after["VmHWM"] - loaded), "kept_mb": round(after["VmRSS"] - loaded),
        "chunks_per_s": round(len(texts) / seconds, 1),
    }


def embedding(modes: list[str], batches: list[int]) -> list[dict[str, object]]:
    rows = []
    for mode in modes:
        for batch in batches:
            code = f"import json, bench.memory as m; print(json.dumps(m.embedding_child({mode!r}, {batch})))"
            done = subprocess.run([PYTHON, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1]) | {"load": load()}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="+", default=["embedding"])
    parser.add_argument("--modes", nargs="+", default=list(MODES))
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 16, 32, 64])
    args = parser.parse_args()
    results: dict[str, object] = {}
    if "embedding" in args.only:
        results["embedding"] = embedding(args.modes, args.batches)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "memory.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
