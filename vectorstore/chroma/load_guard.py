"""No process loads an embedded store's files while a writer rewrites them.

Chroma persists its HNSW indexes from the writer's memory while it writes: a process that
opened the store meanwhile read files being rewritten (seen: every new client segfaulted in
`count()` after a store was read in the middle of a long run of writes). Between two
writes nothing is being rewritten, and a process that opens the store then loads what the
last write left: the published batches.

So the guard is `<data dir>/chroma.rwlock` (`fcntl.flock`: the kernel releases it when its
holder dies, even by SIGKILL), held exclusively by a writer for each write (one batch's
chunks, its manifest flip, its old chunks' deletion: `Coordinator.write_scope`), never for
its whole run, and shared by a process while it opens or reopens the store. A process
started during an ingest waits at most for the write under way, not for the run; the
writers' exclusion for a whole run is the writer lock (locks.py, `writer.lock`).

Within a process the writer's hold is a re-entrant thread lock around one flock: the thread
holding it may enter it again (a write inside a write); the process's other writing threads
(the bot's /ingest and feed poller write through one Chroma System) wait for that write to
end. Its place in the order of locks: common/lock_order.py, chroma/LOCKS.md.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from common.lock_order import LockRank, ranked
from common.per_process import PerProcess
from vectorstore.errors import StoreBusyError
from vectorstore.system import flocked

GUARD_FILE = "chroma.rwlock"
GUARD_WAIT_S = 60.0  # the longest a write waits for the processes opening the store


class LoadGuard:
    """The load guard of one data dir; one per process (`LoadGuard.of`)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.RLock()  # this process's writing threads, one write at a time
        self._depth = 0
        self._fd: int | None = None

    @classmethod
    def of(cls, data_dir: Path) -> LoadGuard:
        path = (data_dir / GUARD_FILE).resolve()
        return _GUARDS.get(str(path), lambda: cls(path))

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A writer's hold for one write: exclusive, waiting for the processes that are
        opening the store (a moment each)."""
        with ranked(LockRank.LOAD_GUARD), self._lock:
            if self._depth == 0:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    self._take(fd)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fd, self._fd = self._fd, None
                    os.close(fd)  # closing releases the flock

    def _take(self, fd: int) -> None:
        """The exclusive flock, waiting at most GUARD_WAIT_S for the processes opening the
        store (one stopped while opening, by Ctrl-Z, must not hold every write back)."""
        deadline = time.monotonic() + GUARD_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"A process opening the store has held {self._path} for over {GUARD_WAIT_S:g} s "
                        "(a stopped `newsdesk ask`?); nothing was written. Try again when it is done."
                    ) from None
                time.sleep(0.02)

    @contextmanager
    def loading(self, wait: bool) -> Iterator[bool]:
        """A process's shared hold while it opens or reopens the store; yields whether it
        was taken (False only without `wait`, while a write is under way)."""
        with ranked(LockRank.LOAD_GUARD, waits=wait), shared_flock(self._path, wait) as taken:
            yield taken


def shared_flock(path: Path, wait: bool) -> AbstractContextManager[bool]:
    """A shared flock of `path` for the block; yields whether it was taken (False only
    without `wait`, while another holds it exclusively)."""
    return flocked(path, exclusive=False, wait=wait)


_GUARDS: PerProcess[str, LoadGuard] = PerProcess()
