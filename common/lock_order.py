"""The order in which a thread takes newsdesk's locks, and a debug check of it.

A thread that holds a lock only waits for locks ranked after it (`LockRank`: the lower number
is taken first), so no two threads or processes can wait for each other in a circle.
vectorstore/chroma/LOCKS.md says what each lock protects and why the order is this one.
Two exceptions, neither of which can wait: a lock taken without waiting (a try: it fails
at once when held), and a lock the thread already holds (re-entered).

Debug mode: with NEWSDESK_LOCK_ORDER set (the test suite sets it), each ranked lock checks
before it waits that its thread holds no lock ranked after it, else raises
LockOrderError; every violation is also kept (`violations()`) and, unless the variable is
"1", appended to the file it names, so that a child process's violation reaches the test
that started it. Off by default: a ranked lock then costs one look at a flag.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

ENV = "NEWSDESK_LOCK_ORDER"


class LockRank(IntEnum):
    """Newsdesk's locks in the order a thread may take them (LOCKS.md, "The order")."""

    POLL_ROUND = 10  # FeedPoller's round: one poll round at a time in a process
    NEWSROOM_ROUND = 20  # newsroom.lock: one process plans a round (never waited for)
    WRITER = 30  # the writer lock (writer.lock) or lease, through the process hold
    BM25_UPKEEP = 35  # lexical.bm25/.lock: one process writes and merges BM25 segments
    SNAPSHOT = 40  # a store's snapshot being brought up to date (Snapshots)
    GATE_TURN = 50  # the gate's turn: one reopen of the connection at a time
    ROWS_GUARD = 60  # lexical.sqlite3.lock: this host's rows and the manifest in step
    LOAD_GUARD = 70  # chroma.rwlock: a write (exclusive) against a process opening the store
    GATE_SWAP = 80  # the gate's exclusive side: a reopen swapping the connection
    GATE_READ = 90  # the gate's shared side: a read or write of the Chroma collections
    SQLITE = 100  # a SQLite write transaction (BEGIN IMMEDIATE)


class LockOrderError(RuntimeError):
    """A lock was about to be waited for while its thread held one ranked after it."""


_mode: str | None = None  # the variable's value, read at the first ranked lock
_local = threading.local()
_violations: list[str] = []
_violations_lock = threading.Lock()


def checking() -> bool:
    global _mode
    if _mode is None:
        _mode = os.environ.get(ENV, "")
    return bool(_mode)


def set_checking(value: str) -> None:
    """Turn the check on ("1" or a file for violations) or off (""), for tests."""
    global _mode
    _mode = value


def violations() -> list[str]:
    """Every violation seen in this process."""
    with _violations_lock:
        return list(_violations)


def _held() -> list[LockRank]:
    held: list[LockRank] | None = getattr(_local, "held", None)
    if held is None:
        held = _local.held = []
    return held


def taking(rank: LockRank, waits: bool = True) -> None:
    """Before a lock of `rank` is taken by this thread; `waits`: the take may wait."""
    if not checking():
        return
    held = _held()
    if waits and held and max(held) > rank and rank not in held:
        _violation(rank, held)
    held.append(rank)


def released(rank: LockRank) -> None:
    """After a lock of `rank` this thread took (or failed to take) is let go."""
    if not checking():
        return
    held = _held()
    for i in range(len(held) - 1, -1, -1):
        if held[i] == rank:
            del held[i]
            return


@contextmanager
def ranked(rank: LockRank, waits: bool = True) -> Iterator[None]:
    """`taking` before the block, `released` after it."""
    taking(rank, waits)
    try:
        yield
    finally:
        released(rank)


def _violation(rank: LockRank, held: list[LockRank]) -> None:
    names = ", ".join(r.name for r in held)
    text = (
        f"lock order: {rank.name} ({rank.value}) waited for in thread {threading.current_thread().name} "
        f"while it holds {names}; a thread waits only for locks ranked after those it holds "
        "(common/lock_order.py, vectorstore/chroma/LOCKS.md)"
    )
    with _violations_lock:
        _violations.append(text)
    if _mode and _mode != "1":
        with open(_mode, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {text}\n")
    raise LockOrderError(text)
