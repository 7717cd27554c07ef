"""Many readers, one writer: the writer lock, the manifest's two markers, and reopening an
embedded store that another process wrote to.

- `__generation__` moves after every change of content (a writer's batch, a delete):
  readers compare it with the generation their snapshot and their vector indexes hold.
- `__write_epoch__` moves before a writer's first write: the next writer to take the lock
  reloads if it moved since this process's indexes were loaded, even when the last writer
  was killed before it could move the generation. It also numbers the writes (`seq`,
  moved by every write call); the manifest records a write adds carry its number
  (`wseq`), so a reader re-reads only the records written since its snapshot
  (retrieval.py). A writer must never add rows to a
  stale in-memory HNSW index: Chroma persists that index whole, and would drop the rows
  the other writer added.

One Coordinator per connection (per store and process for the embedded store).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from typing import Any, TypeVar

import numpy as np

from vectorstore.chroma.connection import EF_SEARCH, Connection, location
from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION
from vectorstore.chroma.locks import LeaseLock, LoadGuard, WaitCallback, WriterLock, busy_text, command_line
from vectorstore.chroma.metadata import GENERATION_ID, WRITE_EPOCH_ID
from vectorstore.chroma.migrate import drop_sentences, move_sentences
from vectorstore.errors import StoreBusyError, StoreUnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")
JOIN_WAIT_S = 5.0  # how long a writer that must not wait waits for another thread's hold to get ready
_MARKER_VECTOR = np.ones((1, 1), dtype=np.float32)  # Chroma needs a vector for every record


class Coordinator:
    def __init__(self, conn: Connection, stamp: bool) -> None:
        self._conn = conn
        self._stamp = stamp  # a store older than format 4, migrated by its next writer (format.py)
        settings = conn.settings
        key = f"{location(settings)}|{settings.chroma_collection}"
        self.lock: WriterLock = (
            LeaseLock(conn.articles, key, settings.writer_lease_s)
            if settings.chroma_host
            else WriterLock(settings.data_dir)
        )
        self._marked = self._dirty = False  # this hold has moved the epoch / has written
        self.write_seq = 0  # the number of this process's last write call
        self._entry = threading.RLock()  # taking a hold and getting it ready, one thread at a time
        # conn.known_generation / known_epoch were read when its indexes were loaded

    # -- readers ---------------------------------------------------------------------------

    def read(self, fn: Callable[[], T]) -> T:
        """A read, retried once after a reopen when Chroma's in-memory index is behind the
        rows another process committed (InternalError "Error finding id")."""
        from chromadb.errors import ChromaError

        if self._conn.broken and not self._reopen_from_read():  # a reopen failed half-way
            raise StoreUnavailableError("The store is being reopened or written; try again in a moment.")
        try:
            with self._conn.gate.shared():  # a swap of the index waits for it, and it for a swap
                return fn()
        except ChromaError as exc:
            if not self._conn.embedded or not self._reopen_from_read():
                raise  # a reopen under way (retrieval.py), or a read in a read: the caller does without
            log.info("store read failed (%s); reopened, retrying once", exc)
            with self._conn.gate.shared():
                return fn()

    def _reopen_from_read(self) -> bool:
        """Reopen the embedded store for a read that cannot go on with what is loaded (its
        index is behind, or a reopen failed half-way, a full disk say, and left stopped
        collections). False when this thread is inside a read, another reopen is under
        way, or a writer runs."""
        conn = self._conn
        if conn.gate.reading() or not conn.lock.acquire(blocking=False):
            return False
        try:
            return conn.reopen(None)
        finally:
            conn.lock.release()

    def needs_reopen(self, generation: str) -> bool:
        """True when this process's vector indexes are behind `generation` (embedded)."""
        return self._conn.embedded and generation != self._conn.known_generation

    def sync(self, generation: str | None = None) -> bool:
        """Make this process's vector indexes hold `generation` (the current one by
        default): reopen an embedded store another process wrote to. False when that has
        to wait because a writer is running (lock.LoadGuard): keep what is loaded."""
        generation = generation or self.generation()
        if not self._conn.embedded or generation == self._conn.known_generation:
            return True
        return self._conn.reopen(generation)

    def generation(self) -> str:
        return self._marker(GENERATION_ID)

    def bump_generation(self) -> None:
        self._conn.known_generation = self._set_marker(GENERATION_ID)  # it holds its own writes
        self._dirty = False

    # -- writers ---------------------------------------------------------------------------

    @contextmanager
    def writing(
        self, holder: str | None = None, wait: bool = True, on_wait: WaitCallback | None = None
    ) -> Iterator[None]:
        """Hold the writer lock (re-entrant in the process). A second writer waits
        (`on_wait` is called once with who holds it; by default a logged warning) or, with
        wait=False, gets StoreBusyError naming the holder. Taking it reopens an embedded
        store if another writer started writing since this process loaded its indexes."""
        with ExitStack() as held:
            if not self._entry.acquire(timeout=-1 if wait else JOIN_WAIT_S):
                raise StoreBusyError(busy_text(self.lock.holder()))
            try:  # one thread at a time takes the hold and gets it ready: no other thread
                fresh = held.enter_context(self.lock.hold(holder or command_line(), wait, on_wait))
                held.enter_context(self._guard(fresh))
                if fresh:  # joins it before the indexes are synced (a write to a stale
                    self._sync_for_write()  # in-memory index would be persisted whole)
            finally:
                self._entry.release()
            try:
                yield
            finally:
                if fresh and self._dirty:
                    self.bump_generation()

    def release(self) -> bool:
        """Let go of the vector collections this process loaded (an embedded store: a
        write or a catch-up read them; answering reads the manifest only, connection.py).
        Not while this process writes, inside a read, or while another process writes
        (the load guard): False then, and nothing changed."""
        conn = self._conn
        if not (conn.embedded and conn.vectors_loaded) or self.lock.held_here or conn.gate.reading():
            return False
        if not conn.lock.acquire(blocking=False):
            return False
        try:
            return conn.reopen(conn.known_generation)
        finally:
            conn.lock.release()

    def _guard(self, fresh: bool) -> Any:
        """The load guard, exclusively, for a writer's whole run (embedded store)."""
        if fresh and self._conn.embedded:
            return LoadGuard(self._conn.settings.data_dir).exclusive()
        return nullcontext()

    def _sync_for_write(self) -> None:
        epoch = self._marker(WRITE_EPOCH_ID)
        if epoch != self._conn.known_epoch:
            self._conn.reopen(self.generation(), guarded=True)
            self._conn.known_epoch = epoch
        self._marked = self._dirty = False

    @contextmanager
    def write_scope(self) -> Iterator[None]:
        """Around every write: the lock (taken here if the caller did not); the write epoch
        moved with the next write number (`seq`: the manifest records written here carry
        it); before the first write of a hold, an older store migrated to format 4. The write
        itself is a read of the gate's (gate.py): another thread's swap of the index
        (a writer joining this hold, a reader's reopen) waits for it, and it for the swap."""
        with self.writing(), self._conn.gate.shared():
            first = not self._marked
            if first:  # the last number is read once a hold: no one else writes during it
                self.write_seq = self.epoch_seq()
                self._marked = True
            self.write_seq += 1
            self._conn.known_epoch = self._set_marker(WRITE_EPOCH_ID, seq=self.write_seq)
            self._dirty = self._conn.vectors_loaded = True
            if first and self._stamp:  # after the epoch moved: cut off here, the next writer reloads
                self._migrate()
            yield

    def _migrate(self) -> None:
        """Format 1, 2 or 3 -> 4 (format.py): the sentences moved into their chunks'
        metadata and their collection dropped (migrate.py), then the version and this
        version's ef_search recorded."""
        conn = self._conn
        chunks = conn.chunks
        if conn.sentences is not None:
            move_sentences(chunks, conn.sentences)
            drop_sentences(conn.client, f"{conn.settings.chroma_collection}_sentences")
            conn.sentences = None
        meta = {**(chunks.metadata or {}), FORMAT_KEY: FORMAT_VERSION}
        meta.pop("hnsw:space", None)
        chunks.modify(metadata=meta)
        chunks.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        self._stamp = False
        log.info("store %s: stamped format %d", location(conn.settings), FORMAT_VERSION)

    # -- the markers -----------------------------------------------------------------------

    def epoch_seq(self) -> int:
        """The number of the last write (0: none recorded, a store written before writes
        were numbered)."""
        return int(self._marker_meta(WRITE_EPOCH_ID).get("seq") or 0)

    def _marker(self, key: str) -> str:
        return str(self._marker_meta(key).get("value", "empty"))

    def _marker_meta(self, key: str) -> dict[str, Any]:
        got = self.read(lambda: self._conn.articles.get(ids=[key], include=["metadatas"]))
        metas = got["metadatas"] or []
        return dict(metas[0]) if metas and metas[0] else {}

    def _set_marker(self, key: str, seq: int | None = None) -> str:
        value = uuid.uuid4().hex
        meta: dict[str, Any] = {"value": value, "kind": "marker"}
        if seq is not None:
            meta["seq"] = seq
        with self._conn.gate.shared():  # not while another thread swaps the collections
            self._conn.articles.upsert(ids=[key], embeddings=_MARKER_VECTOR, metadatas=[meta])  # type: ignore[list-item]
        return value


def coordinator(conn: Connection, stamp: bool) -> Coordinator:
    """The connection's coordinator, made on first use (shared like the connection)."""
    with conn.lock:
        if conn.coordinator is None:
            conn.coordinator = Coordinator(conn, stamp)
        elif stamp:  # opened again and found older than this version: stamp it too
            conn.coordinator._stamp = True
        return conn.coordinator  # type: ignore[no-any-return]
