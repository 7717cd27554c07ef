"""What a question reads: the store at one generation, brought up to date in one step
(`Snapshots.current`).

A snapshot holds the manifest's records (metadata, no texts) and reads this host's copy
(replica/): the rows, the chunk index and the BM25 replica. When the generation moves (a
writer, in this process or another) `current()` re-reads what changed in the manifest,
brings the host's rows and chunk index up to it (a no-op when a writer on this host
already did: replica/catch_up.py), applies the new rows to the BM25 replica, and has an
embedded store another process wrote to reopened (its manifest collection only: answering
never loads Chroma's vector collections). That reopen, letting go of vector collections a
write or a catch-up loaded, and rebuilding a lost or damaged chunk index run on background
threads, off the question path; questions go on with what they have meanwhile (the swap
itself holds them back for a moment, gate.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from common.lock_order import LockRank, ranked
from vectorstore.chroma.chunks import Chunks
from vectorstore.chroma.coordination import Coordinator
from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION
from vectorstore.chroma.manifest import Manifest
from vectorstore.models import ArticleRecord
from vectorstore.replica.bm25 import LiveBM25, Visible
from vectorstore.replica.catch_up import catch_up
from vectorstore.replica.chunk_index import ChunkIndex
from vectorstore.replica.dense import DenseSearch
from vectorstore.replica.mirror import MirrorState, Records, StoreMeta
from vectorstore.replica.passages import PassageRow
from vectorstore.replica.rows import ChunkRows, StoredPassage, StoredRow

log = logging.getLogger(__name__)

Admits = Callable[[ArticleRecord], bool]


@dataclass
class Snapshot:
    """The store as one generation shows it. The BM25 replica is shared by the snapshots:
    it may hold rows a writer added since (searches say which versions are visible)."""

    generation: str
    records: Mapping[str, ArticleRecord]  # from the mirror: decoded as read (mirror.Records)
    seq: int  # the write number when read (Coordinator.epoch_seq)
    _rows: ChunkRows = field(repr=False)
    _bm25: LiveBM25 = field(repr=False)
    _dense: DenseSearch = field(repr=False)
    mirrored: int = 0  # read from the replica's mirror: its version (0: from Chroma)
    _chunks: int | None = field(default=None, repr=False)
    _shares: dict[Hashable, tuple[float, list[str]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def chunks(self) -> int:
        """The chunks of the records, counted when first asked for (filters do: it reads
        every record)."""
        if self._chunks is None:
            self._chunks = sum(r.n_chunks for r in self.records.values())
        return self._chunks

    def idf(self, token: str) -> float:
        """Inverse document frequency of a word over the rows (replica/bm25.py)."""
        return self._bm25.idf(token)

    def search_words(self, question: str, k: int, visible: Visible) -> list[tuple[StoredRow, float]]:
        """BM25: the best k visible rows, best first."""
        return self._bm25.search(question, k, visible)

    def search_vectors(
        self, vector: np.ndarray, visible: Visible, among: Sequence[str] | None, share: float
    ) -> list[tuple[StoredRow, float]]:
        """Dense search (replica/dense.py): rows by their sentence closest to `vector`."""
        return self._dense.search(vector, visible, among, share)

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, StoredPassage]:
        """The rows of these chunks (text, offsets, sentences), by chunk id."""
        return self._rows.passages(chunk_ids)

    def openings(self, records: Sequence[ArticleRecord]) -> dict[str, StoredPassage]:
        """The first chunk of each of these articles' visible version, by article id."""
        return self._rows.openings([(r.id, r.hash) for r in records])

    def admitted(self, key: Hashable, admits: Admits) -> tuple[float, list[str]]:
        """(the share of chunks, the ids of the articles) that `admits` lets through, once
        per snapshot and `key` (a server's questions all carry the same filters)."""
        with self._lock:
            cached = self._shares.get(key)
        if cached is not None:
            return cached
        ids = [a for a, r in self.records.items() if admits(r)]
        admitted = sum(self.records[a].n_chunks for a in ids)
        found = (admitted / self.chunks if self.chunks else 0.0, ids)
        with self._lock:
            if len(self._shares) >= 256:
                self._shares.clear()
            self._shares[key] = found
        return found


class ChromaSide(Protocol):
    """The Chroma side of a store, opened on first need (store.py)."""

    @property
    def coord(self) -> Coordinator: ...

    @property
    def manifest(self) -> Manifest: ...

    @property
    def chunks(self) -> Chunks: ...


def replica_current(state: MirrorState) -> bool:
    """The host's replica mirrors the manifest of a store of this format (mirror.py)."""
    return state.current and state.store.format == FORMAT_VERSION


def mirror_manifest(coord: Coordinator, manifest: Manifest, rows: ChunkRows) -> bool:
    """Copy the whole manifest into the replica's mirror, under the rows' guard (no writer
    changes the manifest meanwhile); False, and nothing copied, when the rows' visible
    versions are not the manifest's (a catch-up comes first). The caller holds the guard
    when `rows.guard` is not re-entered here: a writer after its publish."""
    records = manifest.records()
    stale, gone = rows.behind({a: r.hash for a, r in records.items()})
    if stale or gone:
        return False
    meta = coord.read(lambda: dict(coord.conn.chunks.metadata or {}))
    rows.mirror_all(
        records,
        StoreMeta(meta.get("embedding_model"), _int(meta.get("dimension")), _int(meta.get(FORMAT_KEY))),
    )
    return True


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


class Snapshots:
    """The current snapshot of one store, and its upkeep."""

    def __init__(
        self,
        side: Callable[[], ChromaSide],
        opened: Callable[[], bool],
        rows: ChunkRows,
        index: ChunkIndex,
        embedded: bool,
    ) -> None:
        self._side = side
        self._opened = opened
        self._embedded = embedded
        self._rows = rows
        self._index = index
        self._bm25 = LiveBM25(rows)
        self._dense = DenseSearch(rows, index)
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._refreshing = False
        self._tidying = False

    @property
    def _coord(self) -> Coordinator:
        return self._side().coord

    @property
    def _manifest(self) -> Manifest:
        return self._side().manifest

    @property
    def _chunks(self) -> Chunks:
        return self._side().chunks

    def current(self) -> Snapshot:
        """The snapshot of the current generation. An embedded store whose replica is
        current (mirror.py) is read from the replica alone, Chroma never opened. Otherwise:
        at once after this process's own writes (or on a server); after another process
        wrote to an embedded store, on a background thread (the manifest, the host's rows
        and chunk index, then the manifest collection reopened), while this returns what
        it has; an embedded store's mirror is copied again once this process has caught up."""
        replica = self._from_replica() if self._embedded else None
        if replica is not None:
            self._upkeep()
            return replica
        generation = self._coord.generation()
        with ranked(LockRank.SNAPSHOT), self._lock:
            current = self._snapshot
            if current is None or current.mirrored:
                self._coord.sync(generation)
                current = self._snapshot = self._load(generation)
                if self._embedded:
                    with self._rows.guard():
                        mirror_manifest(self._coord, self._manifest, self._rows)
            elif current.generation != generation and not self._coord.needs_reopen(generation):
                current = self._snapshot = self._load(generation)
            if self._coord.needs_reopen(generation) and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, args=(generation,), daemon=True).start()
        self._upkeep()
        return current

    def _from_replica(self) -> Snapshot | None:
        """The snapshot read from a current replica (records changed since the last one
        read, then the rows' BM25 and chunk index brought up); None when it is not current."""
        with self._lock:
            previous = self._snapshot
            since = previous.mirrored if previous is not None else 0
            state, changed, removed = self._rows.mirrored(since)
            if not replica_current(state):
                return None
            if previous is not None and previous.mirrored == state.version:
                return previous
            kept = previous.records if previous is not None and since else None
            records = kept.updated(changed, removed) if isinstance(kept, Records) else Records(changed)
            self._snapshot = self._build(f"replica {state.version}", records, 0, state.version)
            return self._snapshot

    def _upkeep(self) -> None:
        if not self._tidying and self._untidy():
            self._tidying = True
            threading.Thread(target=self._tidy, daemon=True).start()

    def _untidy(self) -> bool:
        index = self._index
        holds = self._opened() and self._coord.holds_vectors
        return holds or index.damaged or (index.missing and len(self._bm25) > 0)

    def _tidy(self) -> None:
        """Let go of the vector collections a write or a catch-up in this process loaded
        (Coordinator.release), and rebuild a lost or damaged chunk index."""
        try:
            if self._opened() and self._coord.holds_vectors:
                self._coord.release()  # False while this process writes: the next question retries
            self._index.bring_up()
        except Exception:
            log.exception("tidying the store's memory or chunk index failed")
        finally:
            self._tidying = False

    def _refresh(self, generation: str) -> None:
        try:
            current = self._snapshot
            if current is None or current.generation != generation:
                snapshot = self._load(generation)
                with self._lock:
                    self._snapshot = snapshot
            self._coord.sync(generation)  # False while a writer runs: the next question retries
        except Exception:  # the next question tries again
            log.exception("refreshing the store's snapshot failed")
        finally:
            self._refreshing = False

    def _load(self, generation: str) -> Snapshot:
        """The snapshot of a generation: the manifest (what changed since the last one),
        and the host's rows, chunk index and BM25 replica brought up to it."""
        seq, records = self._read_manifest()
        catch_up(self._source, self._rows, self._index, records)  # what Chroma holds and the rows lack
        return self._build(generation, records, seq, 0)

    def _build(
        self, generation: str, records: Mapping[str, ArticleRecord], seq: int, mirrored: int
    ) -> Snapshot:
        self._index.bring_up()
        self._bm25.refresh()
        log.debug("snapshot %s: %d articles", generation, len(records))
        return Snapshot(generation, records, seq, self._rows, self._bm25, self._dense, mirrored)

    @property
    def _source(self) -> _Source:
        return _Source(self._manifest, self._chunks)

    def _read_manifest(self) -> tuple[int, dict[str, ArticleRecord]]:
        """(the write number, the records): read whole the first time, then only the
        records written since the last snapshot's write number, with the ids of all (for
        deletions; records written without a number, by format-2 code, are read by id)."""
        seq = self._coord.epoch_seq()  # before the records: a write under way is read again next time
        previous = self._snapshot
        if previous is None or previous.seq == 0 or seq < previous.seq:  # (older code wrote; or the mirror)
            return seq, self._manifest.records()
        changed = self._manifest.records_since(previous.seq)
        ids = self._manifest.article_ids()
        records = {a: r for a, r in {**previous.records, **changed}.items() if a in ids}
        unknown = [a for a in ids if a not in records]
        if unknown:
            records.update(self._manifest.records(unknown))
        return seq, records


@dataclass(frozen=True)
class _Source:
    """The Chroma side as a catch-up reads it (replica/catch_up.Source)."""

    manifest: Manifest
    chunks: Chunks

    def records(self, ids: Sequence[str]) -> dict[str, ArticleRecord]:
        return self.manifest.records(ids)

    def rows_of(self, records: Sequence[ArticleRecord]) -> list[PassageRow]:
        return self.chunks.rows_of(records)
