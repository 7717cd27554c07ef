"""The writer lock between real processes: a second writer is told who holds the store,
or waits; a holder killed with -9 leaves nothing to clean up (flock), or a lease that
expires (Chroma server)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.processes import Children
from vectorstore.chroma.locks import Holder, WriterLock
from vectorstore.chroma.store import ChromaStore
from vectorstore.errors import StoreBusyError
from vectorstore.settings import StoreSettings

REPO = Path(__file__).resolve().parents[2]

HOLD = """
import sys, time
from vectorstore.settings import StoreSettings
from vectorstore.chroma.store import ChromaStore
store = ChromaStore(StoreSettings(), "m")
with store.writing("holder-under-test"):
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
    print("letting go", flush=True)
"""


def _holder(children: Children, env: dict[str, str], seconds: float) -> subprocess.Popen[str]:
    """A process holding the writer lock for `seconds`; it says "held" once it does, and
    "letting go" just before it lets go."""
    proc = children.popen(
        [sys.executable, "-c", HOLD, str(seconds)],
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_is_told_who_holds_the_store_and_a_killed_holder_frees_it(
    settings: StoreSettings, children: Children
) -> None:
    store = ChromaStore(settings, "m")
    holder = _holder(children, dict(os.environ), 60)
    busy = rf"holder-under-test \(pid {holder.pid} on .*since"
    with pytest.raises(StoreBusyError, match=busy), store.writing("second", wait=False):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert WriterLock(settings.data_dir).holder() is None, "the name a killed holder left names nobody"
    with store.writing("second", wait=False):  # the kernel released the flock
        assert store.writer_lock.held_here


def test_the_last_thread_out_of_a_hold_makes_its_writes_visible(settings: StoreSettings) -> None:
    """The thread that took the hold may leave before a thread that joined it writes: the
    generation moves when the last one leaves, after every write of the hold."""
    store = ChromaStore(settings, "m")
    before = store.generation()
    joined, first_left = threading.Event(), threading.Event()

    def second() -> None:
        with store.writing("second"):
            joined.set()
            first_left.wait(5)
            store.check_dimension(384)  # a write, after the first thread left
            assert store.generation() == before, "not visible while the hold lasts"

    with store.writing("first"):
        thread = threading.Thread(target=second)
        thread.start()
        assert joined.wait(5)
    first_left.set()
    thread.join(10)
    assert store.generation() != before and not store.writer_lock.held_here


def test_a_waiting_writer_hears_who_it_waits_for_and_goes_on_when_the_store_is_free(
    settings: StoreSettings, children: Children
) -> None:
    store = ChromaStore(settings, "m")
    holder = _holder(children, dict(os.environ), 1.5)
    heard: list[Holder | None] = []
    assert holder.stdout is not None
    with store.writing("second", on_wait=heard.append):
        # the holder said so before it let go: it is in the pipe before this writer got in
        said = select.poll()  # not select.select: a busy test process has descriptors past 1024
        said.register(holder.stdout, select.POLLIN)
        assert said.poll(0) and holder.stdout.readline().strip() == "letting go", (
            "it waited for the holder to finish"
        )
    holder.wait(timeout=60)
    assert [h.holder if h else None for h in heard] == ["holder-under-test"]
    assert WriterLock(settings.data_dir).holder() is None, "a free lock names nobody"


def test_threads_of_one_process_share_the_hold(settings: StoreSettings) -> None:
    """An ingest run hands its writes to a writer thread: that thread re-enters the lock."""
    lock = WriterLock(settings.data_dir)
    inner: list[bool] = []

    def write() -> None:
        with lock.hold("writer thread") as fresh:
            inner.append(fresh)

    with lock.hold("run") as fresh:
        thread = threading.Thread(target=write)
        thread.start()
        thread.join(timeout=5)
        assert fresh and inner == [False]


def test_a_hold_that_cannot_get_ready_is_let_go(settings: StoreSettings) -> None:
    """The first thread readies the process for writing under the lock (a reopen, say);
    when that fails the lock is released, not kept by nobody."""
    lock = WriterLock(settings.data_dir)

    def full_disk() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError), lock.hold("first", ready=full_disk):
        pass
    assert not lock.held_here and lock.holder() is None
    with lock.hold("again", wait=False) as fresh:
        assert fresh


def test_a_killed_writers_lease_on_a_chroma_server_expires(
    settings: StoreSettings, chroma_server: int, children: Children
) -> None:
    remote = settings.model_copy(
        update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server, "writer_lease_s": 2.0}
    )
    env = {**os.environ, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_server), "WRITER_LEASE_S": "2"}
    store = ChromaStore(remote, "m")
    holder = _holder(children, env, 60)
    busy = rf"holder-under-test \(pid {holder.pid}"
    with pytest.raises(StoreBusyError, match=busy), store.writing("second", wait=False):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    heard: list[Holder | None] = []
    with store.writing("second", on_wait=heard.append):  # waits until the lease expires
        assert store.writer_lock.held_here
    assert [h.holder if h else None for h in heard] == ["holder-under-test"], (
        "it waited for the dead holder's lease"
    )


def test_a_thread_joins_another_threads_hold_only_once_it_is_ready(settings: StoreSettings) -> None:
    """The feed poller and /ingest write from two threads of the bot: the second must not
    write before the first has readied this process for writing (`ready`, the store's
    indexes brought up to date: a write to a stale in-memory index would be persisted
    whole, dropping another process's rows). Here the first one's `ready` goes on only
    once the second has asked to join (and given it a moment to write, which it must not)."""
    lock = WriterLock(settings.data_dir)
    events: list[str] = []
    getting_ready, trying, wrote = threading.Event(), threading.Event(), threading.Event()

    def ready() -> None:
        events.append("getting ready")
        getting_ready.set()
        assert trying.wait(30), "the second thread never asked"
        wrote.wait(2)  # not a timing of the product: a second let in too early writes meanwhile
        events.append("ready")

    def first() -> None:
        with lock.hold("first", ready=ready):
            wrote.wait(30)  # held until the second has written in it

    def second() -> None:
        assert getting_ready.wait(30)
        trying.set()
        with lock.hold("second") as fresh:  # joins the hold, once it is ready
            events.append(f"second writes ({'its own hold' if fresh else 'joined'})")
            wrote.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert events == ["getting ready", "ready", "second writes (joined)"]
    assert not lock.held_here and lock.holder() is None
