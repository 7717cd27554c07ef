"""Fenced writers on a Chroma server (issue #21): a writer paused (SIGSTOP) past its lease
while a second one takes the lease over is refused at its next write once resumed (after
the second one finished, or while it is in the middle of its run), says so, and the store
stays exact: every article is the second writer's version, every record's chunks are
there, and no chunk is left that no record names."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.app import App
from bot.settings import Settings
from vectorstore.chroma.lease import Lease, LeaseLostError
from vectorstore.chroma.locks import Holder
from vectorstore.chroma.metadata import LEASE_ID, WRITE_EPOCH_ID, chunk_id
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


def _writer(
    port: int, data: Path, source: Path, onnx_dir: Path, held: tuple[Path, Path] | None = None
) -> subprocess.Popen[str]:
    """`python -m ingest source`; with `held` (HELD, GO), held before its second batch of
    chunks until GO exists (held_writer.py)."""
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
    command = ["-m", "tests.vectorstore.held_writer", *map(str, held)] if held else ["-m", "ingest"]
    return subprocess.Popen(
        [sys.executable, *command, str(source), "-q"],
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


def _paused_first(
    tmp_path: Path, settings: Settings, chroma_server: int, onnx_dir: Path, n: int
) -> tuple[subprocess.Popen[str], ChromaStore]:
    """The first writer, SIGSTOPped once some of its batches are visible; a reader's store."""
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
    paused_with = len(store.records())
    assert 0 < paused_with < n, "paused in the middle of its run"
    return first, store


def _refused(first: subprocess.Popen[str]) -> None:
    _, errors = first.communicate(timeout=120)
    assert first.returncode == 2, errors
    assert "writer lease" in errors and ("taken over" in errors or "ran out" in errors), errors
    assert "Traceback" not in errors


def _exactly_revised(store: ChromaStore, n: int) -> set[str]:
    titles, named, stored = _exact(store)
    assert titles == {f"pier-{i}": f"Pier {i} revised" for i in range(n)}, "every article the second writer's"
    assert named == stored, "every record's chunks stored, and no chunk no record names"
    assert store.intact(list(store.records().values())) == set(titles)
    return set(titles)


def test_a_writer_paused_past_its_lease_is_refused_and_the_store_stays_exact(
    tmp_path: Path, settings: Settings, embedder: Embedder, chroma_server: int, onnx_dir: Path
) -> None:
    n = 60
    first, store = _paused_first(tmp_path, settings, chroma_server, onnx_dir, n)
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    try:
        second = _writer(chroma_server, tmp_path / "host-b", _articles(tmp_path / "piers.jsonl", "revised", n), onnx_dir)
        _out, errors = second.communicate(timeout=300)
        assert second.returncode == 0, errors
    finally:
        first.send_signal(signal.SIGCONT)
    _refused(first)
    _exactly_revised(store, n)
    fresh = App(remote.model_copy(update={"newsdesk_data_dir": tmp_path / "host-c"}), embedder=embedder)
    got = fresh.retriever.retrieve("how many crates reached pier 12 on shift 3?", k=3)
    assert got.passages and all("revised" in p.text for p in got.passages)


def test_a_writer_resumed_while_the_second_is_mid_run_is_refused_at_its_next_write(
    tmp_path: Path, settings: Settings, chroma_server: int, onnx_dir: Path
) -> None:
    """The second writer is held before its second batch (held_writer.py: its lease renewed
    meanwhile) while the first resumes: the first is refused and writes nothing more; the
    second, let go, finishes; the store is exact."""
    n = 60
    first, store = _paused_first(tmp_path, settings, chroma_server, onnx_dir, n)
    held, go = tmp_path / "held", tmp_path / "go"
    revised = _articles(tmp_path / "piers.jsonl", "revised", n)
    try:
        second = _writer(chroma_server, tmp_path / "host-b", revised, onnx_dir, held=(held, go))
        deadline = time.monotonic() + 300
        while not held.exists():  # it took the lease over and wrote its first batch
            assert second.poll() is None, second.communicate()
            assert time.monotonic() < deadline, "the second writer never reached its second batch"
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGCONT)
    _refused(first)
    assert second.poll() is None, "the second writer was mid-run while the first was refused"
    go.touch()
    _out, errors = second.communicate(timeout=300)
    assert second.returncode == 0, errors
    _exactly_revised(store, n)


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


def test_a_holds_first_write_is_refused_when_the_store_was_written_under_a_later_or_twin_hold(
    settings: Settings, chroma_server: int
) -> None:
    """The write epoch marker names the hold that wrote last (its fence number and token): a
    new hold's first write refuses to go on under one that is later, or has its own number
    and another token (two takers that both read their token back)."""
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    coord = ChromaStore(remote, "m")._coord
    with coord.write_scope():
        pass
    marker = coord._marker_meta(WRITE_EPOCH_ID)
    assert marker["fence"] == 1 and marker["fence_token"], "the hold that wrote, named"

    def written_under(fence: int, token: str) -> None:
        meta = {**marker, "fence": fence, "fence_token": token}
        coord.conn.articles.upsert(ids=[WRITE_EPOCH_ID], embeddings=np.ones((1, 1), np.float32), metadatas=[meta])

    def next_fence() -> int:
        got = coord.conn.articles.get(ids=[LEASE_ID], include=["metadatas"])
        return int(got["metadatas"][0]["fence"]) + 1

    written_under(next_fence() + 5, "a-later-hold")
    with pytest.raises(LeaseLostError, match="overtaken"), coord.write_scope():
        pass
    written_under(next_fence(), "a-twin-hold")
    with pytest.raises(LeaseLostError, match="overtaken"), coord.write_scope():
        pass
    written_under(next_fence() - 1, "an-earlier-hold")
    with coord.write_scope():
        fence, token = coord.lock.fence, coord.lock.fence_token
    assert coord._marker_meta(WRITE_EPOCH_ID) | {"value": 0, "seq": 0} == {
        "kind": "marker", "value": 0, "seq": 0, "fence": fence, "fence_token": token
    }, "an earlier hold's marker: written over by this one's"
