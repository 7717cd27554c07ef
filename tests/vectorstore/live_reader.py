"""A long-lived reader process for tests/vectorstore/test_live.py, like the bot: one
Retriever, asking about each probe code in a loop, until STOP_FILE exists.

    python -m tests.vectorstore.live_reader STOP_FILE CODE ...

Prints one JSON line per change of what it finds ({"t", "code", "found"}), one per error
({"t", "error"}), then {"asked": N, "reopens": N} when it stops. A code is found when a
passage among the top 3 holds it; the passages' stored sentence vectors are fetched as
the answering core does (the read that failed with "Error finding id").
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import canonical_model_name, make_embedder
from vectorstore.retrieval import Retriever
from vectorstore.settings import StoreSettings


def _say(**fields: object) -> None:
    print(json.dumps({"t": time.time(), **fields}), flush=True)


def main(stop: Path, codes: list[str]) -> None:
    settings = StoreSettings()
    store = ChromaStore(settings, canonical_model_name(settings.embedding_model))
    retriever = Retriever(store, make_embedder(settings))
    found: dict[str, bool] = {}
    asked = 0
    _say(ready=True)
    while not stop.exists():
        for code in codes:
            asked += 1
            try:
                result = retriever.retrieve(code, k=3)
                now = any(code in p.text for p in result.passages)
            except Exception as exc:  # every error is what the test counts
                _say(error=f"{type(exc).__name__}: {exc}", where=traceback.format_exc()[-1500:])
                continue
            if found.get(code) != now:
                found[code] = now
                _say(code=code, found=now)
        time.sleep(0.02)
    _say(asked=asked, reopens=store.reopens)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
