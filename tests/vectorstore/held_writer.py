"""`newsdesk ingest`, held in the middle of its run, for tests whose writer must be caught
mid-run: test_fencing.py's second writer (holding the writer lease, some batches written,
while the first writer resumes) and test_mid_run.py's run (holding the writer lock between
two published batches while readers start).

    python -m tests.vectorstore.held_writer HELD GO WHERE N SOURCE [ingest options]

Before its N-th call of WHERE it creates HELD and waits until GO exists (a lease's renewer
thread renews meanwhile), then goes on as `newsdesk ingest SOURCE ...` (-v, an option of
`newsdesk` itself, is passed before `ingest`). WHERE is `chunks`
(`Chunks.upsert`: a batch of chunk records, inside the batch's write) or `write`
(`ChromaStore.write_articles`: a whole batch, before any of its writes). The hooks wrap
public methods; nothing else of the run changes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli import main
from vectorstore.chroma.chunks import Chunks
from vectorstore.chroma.store import ChromaStore

POINTS: dict[str, tuple[type, str]] = {"chunks": (Chunks, "upsert"), "write": (ChromaStore, "write_articles")}


def hold_before(where: str, call: int, held: Path, go: Path) -> None:
    owner, name = POINTS[where]
    method: Callable[..., Any] = getattr(owner, name)
    calls = 0

    def held_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            held.touch()
            while not go.exists():
                time.sleep(0.05)
        return method(self, *args, **kwargs)

    setattr(owner, name, held_method)


if __name__ == "__main__":
    held_file, go_file, point, number, *ingest_args = sys.argv[1:]
    hold_before(point, int(number), Path(held_file), Path(go_file))
    verbose = [a for a in ingest_args if a in ("-v", "--verbose")]
    main([*verbose, "ingest", *(a for a in ingest_args if a not in verbose)], prog_name="newsdesk")
