"""ONNX Runtime's memory arena and the embedding batch size, measured: each setting in a
fresh process embedding the chunks of the 89 Wikinews articles (chunked as ingest does):
the memory the embedding added (its peak less the memory once the model was loaded and
warm), what stays after it, and chunks/s. onnx_backend.ARENA and the default
EMBEDDING_BATCH_SIZE are chosen from this table.

    .venv/bin/python bench/onnx_memory.py [--modes arena off] [--batches 8 16 32 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.proc import PYTHON, environment, exported, load, status  # noqa: E402

WIKINEWS = REPO.parent / "shared" / "eval" / "wikinews" / "articles.jsonl"

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
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM from here
    t0 = time.perf_counter()
    embedder.embed_with_spans(texts, spans)
    seconds = time.perf_counter() - t0
    after = status()
    return {
        "mode": mode,
        "batch": batch,
        "chunks": len(texts),
        "loaded_mb": round(loaded),
        "added_peak_mb": round(after["VmHWM"] - loaded),
        "kept_mb": round(after["VmRSS"] - loaded),
        "chunks_per_s": round(len(texts) / seconds, 1),
    }


def embedding(onnx: Path, modes: list[str], batches: list[int]) -> list[dict[str, object]]:
    rows = []
    for mode in modes:
        for batch in batches:
            call = f"m.embedding_child({mode!r}, {batch})"
            code = f"import json, bench.onnx_memory as m; print(json.dumps({call}))"
            env = environment(onnx.parent, onnx)
            done = subprocess.run(
                [PYTHON, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
            )
            row = json.loads(done.stdout.strip().splitlines()[-1]) | {"load": load()}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", nargs="+", default=list(MODES))
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 16, 32, 64])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsdesk-onnx-") as folder:
        onnx = exported(Path(os.environ.get("EMBEDDING_ONNX_DIR") or Path(folder) / "models"))
        rows = embedding(onnx, args.modes, args.batches)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "onnx_memory.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
