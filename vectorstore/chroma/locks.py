"""One writer at a time: the writer lock, held for a writer's whole run.

Embedded store: one `fcntl.flock` file, `<data dir>/writer.lock` (stdlib; the kernel
releases it when its holder dies, even by SIGKILL, so there is nothing to recover or
expire; the `filelock` package would add a dependency for the same call). A writer holds
it exclusively for its whole run and writes who it is (pid, host, command, since) into
it, for the message a second writer shows. Readers never take it: what keeps a process
from loading the store's files while a writer rewrites them is the load guard
(load_guard.py, `chroma.rwlock`), which a writer holds for each write, not for its run
(a process started during an ingest answers from the published batches).

Chroma server (CHROMA_HOST): processes on other machines cannot see a local file, so the
lock is a lease record in the manifest collection (lease.py: renewed by a thread while it
is held, taken over once it has not been renewed for WRITER_LEASE_S; a writer killed with
-9 blocks the next one for about the lease time), and every write of its holder is fenced
by it: a holder paused past its lease is refused at its next write (LeaseLostError).
Nothing guards a server's files: the server has them.

Both are held by a process as a whole (`ProcessHold`: the threads of a process join one
hold, once it is ready) and exclusive between processes.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from common.lock_order import LockRank, released, taking
from vectorstore.chroma.lease import Holder as Holder  # who holds it, named in messages
from vectorstore.chroma.lease import Lease
from vectorstore.chroma.load_guard import shared_flock
from vectorstore.chroma.metadata import LEASE_ID
from vectorstore.errors import StoreBusyError

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

LOCK_FILE = "writer.lock"
POLL_SECONDS = 0.2
LOADING_WAIT_S = 5.0  # how long a writer that must not wait waits for another one looking at the lock
JOIN_WAIT_S = 5.0  # how long a writer that must not wait waits for another thread's hold to get ready


def command_line() -> str:
    """This process's command, for the holder record."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200] or "python"


WaitCallback = Callable[[Holder | None], None]
Ready = Callable[[], None]


class _Exclusive(Protocol):
    def try_acquire(self, me: Holder) -> bool: ...
    def release(self) -> None: ...
    def current(self) -> Holder | None: ...
    def check(self, verify: bool = False) -> None: ...  # before each write: LeaseLostError if lost

    @property
    def fence(self) -> int: ...  # the hold's fencing number (lease.py); 0 for the file lock

    @property
    def fence_token(self) -> str: ...  # with it, unique to the hold (lease.py); "" for the file lock


def busy_text(other: Holder | None) -> str:
    who = other.describe() if other else "another process"
    return f"The store is being written by {who}. Try again when it has finished."


def _log_wait(other: Holder | None) -> None:
    who = other.describe() if other else "another writer"
    log.warning("waiting for the store: it is being written by %s", who)


class ProcessHold:
    """The writer lock held by a process as a whole: the first thread takes it and gets the
    process ready to write (`ready`, under the lock: this process's indexes synced); the
    other threads join it once it is ready (an ingest run hands its writes to a writer
    thread; the bot's /ingest and feed poller share one Chroma System); `done` runs when
    the last one leaves, then the lock is released."""

    def __init__(self, inner: _Exclusive) -> None:
        self._inner = inner
        self._cond = threading.Condition()
        self._depth = 0
        self._changing = False  # a thread is taking the lock (and getting it ready) or letting it go

    @property
    def held_here(self) -> bool:
        """True while this process holds the lock."""
        with self._cond:
            return self._depth > 0

    @property
    def busy_here(self) -> bool:
        """True while this process holds the lock, or a thread is taking or letting it go."""
        with self._cond:
            return self._depth > 0 or self._changing

    def holder(self) -> Holder | None:
        return self._inner.current()

    def check(self, verify: bool = False) -> None:
        """Before a write of this hold: LeaseLostError when a lease was lost (lease.py)."""
        self._inner.check(verify)

    @property
    def fence(self) -> int:
        return self._inner.fence

    @property
    def fence_token(self) -> str:
        return self._inner.fence_token

    @contextmanager
    def hold(
        self,
        holder: str,
        wait: bool = True,
        on_wait: WaitCallback | None = None,
        ready: Ready | None = None,
        done: Ready | None = None,
    ) -> Iterator[bool]:
        """Hold the lock; yields True when this call took it (False: joined this process's
        hold). Raises StoreBusyError when another process holds it and `wait` is False (or
        another thread's hold is not ready within JOIN_WAIT_S)."""
        taking(LockRank.WRITER)  # a thread joining the hold waits for it too
        try:
            fresh = self._enter(Holder.me(holder), wait, on_wait, ready)
            try:
                yield fresh
            finally:
                self._leave(done)
        finally:
            released(LockRank.WRITER)

    def _enter(self, me: Holder, wait: bool, on_wait: WaitCallback | None, ready: Ready | None) -> bool:
        with self._cond:
            if not self._cond.wait_for(lambda: not self._changing, None if wait else JOIN_WAIT_S):
                raise StoreBusyError(busy_text(self._inner.current()))
            if self._depth > 0:
                self._depth += 1
                return False
            self._changing = True
        held = False
        try:
            self._acquire(me, wait, on_wait)
            try:
                if ready is not None:
                    ready()
            except BaseException:
                self._inner.release()  # not ready: not held
                raise
            held = True
        finally:
            with self._cond:
                self._changing = False
                self._depth += int(held)
                self._cond.notify_all()
        return True

    def _leave(self, done: Ready | None) -> None:
        with self._cond:
            if self._depth > 1:
                self._depth -= 1
                return
            self._changing = True  # no thread joins a hold that is being let go
        try:
            if done is not None:
                done()
        finally:
            with self._cond:
                self._depth -= 1
                self._inner.release()
                self._changing = False
                self._cond.notify_all()

    def _acquire(self, me: Holder, wait: bool, on_wait: WaitCallback | None) -> None:
        told = False
        started = time.monotonic()
        while not self._inner.try_acquire(me):
            other = self._inner.current()
            loading = other is None and time.monotonic() - started < LOADING_WAIT_S
            if not wait and not loading:  # a writer reading the holder's name is waited for a moment
                raise StoreBusyError(busy_text(other))
            if not told and not loading:
                (on_wait or _log_wait)(other)
                told = True
            time.sleep(POLL_SECONDS)


class _FileLock:
    """The embedded store's writer lock file: exclusive for a writer (who writes its name
    into it); shared only for a moment, to see whether a writer holds it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def _open(self) -> int:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)

    def try_acquire(self, me: Holder) -> bool:
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(me)).encode("utf-8"), 0)
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.ftruncate(fd, 0)  # a reader of the file sees no holder once it is free
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def check(self, verify: bool = False) -> None:
        """A flock cannot be lost while its holder lives (a paused holder keeps it)."""

    @property
    def fence(self) -> int:
        return 0

    @property
    def fence_token(self) -> str:
        return ""

    def current(self) -> Holder | None:
        """The writer holding it now; None when no writer does (a record a writer killed
        with -9 left behind names nobody: the lock is free)."""
        with self._free() as free:
            if free:
                return None
        try:
            return Holder(**json.loads(self._path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def _free(self) -> AbstractContextManager[bool]:
        """Whether no writer holds it (a shared hold for as long as the caller looks)."""
        return shared_flock(self._path, wait=False)


_HOLDS: dict[str, ProcessHold] = {}
_HOLDS_LOCK = threading.Lock()


def _shared(key: str, make: Callable[[], _Exclusive]) -> ProcessHold:
    """One hold per store and process, whichever object asks for it."""
    with _HOLDS_LOCK:
        if key not in _HOLDS:
            _HOLDS[key] = ProcessHold(make())
        return _HOLDS[key]


class StoreLock:
    """The writer lock of a store: the process's one hold of it (ProcessHold), whichever
    object asks for it; `hold(...)` holds it, `holder()` names who holds it."""

    def __init__(self, key: str, make: Callable[[], _Exclusive]) -> None:
        self._process = _shared(key, make)
        self.hold = self._process.hold
        self.holder = self._process.holder
        self.check = self._process.check

    @property
    def held_here(self) -> bool:
        return self._process.held_here

    @property
    def busy_here(self) -> bool:
        return self._process.busy_here

    @property
    def fence(self) -> int:
        """The fencing number of this process's hold (a lease's; 0 for the file lock)."""
        return self._process.fence

    @property
    def fence_token(self) -> str:
        """The token of this process's lease hold, unique with `fence` ("" for the file lock)."""
        return self._process.fence_token


class WriterLock(StoreLock):
    """The embedded store's lock: one per data dir and process.

    with WriterLock(data_dir).hold("newsdesk ingest", wait=False):
        ...  # raises StoreBusyError naming the holder when another process writes
    """

    def __init__(self, data_dir: Path) -> None:
        path = (data_dir / LOCK_FILE).resolve()
        super().__init__(str(path), lambda: _FileLock(path))


class LeaseLock(StoreLock):
    """The writer lock of a Chroma server: a lease record in the manifest collection."""

    def __init__(self, collection: Collection, key: str, seconds: float = 30.0, settle: float = 0.5) -> None:
        super().__init__(key, lambda: Lease(collection, LEASE_ID, seconds, settle))


def exclusive_file(path: Path) -> _FileLock:
    """A flock file one process of a host holds at a time (the feed poller's seat beside an
    embedded store: store.py)."""
    return _FileLock(path)
