"""`python -m ingest`, held in the middle of its run: for tests/vectorstore/test_fencing.py's
second writer, which must be mid-run (holding the writer lease, some batches written) while
the first writer resumes.

    python -m tests.vectorstore.held_writer HELD GO SOURCE [ingest options]

Before its second batch of chunks it creates HELD and waits until GO exists (its lease's
renewer thread renews meanwhile), then goes on as `python -m ingest SOURCE ...`.
"""

from __future__ import annotations

import runpy
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vectorstore.chroma import chunks


def _hold_before(batch: int, held: Path, go: Path) -> None:
    upsert = chunks.Chunks.upsert
    calls = 0

    def held_upsert(self: chunks.Chunks, rows: Sequence[Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == batch:
            held.touch()
            while not go.exists():
                time.sleep(0.05)
        upsert(self, rows)

    chunks.Chunks.upsert = held_upsert  # type: ignore[method-assign]


if __name__ == "__main__":
    _hold_before(2, Path(sys.argv[1]), Path(sys.argv[2]))
    sys.argv = ["ingest", *sys.argv[3:]]
    runpy.run_module("ingest", run_name="__main__")
