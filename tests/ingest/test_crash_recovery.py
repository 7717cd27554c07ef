"""An ingest killed with SIGKILL and run again ends with exactly the store of an
uninterrupted run: no duplicate chunks, no half-written article."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.settings import Settings
from tests.processes import Children
from vectorstore.inspection import chunk_metadata, embeddings_of, iter_chunks, sentences_of, visible_rows

WORDS = [
    "council",
    "harbour",
    "river",
    "museum",
    "budget",
    "train",
    "school",
    "market",
    "festival",
    "bridge",
    "election",
    "storm",
    "library",
    "hospital",
    "factory",
    "airport",
    "stadium",
    "park",
    "theatre",
    "orchestra",
]


def _corpus(path: Path, n: int = 40) -> None:
    rng = random.Random(7)
    with path.open("w") as f:
        for i in range(n):
            sentences = [
                f"The {rng.choice(WORDS)} near the {rng.choice(WORDS)} reported {rng.randint(2, 900)} visitors on day {j}."
                for j in range(30)
            ]
            f.write(
                json.dumps({"id": f"doc-{i:03d}", "title": f"Report {i}", "text": " ".join(sentences)}) + "\n"
            )


def _ingest(children: Children, data: Path, corpus: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(data), "INGEST_FLUSH_CHUNKS": "8", "HF_HUB_OFFLINE": "1"}
    return children.popen(
        [str(Path(sys.executable).with_name("newsdesk")), "-v", "ingest", str(corpus)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _snapshot(data: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    store = App(Settings(_env_file=None, newsdesk_data_dir=data)).store  # type: ignore[call-arg]
    chunks = {c.id: (c.article_id, c.hash, c.index, c.text, c.start, c.end) for c in iter_chunks(store)}
    records = {r.id: (r.hash, r.n_chunks, r.title) for r in store.records().values()}
    return chunks, records


@pytest.mark.slow
def test_kill_9_then_rerun_equals_an_uninterrupted_run(tmp_path: Path, children: Children) -> None:
    corpus = tmp_path / "corpus.jsonl"
    _corpus(corpus)

    victim = _ingest(children, tmp_path / "killed", corpus)
    stored = 0
    assert victim.stderr is not None
    for line in victim.stderr:
        stored += " stored " in line
        if stored >= 12:
            victim.send_signal(signal.SIGKILL)
            break
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL, "the run was killed in the middle"
    _, half_records = _snapshot(tmp_path / "killed")
    assert 0 < len(half_records) < 40

    rerun = _ingest(children, tmp_path / "killed", corpus)
    assert rerun.wait(timeout=300) == 0
    clean = _ingest(children, tmp_path / "clean", corpus)
    assert clean.wait(timeout=300) == 0

    chunks, records = _snapshot(tmp_path / "killed")
    assert (chunks, records) == _snapshot(tmp_path / "clean")
    assert len(records) == 40
    for article_id, (_, n_chunks, _) in records.items():
        assert sum(1 for c in chunks.values() if c[0] == article_id) == n_chunks
    _indexes_hold_every_row(tmp_path / "killed", set(chunks))


def _indexes_hold_every_row(data: Path, chunk_ids: set[str]) -> None:
    """Not only the rows: the vector index (every stored embedding reads back, which a
    stale persisted HNSW index fails with "Error finding id"), every chunk's sentences,
    and the host's rows."""
    store = App(Settings(_env_file=None, newsdesk_data_dir=data)).store  # type: ignore[call-arg]
    metas = chunk_metadata(store)
    assert set(embeddings_of(store)) == set(metas) != set()
    counts = [int(m["n_sentences"]) for m in metas.values()]
    sentences = sentences_of(store, list(metas), counts)
    assert all(len(sentences[c]) == n for c, n in zip(metas, counts, strict=True))
    assert visible_rows(store) == chunk_ids
