"""Fenced writers on a Chroma server (issue #21): a writer paused (SIGSTOP) past its lease
while a second one takes the lease over is refused at its next write once resumed, says
so, and the store stays exact: every article is the second writer's version, every record's
chunks are there, and no chunk is left that no record names."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from vectorstore.chroma.lease import Lease, LeaseLostError
from vectorstore.chroma.locks import Holder
from vectorstore.chroma.metadata import chunk_id
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder, canonical_model_name

REPO = Path(__file__).resolve().parents[2]
LEASE_S = 3.0
pytestmark = pytest.mark.slow


def _articles(path: Path, version: str, n: int) -> Path:
    """The articles, in `path` (replaced whole: a reader that opened the older file keeps
    reading it). The same path for both versions: an update comes from the same origin."""
    rows = []
    for i in range(n):
        text = " ".join(
            f"Dispatch {i} ({version}): the {version} count of crates at pier {i} reached {i * 7 + j} on shift {j}."
            for j in range(14)
        )
        rows.append(json.dumps({"id": f"pier-{i}", "title": f"Pier {i} {version}", "text": text}))
    path.with_suffix(".tmp").write_text("\n".join(rows) + "\n")
    os.replace(path.with_suffix(".tmp"), path)
    return path


def _writer(port: int, data: Path, source: Path, onnx_dir: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(port),
        "WRITER_LEASE_S": str(LEASE_S),
        "NEWSDESK_DATA_DIR": str(data),  # each writer its own host, as on two machines
        "EMBEDDING_ONNX_DIR": str(onnx_dir),
        "INGEST_FLUSH_CHUNKS": "16",  # many batches: the pause lands in the middle of the run
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", str(source), "-q"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _exact(store: ChromaStore) -> tuple[dict[str, str], set[str], set[str]]:
    """(title by article, chunk ids the records name, chunk ids stored)."""
    records = store.records()
    named = {chunk_id(r.id, r.hash, i) for r in records.values() for i in range(r.n_chunks)}
    stored = set(store._conn.chunks.get(include=[])["ids"])
    return {r.id: r.title for r in records.values()}, named, stored


def test_a_writer_paused_past_its_lease_is_refused_and_the_store_stays_exact(
    tmp_path: Path, settings: Settings, embedder: Embedder, chroma_server: int, onnx_dir: Path
) -> None:
    n = 60
    first = _writer(chroma_server, tmp_path / "host-a", _articles(tmp_path / "piers.jsonl", "original", n), onnx_dir)
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    deadline = time.monotonic() + 120
    store: ChromaStore | None = None
    while time.monotonic() < deadline:  # the first writer's first batches are visible
        if store is None:
            try:
                store = ChromaStore(remote, canonical_model_name(remote.embedding_model))
            except Exception:
                time.sleep(0.2)
                continue
        if store.records():
            break
        assert first.poll() is None, f"the first writer ended before it could be paused: {first.communicate()}"
        time.sleep(0.05)
    first.send_signal(signal.SIGSTOP)
    assert store is not None
    try:
        paused_with = len(store.records())
        assert 0 < paused_with < n, "paused in the middle of its run"
        second = _writer(chroma_server, tmp_path / "host-b", _articles(tmp_path / "piers.jsonl", "revised", n), onnx_dir)
        _out, errors = second.communicate(timeout=300)
        assert second.returncode == 0, errors
    finally:
        first.send_signal(signal.SIGCONT)
    _, errors = first.communicate(timeout=120)
    assert first.returncode == 2, errors
    assert "writer lease" in errors and ("taken over" in errors or "ran out" in errors), errors
    assert "Traceback" not in errors

    titles, named, stored = _exact(store)
    assert titles == {f"pier-{i}": f"Pier {i} revised" for i in range(n)}, "every article the second writer's"
    assert named == stored, "every record's chunks stored, and no chunk no record names"
    assert store.intact(list(store.records().values())) == set(titles)
    fresh = App(remote.model_copy(update={"newsdesk_data_dir": tmp_path / "host-c"}), embedder=embedder)
    got = fresh.retriever.retrieve("how many crates reached pier 12 on shift 3?", k=3)
    assert got.passages and all("revised" in p.text for p in got.passages)


def test_a_lease_is_taken_over_only_after_it_went_unrenewed_and_its_holder_then_writes_nothing(
    settings: Settings, chroma_server: int
) -> None:
    """In one process, two lease objects stand for two hosts; the first one's renewals are
    stopped as a SIGSTOP would stop them."""
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    articles = ChromaStore(remote, "m")._conn.articles
    a = Lease(articles, "__test_lease__", 1.5, settle=0.1)
    b = Lease(articles, "__test_lease__", 1.5, settle=0.1)
    assert a.try_acquire(Holder.me("a"))
    a.check(verify=True)
    assert not b.try_acquire(Holder.me("b")), "held and renewed"
    time.sleep(2.0)
    assert not b.try_acquire(Holder.me("b")), "renewed while b watched: still held"
    a._stop.set()  # a is paused: no more renewals
    started = time.monotonic()
    while not b.try_acquire(Holder.me("b")):
        time.sleep(0.1)
        assert time.monotonic() - started < 10
    assert time.monotonic() - started >= 1.5 - 0.6, "not before the lease went unrenewed for its time"
    assert b.fence == a.fence + 1, "fencing numbers grow"
    with pytest.raises(LeaseLostError, match="writer lease"):
        a.check()
    a.release()  # lets go of nothing: the record is b's
    b.check(verify=True)
    holder = b.current()
    assert holder is not None and holder.holder == "b"
    taken = b.fence
    b.release()
    assert b.current() is None
    c = Lease(articles, "__test_lease__", 1.5, settle=0.1)
    assert c.try_acquire(Holder.me("c")), "a released lease is free at once"
    assert c.fence == taken + 1, "a release keeps the number"
    c.release()
