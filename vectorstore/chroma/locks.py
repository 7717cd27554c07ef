"""One writer at a time: the writer lock, held for a writer's whole run.

Embedded store: one `fcntl.flock` file, `<data dir>/writer.lock` (stdlib; the kernel
releases it when its holder dies, even by SIGKILL, so there is nothing to recover or
expire; the `filelock` package would add a dependency for the same call). A writer holds
it exclusively for its whole run and writes who it is (pid, host, command, since) into
it, for the message a second writer shows. Readers never take it: what keeps a process
from loading the store's files while a writer rewrites them is the load guard
(load_guard.py, `chroma.rwlock`), which a writer holds for each write, not for its run
(issue #24: a process started during an ingest answers from the published batches).
(Issue #20 had merged the two into `chroma.rwlock`, held for the whole run.)

Chroma server (CHROMA_HOST): processes on other machines cannot see a local file, so the
lock is a lease record in the manifest collection, renewed by a thread while it is held
and free once it expires (a writer killed with -9 blocks the next one for at most the
lease time). Chroma has no conditional write, so a writer takes the lease by writing its
token, waiting `settle` seconds and reading it back: a second writer that wrote in between
is seen, and the later token wins. Nothing guards a server's files: the server has them.

Both are held by a process as a whole (`ProcessHold`: the threads of a process join one
hold, once it is ready) and exclusive between processes.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

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


@dataclass(frozen=True)
class Holder:
    """Who holds the writer lock, as shown to a writer that has to wait."""

    holder: str
    pid: int
    host: str
    since: str

    @classmethod
    def me(cls, holder: str) -> Holder:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(holder, os.getpid(), socket.gethostname(), now)

    def describe(self) -> str:
        return f"{self.holder} (pid {self.pid} on {self.host}, since {self.since})"


def command_line() -> str:
    """This process's command, for the holder record."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200] or "python"


WaitCallback = Callable[[Holder | None], None]
Ready = Callable[[], None]


class _Exclusive(Protocol):
    def try_acquire(self, me: Holder) -> bool: ...
    def release(self) -> None: ...
    def current(self) -> Holder | None: ...


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

    def holder(self) -> Holder | None:
        return self._inner.current()

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
        fresh = self._enter(Holder.me(holder), wait, on_wait, ready)
        try:
            yield fresh
        finally:
            self._leave(done)

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


class _Lease:
    """A lease record in a Chroma collection, renewed while held."""

    def __init__(self, collection: Collection, seconds: float, settle: float) -> None:
        self._collection = collection
        self._seconds = seconds
        self._settle = settle
        self._token: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _read(self) -> dict[str, Any] | None:
        got = self._collection.get(ids=[LEASE_ID], include=["metadatas"])
        metas = got["metadatas"] or []
        return dict(metas[0]) if metas and metas[0] else None

    def _write(self, token: str, me: Holder) -> None:
        meta = {**asdict(me), "token": token, "expires": time.time() + self._seconds, "kind": "lease"}
        self._collection.upsert(ids=[LEASE_ID], embeddings=np.ones((1, 1), np.float32), metadatas=[meta])

    def try_acquire(self, me: Holder) -> bool:
        current = self._read()
        if current and current.get("token") and float(current.get("expires", 0)) > time.time():
            return False
        token = uuid.uuid4().hex
        self._write(token, me)
        time.sleep(self._settle)
        if (self._read() or {}).get("token") != token:
            return False
        self._token = token
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, args=(token, me), daemon=True)
        self._renewer.start()
        return True

    def _renew(self, token: str, me: Holder) -> None:
        while not self._stop.wait(self._seconds / 3):
            try:
                self._write(token, me)
            except Exception as exc:  # a server hiccup: the next renewal tries again
                log.warning("cannot renew the writer lease: %s", exc)

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        if self._token is not None and (self._read() or {}).get("token") == self._token:
            self._collection.upsert(
                ids=[LEASE_ID], embeddings=np.ones((1, 1), np.float32), metadatas=[{"kind": "lease"}]
            )
        self._token = None

    def current(self) -> Holder | None:
        meta = self._read()
        if not meta or not meta.get("token") or float(meta.get("expires", 0)) <= time.time():
            return None
        return Holder(str(meta["holder"]), int(meta["pid"]), str(meta["host"]), str(meta["since"]))


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

    @property
    def held_here(self) -> bool:
        return self._process.held_here


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
        super().__init__(key, lambda: _Lease(collection, seconds, settle))
