"""Fenced writers on a Chroma server: a writer paused (SIGSTOP) past its lease
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
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pytest

from bot.app import App
from bot.settings import Settings
from tests.helpers import write_article
from tests.processes import Children
from vectorstore.chroma.lease import LeaseLostError
from vectorstore.chroma.metadata import LEASE_ID, WRITE_EPOCH_ID, chunk_id
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder, canonical_model_name
from vectorstore.errors import StoreBusyError
from vectorstore.inspection import chunk_ids, collections, iter_chunks, marker
from vectorstore.models import Article, Chunk

REPO = Path(__file__).resolve().parents[2]
# A lease made for a busy machine: renewed every 5 s, a renewal may come 7 s late
# before its holder counts it lost (at load 17 on two cores a 5 s lease ran out in a writer
# that was not paused). A takeover waits a whole lease, so the tests take longer.
LEASE_S = 15.0
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
    children: Children,
    port: int,
    data: Path,
    source: Path,
    onnx_dir: Path,
    held: tuple[Path, Path] | None = None,
) -> subprocess.Popen[str]:
    """`newsdesk ingest source`; with `held` (HELD, GO), held before its second batch of
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
    newsdesk = [str(Path(sys.executable).with_name("newsdesk")), "ingest"]
    held_writer = [
        sys.executable,
        "-m",
        "tests.vectorstore.held_writer",
        *map(str, held or ()),
        "chunks",
        "2",
    ]
    return children.popen(
        [*(held_writer if held else newsdesk), str(source), "-q"],
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
    return {r.id: r.title for r in records.values()}, named, chunk_ids(store)


def _paused_first(
    children: Children, tmp_path: Path, settings: Settings, chroma_server: int, onnx_dir: Path, n: int
) -> tuple[subprocess.Popen[str], ChromaStore]:
    """The first writer, SIGSTOPped once some of its batches are visible; a reader's store.
    (`children` ends it, stopped or not, if the test fails before it does.)"""
    source = _articles(tmp_path / "piers.jsonl", "original", n)
    first = _writer(children, chroma_server, tmp_path / "host-a", source, onnx_dir)
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    deadline = time.monotonic() + 300  # not a speed goal: a writer that never writes fails here
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
        assert first.poll() is None, (
            f"the first writer ended before it could be paused: {first.communicate()}"
        )
        assert time.monotonic() < deadline, "the first writer stored nothing"
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


def _originals(store: ChromaStore) -> set[str]:
    """The stored chunk ids of the first writer's versions ("original")."""
    return {c.id for c in iter_chunks(store) if "(original)" in c.text}


def test_a_writer_paused_past_its_lease_is_refused_and_the_store_stays_exact(
    tmp_path: Path,
    settings: Settings,
    embedder: Embedder,
    chroma_server: int,
    onnx_dir: Path,
    children: Children,
) -> None:
    n = 60
    first, store = _paused_first(children, tmp_path, settings, chroma_server, onnx_dir, n)
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    revised = _articles(tmp_path / "piers.jsonl", "revised", n)
    second = _writer(children, chroma_server, tmp_path / "host-b", revised, onnx_dir)
    _out, errors = second.communicate(timeout=600)
    assert second.returncode == 0, errors
    first.send_signal(signal.SIGCONT)
    _refused(first)
    _exactly_revised(store, n)
    fresh = App(remote.model_copy(update={"newsdesk_data_dir": tmp_path / "host-c"}), embedder=embedder)
    got = fresh.retriever.retrieve("how many crates reached pier 12 on shift 3?", k=3)
    assert got.passages and all("revised" in p.text for p in got.passages)


def test_a_writer_resumed_while_the_second_is_mid_run_is_refused_at_its_next_write(
    tmp_path: Path, settings: Settings, chroma_server: int, onnx_dir: Path, children: Children
) -> None:
    """The second writer is held before its second batch (held_writer.py: its lease renewed
    meanwhile) while the first resumes: the first is refused and writes nothing more (no
    chunk of its versions appears while the second is held); the second, let go,
    finishes; the store is exact."""
    n = 60
    first, store = _paused_first(children, tmp_path, settings, chroma_server, onnx_dir, n)
    held, go = tmp_path / "held", tmp_path / "go"
    revised = _articles(tmp_path / "piers.jsonl", "revised", n)
    second = _writer(children, chroma_server, tmp_path / "host-b", revised, onnx_dir, held=(held, go))
    deadline = time.monotonic() + 600  # not a speed goal: a writer that never gets there fails here
    while not held.exists():  # it took the lease over and wrote its first batch
        assert second.poll() is None, second.communicate()
        assert time.monotonic() < deadline, "the second writer never reached its second batch"
        time.sleep(0.05)
    before = _originals(store)
    first.send_signal(signal.SIGCONT)
    _refused(first)
    assert _originals(store) <= before, "the first writer wrote chunks after it resumed"
    assert second.poll() is None, "the second writer was mid-run while the first was refused"
    go.touch()
    _out, errors = second.communicate(timeout=600)
    assert second.returncode == 0, errors
    _exactly_revised(store, n)


HOLDER = """
import sys, time
from pathlib import Path
from vectorstore.chroma.store import ChromaStore
from vectorstore.errors import StoreBusyError
from vectorstore.settings import StoreSettings
store, go = ChromaStore(StoreSettings(), "m"), Path(sys.argv[1])
try:
    with store.writing("holder a"):
        print(store.writer_lock.fence, flush=True)
        while not go.exists():
            time.sleep(0.05)
        store.check_dimension(384)  # the hold's first write: the store's dimension recorded
except StoreBusyError as exc:
    print("refused:", exc, flush=True)
    sys.exit(2)
print("wrote", flush=True)
"""


class LeaseWatch:
    """When the lease record (its token and beat) last changed, as the test saw it: read
    before each of b's asks, so b never saw a change before the test did."""

    def __init__(self, store: ChromaStore) -> None:
        self.store = store
        self.last: tuple[object, object] | None = None
        self.changed = time.monotonic()

    def look(self) -> None:
        record = marker(self.store, LEASE_ID)
        if (record.get("token"), record.get("beat")) != self.last:
            self.last, self.changed = (record.get("token"), record.get("beat")), time.monotonic()


def _take(
    store: ChromaStore, who: str, within: float, watch: LeaseWatch | None = None
) -> tuple[AbstractContextManager[object], float]:
    """The store's writer lock, taken as soon as it can be (asked every 0.2 s, not waited
    for): the hold, entered, and for how long the lease record had not changed when it
    was taken (with a `watch`). `within` is not a speed goal."""
    watch = watch or LeaseWatch(store)
    started = time.monotonic()
    while True:
        watch.look()
        hold: AbstractContextManager[object] = store.writing(who, wait=False)
        try:
            hold.__enter__()
            return hold, time.monotonic() - watch.changed
        except StoreBusyError:
            assert time.monotonic() - started < within, f"{who} could not take the lease in {within} s"
            time.sleep(0.2)


def test_a_lease_is_taken_over_only_after_it_went_unrenewed_and_its_paused_holder_then_writes_nothing(
    tmp_path: Path, settings: Settings, chroma_server: int, children: Children
) -> None:
    """Holder a, a process, renews its lease while b keeps asking: b cannot take it. a is
    paused (SIGSTOP): b takes it over once a's last renewal went unrenewed for a lease, with
    a higher fencing number. a, resumed, tries its first write: refused, and the store
    holds no trace of it. b's release frees the lease: the next taker's number is higher."""
    remote = settings.model_copy(
        update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server, "writer_lease_s": LEASE_S}
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(chroma_server),
        "WRITER_LEASE_S": str(LEASE_S),
    }
    go = tmp_path / "go"
    a = children.popen(
        [sys.executable, "-c", HOLDER, str(go)], env=env, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert a.stdout is not None
    a_fence = int(a.stdout.readline())
    store = ChromaStore(remote, "m")
    watch = LeaseWatch(store)
    watch_until = time.monotonic() + LEASE_S * 1.5
    while time.monotonic() < watch_until:  # longer than a lease: renewed, it stays a's
        watch.look()
        with pytest.raises(StoreBusyError, match="holder a"), store.writing("b", wait=False):
            pass
        time.sleep(0.2)

    a.send_signal(signal.SIGSTOP)
    hold, unchanged = _take(store, "b", within=120, watch=watch)
    try:
        assert unchanged >= LEASE_S, f"taken over when a's lease had gone unrenewed for {unchanged:.1f} s"
        assert store.writer_lock.fence > a_fence, "fencing numbers only grow"
        go.touch()
        a.send_signal(signal.SIGCONT)
        out, _ = a.communicate(timeout=120)
        assert a.returncode == 2 and "refused:" in out and ("taken over" in out or "ran out" in out), out
        assert store.stats().dimension is None, "a's write is not in the store"
        b_fence = store.writer_lock.fence
    finally:
        hold.__exit__(None, None, None)
    assert store.writer_lock.holder() is None, "released in time: free at once"
    again, _ = _take(store, "c", within=120)  # free: at once, or after a taking write that was too slow
    try:
        assert store.writer_lock.fence > b_fence, "a release keeps the number: the next one is higher"
    finally:
        again.__exit__(None, None, None)


def _write(store: ChromaStore, n: int) -> None:
    """A write of one article (`n`: its number), through the store's write path."""
    article = Article(id=f"a{n}", title="T", text=f"Some text about things, number {n}.")
    write_article(
        store,
        article,
        [Chunk(article.id, 0, article.text, 0, len(article.text))],
        np.ones((1, 4), np.float32),
    )


def test_a_holds_first_write_is_refused_when_the_store_was_written_under_a_later_or_twin_hold(
    settings: Settings, chroma_server: int
) -> None:
    """The write epoch marker names the hold that wrote last (its fence number and token): a
    new hold's first write refuses to go on under one that is later, or has its own number
    and another token (two takers that both read their token back). The other hold's
    marker is written through Chroma once this hold has its number, as that hold would
    have left it."""
    remote = settings.model_copy(
        update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server, "writer_lease_s": LEASE_S}
    )
    store = ChromaStore(remote, "m")
    with store.writing("first"):
        _write(store, 1)
        fence, token = store.writer_lock.fence, store.writer_lock.fence_token
    written = marker(store, WRITE_EPOCH_ID)
    assert (written["fence"], written["fence_token"]) == (fence, token) and token, (
        "the hold that wrote, named"
    )

    def written_under(fence: int, token: str) -> None:
        meta = {**written, "fence": fence, "fence_token": token}
        collections(store).articles.upsert(
            ids=[WRITE_EPOCH_ID], embeddings=np.ones((1, 1), np.float32), metadatas=[meta]
        )

    for other, name in ((5, "a-later-hold"), (0, "a-twin-hold")):
        with store.writing("next"):
            written_under(store.writer_lock.fence + other, name)
            with pytest.raises(LeaseLostError, match="overtaken"):
                _write(store, 2)
    with store.writing("last"):
        mine = store.writer_lock.fence, store.writer_lock.fence_token
        written_under(mine[0] - 1, "an-earlier-hold")
        _write(store, 3)
    now = marker(store, WRITE_EPOCH_ID)
    assert (now["fence"], now["fence_token"]) == mine, "an earlier hold's marker: written over by this one's"
    assert set(store.records()) == {"a1", "a3"}, "nothing of the refused writes"
