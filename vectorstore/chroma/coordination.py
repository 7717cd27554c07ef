"""Many readers, one writer: the writer lock, the manifest's two markers, and reopening an
embedded store that another process wrote to.

- `__generation__` moves after every change of content (a writer's batch, a delete):
  readers compare it with the generation their snapshot and their vector indexes hold.
- `__write_epoch__` moves before a writer's first write: the next writer to take the lock
  reloads if it moved since this process's indexes were loaded, even when the last writer
  was killed before it could move the generation. It also numbers the writes (`seq`,
  moved by every write call); the manifest records a write adds carry its number
  (`wseq`), so a reader re-reads only the records written since its snapshot
  (snapshots.py). A writer must never add rows to a stale in-memory HNSW index: Chroma
  persists that index whole, and would drop the rows the other writer added.

One Coordinator per connection: per store and process for the embedded store (`connect`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

import numpy as np

from common.per_process import PerProcess
from vectorstore.chroma.connection import EF_SEARCH, Connection, location
from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION, recorded_version
from vectorstore.chroma.lease import LeaseLostError, check_fence
from vectorstore.chroma.load_guard import LoadGuard
from vectorstore.chroma.locks import LeaseLock, StoreLock, WaitCallback, WriterLock, command_line
from vectorstore.chroma.metadata import GENERATION_ID, WRITE_EPOCH_ID
from vectorstore.chroma.migrate import drop_sentences, move_sentences
from vectorstore.errors import StoreUnavailableError
from vectorstore.settings import StoreSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
_MARKER_VECTOR = np.ones((1, 1), dtype=np.float32)  # Chroma needs a vector for every record


class Coordinator:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        settings = conn.settings
        self.lock: StoreLock = (
            LeaseLock(conn.articles, _key(settings), settings.writer_lease_s)
            if settings.chroma_host
            else WriterLock(settings.data_dir)
        )
        # the embedded store's files, held by each write (load_guard.py); a server has its own
        self._guard: Callable[[], AbstractContextManager[object]] = (
            nullcontext if settings.chroma_host else LoadGuard.of(settings.data_dir).writing
        )
        self._marked = self._dirty = False  # this hold has moved the epoch / has written
        self._migrating = False
        self.write_seq = 0  # the number of this process's last write call
        # conn.known_generation / known_epoch were read when its indexes were loaded

    # -- readers ---------------------------------------------------------------------------

    def read(self, fn: Callable[[], T]) -> T:
        """A read of the collections, retried once after a reopen when Chroma's in-memory
        index is behind the rows another process committed (InternalError "Error finding
        id"). Every read and write of the collections passes the gate here (gate.py)."""
        from chromadb.errors import ChromaError

        if self.conn.broken and not self._reopen_from_read():  # a reopen failed half-way
            raise StoreUnavailableError("The store is being reopened or written; try again in a moment.")
        try:
            with self.conn.gate.shared():  # a swap of the index waits for it, and it for a swap
                return fn()
        except ChromaError as exc:
            if not self.conn.embedded or not self._reopen_from_read():
                raise  # a reopen under way, or a read in a read: the caller does without
            log.info("store read failed (%s); reopened, retrying once", exc)
            with self.conn.gate.shared():
                return fn()

    def _reopen_from_read(self) -> bool:
        """Reopen the embedded store for a read that cannot go on with what is loaded (its
        index is behind, or a reopen failed half-way, a full disk say, and left stopped
        collections). False when this thread is inside a read, another reopen is under
        way, or a writer runs."""
        return not self.conn.gate.reading() and self.conn.reopen(None, wait=False)

    def needs_reopen(self, generation: str) -> bool:
        """True when this process's vector indexes are behind `generation` (embedded)."""
        return self.conn.embedded and generation != self.conn.known_generation

    def sync(self, generation: str | None = None) -> bool:
        """Make this process's vector indexes hold `generation` (the current one by
        default): reopen an embedded store another process wrote to. False when that has
        to wait because a writer is running (locks.py): keep what is loaded."""
        generation = generation or self.generation()
        if not self.needs_reopen(generation):
            return True
        return self.conn.reopen(generation)

    def generation(self) -> str:
        return self._marker(GENERATION_ID)

    def bump_generation(self) -> None:
        self.fence(verify=True)
        with self._guard():  # a write of the manifest collection (load_guard.py)
            self.conn.known_generation = self._set_marker(GENERATION_ID)  # it holds its own writes
        self._dirty = False

    def fence(self, verify: bool = False) -> None:
        """Before a write: LeaseLostError when this process's writer lease (a Chroma server)
        was taken over or ran out; `verify` reads the lease record back (lease.py)."""
        self.lock.check(verify)

    @property
    def holds_vectors(self) -> bool:
        """True when this process has loaded the vector collections (a write, a catch-up)."""
        return bool(self.conn.embedded and self.conn.vectors_loaded)

    def release(self) -> bool:
        """Let go of the vector collections this process loaded (an embedded store: a
        write or a catch-up read them; answering reads the manifest only, connection.py).
        Not while this process writes, inside a read, while another thread reopens, or
        while another process writes: False then, and nothing changed."""
        if not self.holds_vectors or self.lock.held_here or self.conn.gate.reading():
            return False
        return self.conn.reopen(self.conn.known_generation, wait=False)

    # -- writers ---------------------------------------------------------------------------

    def writing(
        self, holder: str | None = None, wait: bool = True, on_wait: WaitCallback | None = None
    ) -> Any:
        """A context manager holding the writer lock (re-entrant in the process). A second
        writer waits (`on_wait` is called once with who holds it; by default a logged
        warning) or, with wait=False, gets StoreBusyError naming the holder. Taking it
        reopens an embedded store if another writer started writing since this process
        loaded its indexes; the last thread to leave it moves the generation if the hold
        wrote."""
        return self.lock.hold(holder or command_line(), wait, on_wait, self._ready, self._done)

    def _ready(self) -> None:
        """The first thread of a hold, under the lock, before any other thread joins it: a
        write to a stale in-memory index would be persisted whole. Under the gate's turn:
        a reader's reopen under way in this process ends first, and none starts during the
        hold (Connection.reopen)."""
        with self.conn.gate.turn(wait=True):
            epoch = self._marker(WRITE_EPOCH_ID)
            if epoch != self.conn.known_epoch:
                with self._guard():  # stopping the old System may write its files
                    self.conn.reopen(self.generation(), guarded=True)
                self.conn.known_epoch = epoch
        self._marked = self._dirty = False

    def _done(self) -> None:
        if not self._dirty:
            return
        try:
            self.bump_generation()
        except LeaseLostError:  # the lease's new holder moves the generation after its writes
            log.warning("the writer lease was lost: the generation is left to its new holder")

    @contextmanager
    def write_scope(self, new_write: bool = True) -> Iterator[None]:
        """Around every write: the writer lock (taken here if the caller did not), then
        the load guard (load_guard.py: no process opens the embedded store's files until
        this write is done; held for this write only, never between two); the write epoch
        moved with the next write number (`seq`: the manifest records written here carry
        it, or the same number for a later step of the same write: `new_write` False, a
        batch's flip and deletion after its chunks); before the first write of a hold, an older
        store migrated to format 4. The write itself is a read of the gate's (gate.py):
        another thread's swap of the index (a reader's reopen) waits for it, and it for
        the swap."""
        with self.writing(), self._guard(), self.conn.gate.shared():
            self.fence(verify=True)  # a writer whose lease was taken over writes nothing more
            first = not self._marked
            if first:  # the last number is read once a hold: no one else writes during it
                epoch = self.marker_meta(WRITE_EPOCH_ID)
                check_fence(self.lock.fence, self.lock.fence_token, epoch)  # no later hold wrote
                self.write_seq = int(epoch.get("seq") or 0)
                self._marked = True
            if first or new_write:
                self.write_seq += 1
            # every step moves the epoch's value (its number only with a new write): a process
            # that opened the store between two steps of one write is not up to date after it
            self.conn.known_epoch = self._set_marker(WRITE_EPOCH_ID, seq=self.write_seq, fenced=True)
            self._dirty = self.conn.vectors_loaded = True
            if first and recorded_version(self.conn.chunks) != FORMAT_VERSION:
                self._migrate()  # after the epoch moved: cut off here, the next writer reloads
            yield

    @property
    def busy(self) -> str | None:
        """What keeps this process's store from answering at once now (a health check's
        reason), or None."""
        if self._migrating:
            return f"migrating the store to format {FORMAT_VERSION}"
        if self.conn.broken or self.conn.gate.swap_asked():
            return "reopening the store"
        return None

    def _migrate(self) -> None:
        self._migrating = True
        try:
            self._migrate_to_current()
        finally:
            self._migrating = False

    def _migrate_to_current(self) -> None:
        """Format 1-4 -> 5 (format.py): every chunk given its sentences with their furniture
        flags in its metadata (from the sentence collection, dropped afterwards, for 1-3;
        the flags read from each chunk's text for 4: migrate.py), then the version and
        this version's ef_search recorded."""
        conn = self.conn
        chunks = conn.chunks
        move_sentences(chunks, conn.sentences)
        if conn.sentences is not None:
            drop_sentences(conn.client, f"{conn.settings.chroma_collection}_sentences")
            conn.sentences = None
        meta = {**(chunks.metadata or {}), FORMAT_KEY: FORMAT_VERSION}
        meta.pop("hnsw:space", None)
        chunks.modify(metadata=meta)
        chunks.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        log.info("store %s: stamped format %d", location(conn.settings), FORMAT_VERSION)

    # -- the markers -----------------------------------------------------------------------

    def epoch_seq(self) -> int:
        """The number of the last write (0: none recorded, a store written before writes
        were numbered)."""
        return int(self.marker_meta(WRITE_EPOCH_ID).get("seq") or 0)

    def _marker(self, key: str) -> str:
        return str(self.marker_meta(key).get("value", "empty"))

    def marker_meta(self, key: str) -> dict[str, Any]:
        """A marker record's metadata ({} when it was never written)."""
        got = self.read(lambda: self.conn.articles.get(ids=[key], include=["metadatas"]))
        metas = got["metadatas"] or []
        return dict(metas[0]) if metas and metas[0] else {}

    def _set_marker(self, key: str, seq: int | None = None, fenced: bool = False) -> str:
        value = uuid.uuid4().hex
        meta: dict[str, Any] = {"value": value, "kind": "marker"}
        if seq is not None:
            meta["seq"] = seq
        if fenced and self.lock.fence:  # the writer lease's hold (lease.py), unique with its token
            meta["fence"], meta["fence_token"] = self.lock.fence, self.lock.fence_token
        self.read(lambda: self.conn.articles.upsert(ids=[key], embeddings=_MARKER_VECTOR, metadatas=[meta]))  # type: ignore[list-item]
        return value


def _key(settings: StoreSettings) -> str:
    return f"{location(settings)}|{settings.chroma_collection}"


_SHARED: PerProcess[str, Coordinator] = PerProcess()


def connect(settings: StoreSettings, model_name: str) -> Coordinator:
    """The process's coordinator (and connection) of an embedded store, shared by every
    ChromaStore of the process; a new one for a server, which keeps one index for all its
    clients."""
    if settings.chroma_host:
        conn = Connection(settings, model_name, embedded=False)
        conn.open()
        return Coordinator(conn)

    def make() -> Coordinator:
        conn = Connection(settings, model_name, embedded=True)
        conn.open()
        return Coordinator(conn)

    return _SHARED.get(_key(settings), make, lambda shared: shared.conn.model_name == model_name)
