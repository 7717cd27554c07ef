"""Reads of the shared connection, or a swap of it (a reopen), in one process.

Questions and writes use the store's collections under `shared()`; a reopen
(connection.py) first takes the swapper's `turn()` (one reopen at a time; a thread that
finds another reopen under way can go without), then `exclusive()`: it waits for the reads
under way, holds new ones back, stops the old Chroma System and opens the new one. The
process never holds two copies of the collections, and the reads held back wait for the
swap instead of failing. A thread already reading may read again (re-entrant), so a nested
read never waits for a swap that waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from common.lock_order import LockRank, ranked


class Gate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._swapping = False
        self._held = 0  # reads waiting for a swap to end
        self._depth = threading.local()
        self._turn = threading.RLock()  # who may swap (re-entrant: a swapper may reopen again)

    @contextmanager
    def shared(self) -> Iterator[None]:
        depth = getattr(self._depth, "n", 0)
        with ranked(LockRank.GATE_READ):
            if depth == 0:
                with self._cond:
                    while self._swapping:
                        self._held += 1
                        self._cond.wait()
                        self._held -= 1
                    self._readers += 1
            self._depth.n = depth + 1
            try:
                yield
            finally:
                self._depth.n = depth
                if depth == 0:
                    with self._cond:
                        self._readers -= 1
                        self._cond.notify_all()

    def swap_asked(self) -> bool:
        """True while a swap waits for the reads under way or runs."""
        with self._cond:
            return self._swapping

    def held_back(self) -> int:
        """How many reads are waiting for a swap to end."""
        with self._cond:
            return self._held

    def reading(self) -> bool:
        """True on a thread inside shared()."""
        return bool(getattr(self._depth, "n", 0))

    @contextmanager
    def turn(self, wait: bool = True) -> Iterator[bool]:
        """The swapper's turn; yields False at once, without `wait`, while another thread
        has it (a reopen under way)."""
        with ranked(LockRank.GATE_TURN, waits=wait):
            if not self._turn.acquire(blocking=wait):
                yield False
                return
            try:
                yield True
            finally:
                self._turn.release()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Wait for the reads under way, hold new ones back. Not from inside a read."""
        if self.reading():
            raise RuntimeError("a reader cannot swap the index it is reading")
        with ranked(LockRank.GATE_SWAP):
            with self._cond:
                while self._swapping:
                    self._cond.wait()
                self._swapping = True
            try:
                with self._cond:
                    while self._readers:
                        self._cond.wait()
                yield
            finally:
                with self._cond:
                    self._swapping = False
                    self._cond.notify_all()
