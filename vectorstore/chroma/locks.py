"""One writer at a time: a cross-process lock for the embedded store, a lease for a server.

Embedded store: `fcntl.flock` on `<data dir>/writer.lock` (stdlib; the kernel releases
the lock when its holder dies, even by SIGKILL, so there is nothing to recover or expire;
the `filelock` package would add a dependency for the same call). Who holds it (pid,
host, command, since) is written into the file for the message a second writer shows.

Chroma server (CHROMA_HOST): processes on other machines cannot see a local file, so the
lock is a lease record in the manifest collection, renewed by a thread while it is held
and free once it expires (a writer killed with -9 blocks the next one for at most the
lease time). Chroma has no conditional write, so a writer takes the lease by writing its
token, waiting `settle` seconds and reading it back: a second writer that wrote in between
is seen, and the later token wins.

Both are held by a process as a whole (re-entered by its threads) and exclusive between
processes.
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
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from vectorstore.chroma.metadata import LEASE_ID
from vectorstore.errors import StoreBusyError

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

LOCK_FILE = "writer.lock"
POLL_SECONDS = 0.2


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


class _Exclusive(Protocol):
    def try_acquire(self, me: Holder) -> bool: ...
    def release(self) -> None: ...
    def current(self) -> Holder | None: ...


class _Reentrant:
    """Held by a process: re-entered by any of its threads (an ingest run hands its writes
    to a writer thread; the bot's /ingest and feed poller share one Chroma System, so
    their writes cannot make each other's vector index stale), exclusive between processes."""

    def __init__(self, inner: _Exclusive) -> None:
        self._inner = inner
        self._cond = threading.Condition()
        self._depth = 0
        self._acquiring = False

    @property
    def held_here(self) -> bool:
        """True while this process holds the lock."""
        with self._cond:
            return self._depth > 0

    def holder(self) -> Holder | None:
        return self._inner.current()

    @contextmanager
    def hold(self, holder: str, wait: bool = True, on_wait: WaitCallback | None = None) -> Iterator[bool]:
        """Hold the lock; yields True when this call took it (False when it was already
        held by this process). Raises StoreBusyError when another process holds it and
        `wait` is False."""
        fresh = self._enter(Holder.me(holder), wait, on_wait)
        try:
            yield fresh
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._inner.release()

    def _enter(self, me: Holder, wait: bool, on_wait: WaitCallback | None) -> bool:
        with self._cond:
            while self._acquiring:
                self._cond.wait()
            if self._depth > 0:
                self._depth += 1
                return False
            self._acquiring = True
        taken = False
        try:
            self._acquire(me, wait, on_wait)
            taken = True
        finally:
            with self._cond:
                self._acquiring = False
                self._depth += int(taken)
                self._cond.notify_all()
        return True

    def _acquire(self, me: Holder, wait: bool, on_wait: WaitCallback | None) -> None:
        told = False
        while not self._inner.try_acquire(me):
            other = self._inner.current()
            if not wait:
                raise StoreBusyError(busy_text(other))
            if not told:
                (on_wait or _log_wait)(other)
                told = True
            time.sleep(POLL_SECONDS)


def busy_text(other: Holder | None) -> str:
    who = other.describe() if other else "another process"
    return f"The store is being written by {who}. Try again when it has finished."


def _log_wait(other: Holder | None) -> None:
    who = other.describe() if other else "another writer"
    log.warning("waiting for the store: it is being written by %s", who)


class _FileLock:
    """fcntl.flock on a file in the data dir; the file also says who holds it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def try_acquire(self, me: Holder) -> bool:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
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
        try:
            return Holder(**json.loads(self._path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None


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


_LOCKS: dict[str, _Reentrant] = {}
_REGISTRY_LOCK = threading.Lock()


class WriterLock:
    """The embedded store's writer lock: one per data dir and process.

    with WriterLock(data_dir).hold("newsdesk ingest", wait=False):
        ...  # raises StoreBusyError naming the holder when another process writes
    """

    def __init__(self, data_dir: Path) -> None:
        path = (data_dir / LOCK_FILE).resolve()
        self._lock = _shared(str(path), lambda: _FileLock(path))

    def hold(self, holder: str, wait: bool = True, on_wait: WaitCallback | None = None) -> Any:
        """A context manager holding the lock (see _Reentrant.hold)."""
        return self._lock.hold(holder, wait, on_wait)

    def holder(self) -> Holder | None:
        """Who holds it now (None when free)."""
        return self._lock.holder()

    @property
    def held_here(self) -> bool:
        return self._lock.held_here


class LeaseLock(WriterLock):
    """The writer lock of a Chroma server: a lease record in the manifest collection."""

    def __init__(self, collection: Collection, key: str, seconds: float = 30.0, settle: float = 0.5) -> None:
        self._lock = _shared(key, lambda: _Lease(collection, seconds, settle))


def _shared(key: str, make: Callable[[], _Exclusive]) -> _Reentrant:
    """One lock per store and process, whichever object asks for it."""
    with _REGISTRY_LOCK:
        if key not in _LOCKS:
            _LOCKS[key] = _Reentrant(make())
        return _LOCKS[key]


READ_GUARD_FILE = "chroma.rwlock"


class LoadGuard:
    """Loading an embedded store's files never overlaps a writer's run.

    Chroma persists its HNSW indexes from the writer's memory while it writes; a process
    that opens the store meanwhile reads files that are being rewritten (seen: a store
    read in the middle of a long run of writes made every new client segfault in
    `count()`). So a writer holds this file exclusively (flock LOCK_EX) for its whole run,
    and a reader opens or reopens the store only under a shared lock (LOCK_SH): a new
    process waits for the running writer; a running reader that cannot get it keeps
    answering from what it has loaded and tries again at its next question.
    """

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / READ_GUARD_FILE

    @contextmanager
    def _flock(self, mode: int) -> Iterator[bool]:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, mode)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the flock

    def shared(self, wait: bool) -> Any:
        """A context manager yielding whether the shared lock was taken."""
        return self._flock(fcntl.LOCK_SH if wait else fcntl.LOCK_SH | fcntl.LOCK_NB)

    def exclusive(self) -> Any:
        return self._flock(fcntl.LOCK_EX)
