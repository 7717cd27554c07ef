"""The store: Chroma, embedded (PersistentClient) or a server (HttpClient), the source of
truth; and this host's read copy of it (replica/), kept in step by every write.

Two collections: `<name>_chunks` (chunks.py: one record per chunk with its vector and its
sentences) and `<name>_articles`, the manifest (manifest.py: one record per article naming
the content hash whose chunks are current). A write goes: the new chunks (invisible), the
host's rows and chunk index, the manifest flip (one write; the rows' visible version moves
with it, under the rows' guard), then the old chunks' deletion. Readers never see an
article missing or doubled, and a run killed at any step is finished by running it again
(chunk ids are deterministic).

Writers hold the store's writer lock (coordination.py, locks.py) and bump the manifest's
generation after their writes; a reader's one step, `snapshot()`, brings what it reads up
to the current generation (snapshots.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from vectorstore.chroma.chunks import Chunks
from vectorstore.chroma.connection import Connection, location
from vectorstore.chroma.coordination import Coordinator, connect
from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION, check_format
from vectorstore.chroma.lease import Lease, Seat
from vectorstore.chroma.locks import StoreLock, WaitCallback, exclusive_file
from vectorstore.chroma.manifest import Manifest
from vectorstore.chroma.metadata import POLLER_LEASE_ID, ArticleWrite, write_rows
from vectorstore.chroma.reach import Reachability
from vectorstore.chroma.snapshots import Snapshot, Snapshots, mirror_manifest, replica_current
from vectorstore.errors import ModelMismatchError
from vectorstore.models import ArticleRecord, StoreStats
from vectorstore.replica.bm25_files import Bm25Files
from vectorstore.replica.chunk_index import ChunkIndex
from vectorstore.replica.rows import ChunkRows, rows_file
from vectorstore.settings import StoreSettings

log = logging.getLogger(__name__)

__all__ = ["ChromaStore"]

POLLER_LOCK = "poller.lock"  # beside an embedded store: the feed poller's seat (a flock)


@dataclass(frozen=True)
class _Opened:
    """The Chroma side of a store, once opened."""

    coord: Coordinator
    manifest: Manifest
    chunks: Chunks
    reach: Reachability | None


@dataclass(frozen=True)
class StoreParts:
    """A store's parts, for vectorstore/inspection.py (the reads of tests and benches): the
    host's rows and index as they are, the Chroma side opened only when it is read."""

    rows: ChunkRows
    index: ChunkIndex
    opened: Callable[[], _Opened]

    @property
    def coord(self) -> Coordinator:
        return self.opened().coord

    @property
    def chunks(self) -> Chunks:
        return self.opened().chunks

    @property
    def manifest(self) -> Manifest:
        return self.opened().manifest


class ChromaStore:
    """Articles and their chunks in Chroma, with the manifest that makes updates atomic.

    Chroma is opened (and chromadb imported) on first need: at once for a server, or when
    this host's replica is not known to be current (replica/mirror.py); a process that
    only answers from a current replica of an embedded store never opens it."""

    def __init__(self, settings: StoreSettings, model_name: str) -> None:
        self._settings = settings
        self._model_name = model_name
        self._location = location(settings)
        path = settings.data_dir / rows_file(settings)
        self._rows = ChunkRows(path)
        self._index = ChunkIndex(path.with_suffix(".usearch"), self._rows)
        self._bm25_files = Bm25Files(self._rows)
        self._opened: _Opened | None = None
        self._open_lock = threading.Lock()
        embedded = not settings.chroma_host
        opened = lambda: self._opened is not None  # noqa: E731
        self._snapshots = Snapshots(self._open, opened, self._rows, self._index, embedded)
        if not embedded or not self._replica_serves():
            self._open()

    def _open(self) -> _Opened:
        """Chroma, opened once (the embedded store's connection is shared by the process)."""
        with self._open_lock:
            if self._opened is None:
                coord = connect(self._settings, self._model_name)
                coord.read(lambda: self._check(coord))  # not while another thread swaps the connection
                max_batch = coord.read(lambda: coord.conn.client.get_max_batch_size())
                chunks, manifest = Chunks(coord, max(1, min(max_batch, 1000))), Manifest(coord)
                coord.sync()  # a connection this process opened before may be behind
                heartbeat = lambda: coord.conn.client.heartbeat()  # noqa: E731
                reach = Reachability(heartbeat, self._location) if self._settings.chroma_host else None
                self._opened = _Opened(coord, manifest, chunks, reach)
            return self._opened

    @property
    def _coord(self) -> Coordinator:
        return self._open().coord

    @property
    def _conn(self) -> Connection:
        return self._open().coord.conn

    @property
    def _manifest(self) -> Manifest:
        return self._open().manifest

    @property
    def _chunks(self) -> Chunks:
        return self._open().chunks

    def _replica_serves(self) -> bool:
        """True when this host's replica mirrors the manifest of a store of this format
        (an embedded store); refuses another model's store as Chroma's check would."""
        state = self._rows.mirror_state()
        if not replica_current(state):
            return False
        self._refuse_model(state.store.model)
        return True

    def _check(self, coord: Coordinator) -> None:
        """Refuse a format this version cannot read (an older one is migrated by its next
        writer: coordination.py) and another embedding model's store."""
        check_format(coord.conn.chunks, coord.conn.sentences, self._location)
        self._refuse_model((coord.conn.chunks.metadata or {}).get("embedding_model"))

    def _refuse_model(self, recorded: str | None) -> None:
        if recorded and recorded != self._model_name:
            raise ModelMismatchError(
                f"This store was built with the embedding model {recorded!r}, but "
                f"EMBEDDING_MODEL is {self._model_name!r}. Vectors from two models cannot "
                "be compared: use the same model, or a new NEWSDESK_DATA_DIR / "
                "CHROMA_COLLECTION for the new one and ingest again."
            )

    def check_dimension(self, dimension: int, record: bool = True) -> None:
        """Refuse a model whose dimension differs from the store's; a writer (`record`)
        records it on first use. A reader of a current replica checks its mirror."""
        mirrored = self._rows.mirror_state().store.dimension if self._opened is None else None
        if not record and mirrored == dimension:
            return
        recorded = self._coord.read(lambda: (self._conn.chunks.metadata or {}).get("dimension"))
        if recorded is None and record:
            with self._coord.write_scope():
                meta = dict(self._conn.chunks.metadata or {})
                meta.update({"dimension": dimension, FORMAT_KEY: FORMAT_VERSION})
                meta.setdefault("embedding_model", self._model_name)
                meta.pop("hnsw:space", None)
                self._conn.chunks.modify(metadata=meta)
        elif recorded is not None and int(recorded) != dimension:
            raise ModelMismatchError(
                f"This store holds {recorded}-dimensional vectors, but the model "
                f"{self._model_name!r} makes {dimension}-dimensional ones."
            )

    @property
    def location(self) -> str:
        return self._location

    @property
    def parts(self) -> StoreParts:
        """Its parts, for vectorstore/inspection.py only: what tests and benches read inside
        a store. The program goes through the methods here."""
        return StoreParts(self._rows, self._index, self._open)

    # -- reading ---------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The store as a question reads it, brought up to the current generation (the one
        step: snapshots.py)."""
        return self._snapshots.current()

    def records(self, ids: Sequence[str] | None = None) -> dict[str, ArticleRecord]:
        """Manifest records by article id, read now: all of them, or those of `ids` that exist."""
        return self._manifest.records(ids)

    def record(self, article_id: str) -> ArticleRecord:
        """One article's record; ArticleNotFoundError when there is none."""
        return self._manifest.record(article_id)

    def intact(self, records: Sequence[ArticleRecord]) -> set[str]:
        """The ids of the articles whose stored chunks are exactly those their record names."""
        return self._chunks.intact(records)

    def stats(self) -> StoreStats:
        records = self.records()
        dates = [r.date for r in records.values() if r.date]
        meta = self._coord.read(lambda: dict(self._conn.chunks.metadata or {}))
        dim = meta.get("dimension")
        return StoreStats(
            articles=len(records),
            chunks=sum(r.n_chunks for r in records.values()),
            embedding_model=str(meta.get("embedding_model", self._model_name)),
            dimension=int(dim) if dim is not None else None,
            location=self._location,
            newest_article_date=max(dates) if dates else None,
        )

    # -- many readers, one writer (coordination.py) -------------------------------------

    def writing(
        self, holder: str | None = None, wait: bool = True, on_wait: WaitCallback | None = None
    ) -> Any:
        """A context manager holding the store's writer lock: see Coordinator.writing."""
        return self._coord.writing(holder, wait, on_wait)

    def generation(self) -> str:
        """Changes whenever the content does (every writer's batch, every delete)."""
        return self._coord.generation()

    def bump_generation(self) -> None:
        """Make what this hold wrote so far visible to every reader's next snapshot."""
        self._coord.bump_generation()

    @property
    def writer_lock(self) -> StoreLock:
        return self._coord.lock

    def poller_seat(self, seconds: float) -> Seat:
        """The fleet's one feed poller (lease.py): a lease of `seconds` on a Chroma server,
        a flock beside an embedded store (the processes that share it share a host)."""
        if self._conn.embedded:
            return Seat(exclusive_file(self._conn.settings.data_dir / POLLER_LOCK), "feed poller")
        lease = Lease(self._conn.articles, POLLER_LEASE_ID, seconds, what="poller lease")
        return Seat(lease, "feed poller", lambda: lease.lost)

    # -- writing ---------------------------------------------------------------------

    def write_articles(self, writes: Sequence[ArticleWrite]) -> None:
        """Add the new chunks (with their sentences) and the host's rows, flip the manifest
        to them, drop the old ones.

        The records of many articles go in shared batches (Chroma writes 1,000 rows in one call
        much faster than in 12 calls of 80); each article still becomes visible only when
        its manifest record flips, after all its rows are written. Three writes, each under
        the load guard on its own (coordination.write_scope): between them, and while the
        host's rows and chunk index are written, a process may open the store.
        """
        rows = write_rows(writes)
        with self._coord.writing():
            with self._coord.write_scope():
                self._chunks.upsert(rows.chunks)
            self._rows.add(rows.host)
            self._index.bring_up()  # before the flip: found once visible (invisible till then)
            self._bm25_files.bring_up()
            with self._rows.guard(), self._coord.write_scope(new_write=False):  # LOCKS.md: the order
                self._index.catch_up()  # nothing left to add, unless a catch-up raced it
                self._coord.fence(verify=True)  # the flip makes them visible: this lease's still?
                self._mark_pending()  # the mirror is behind until the publish (mirror.py)
                records = self._manifest.flip(writes, self._coord.write_seq, self._coord.lock.fence)
                self._rows.publish(((w.article.id, w.article.hash) for w in writes), True, records)
                self._mirror_if_behind()
            with self._coord.write_scope(new_write=False):
                stored = self._chunks.ids_of([w.article.id for w in writes])
                for w, chunk_ids in zip(writes, rows.ids, strict=True):
                    self._chunks.delete(sorted(stored[w.article.id] - set(chunk_ids)))

    def delete_article(self, article_id: str) -> ArticleRecord:
        """Hide the article (manifest first), then remove its chunks (two writes)."""
        with self._coord.writing():
            record = self.record(article_id)
            with self._rows.guard(), self._coord.write_scope():
                self._coord.fence(verify=True)
                self._mark_pending()
                self._manifest.remove(article_id)
                self._rows.publish([(article_id, None)], True, {})
                self._mirror_if_behind()
            with self._coord.write_scope(new_write=False):
                self._chunks.delete(sorted(self._chunks.ids_of([article_id])[article_id]))
        return record

    def _mark_pending(self) -> None:
        if not self._settings.chroma_host:  # the mirror serves an embedded store's readers only
            self._rows.mark_pending()

    def _mirror_if_behind(self) -> None:
        """Under the rows' guard, after a publish to an embedded store: the whole manifest
        copied into the replica's mirror when it is not current (a new store, the first
        write of this version, a write of an older one): readers then answer without Chroma."""
        if not self._settings.chroma_host and not replica_current(self._rows.mirror_state()):
            mirror_manifest(self._coord, self._manifest, self._rows)

    # -- this process's hold on the store's memory (for tests and benchmarks) ---------------

    @property
    def holds_vectors(self) -> bool:
        """True when this process has loaded the vector collections (a write, a catch-up)."""
        return self._opened is not None and self._coord.holds_vectors

    def release(self) -> bool:
        """Let go of the vector collections this process loaded (Coordinator.release)."""
        return self._opened is not None and self._coord.release()

    def sync(self) -> bool:
        """Reopen an embedded store another process wrote to; True when done (or never opened)."""
        return self._opened is None or self._coord.sync()

    @property
    def busy(self) -> str | None:
        """Why the store cannot answer at once now (a reopen, a migration; a Chroma server
        that does not answer its heartbeat: reach.py), or None."""
        opened = self._opened
        if opened is None:
            return None  # answering from the replica: nothing of Chroma's to wait for
        busy = opened.coord.busy
        if busy is None and opened.reach is not None:
            return opened.reach.problem()
        return busy

    @property
    def reopens(self) -> int:
        """How many times this process reopened the store."""
        return 0 if self._opened is None else self._conn.reopens


def poller_seat(settings: StoreSettings, store: Callable[[], ChromaStore]) -> Seat:
    """The fleet's one feed poller: beside an embedded store a flock in the data dir (the
    store is not even opened), on a Chroma server a lease in its manifest (`store()`)."""
    if not settings.chroma_host:
        return Seat(exclusive_file(settings.data_dir / POLLER_LOCK), "feed poller")
    return store().poller_seat(settings.poller_lease_s)
