"""Dense (dense.py: the host's chunk index, ranked by stored sentence vectors) + lexical
(BM25, live_lexical.py) retrieval, fused by reciprocal rank, with filters.

Only visible chunks are returned: those whose content hash is the one the manifest names
for their article (see store.py). A reader holds a snapshot of the manifest (the article
records: metadata, no texts) per generation; when the generation moves (a writer, in this
process or another) it re-reads what changed in the manifest, brings the host's rows and
chunk index up to it (a no-op when a writer on this host already did), and reopens an
embedded store another process wrote to (its manifest collection only: answering never
loads Chroma's vector collections). Chunk texts are read from the host's rows for the
passages returned, never held for the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vectorstore.chroma.metadata import StoredChunk
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder
from vectorstore.models import ArticleRecord, Passage
from vectorstore.replica.bm25 import LiveBM25
from vectorstore.replica.catch_up import catch_up_index, catch_up_lexical
from vectorstore.replica.dense import EXACT_LIMIT, DenseSearch
from vectorstore.replica.rows import StoredPassage
from vectorstore.retrieval.filters import Filters

log = logging.getLogger(__name__)

SentenceRows = dict[str, list[tuple[int, int, np.ndarray]]]  # chunk id -> (start, end, vector)
RRF_K = 60
# Fusion weights: BM25's rank counts 1.5 times the dense one (chosen on squad-dev; 1-2 all
# land within 0.004 of MRR@10).


@dataclass(frozen=True)
class Retrieval:
    passages: list[Passage]
    query_vector: np.ndarray = field(repr=False)
    idf: Callable[[str], float] = field(repr=False)  # of the index the passages came from
    sentences_of: Callable[[list[str]], SentenceRows] = field(repr=False)  # stored sentence vectors


@dataclass
class _Snapshot:
    generation: str
    records: dict[str, ArticleRecord]
    lexical: LiveBM25  # shared by the snapshots: it may hold rows a writer added since
    chunks: int = 0
    shares: dict[Filters, tuple[float, list[str]]] = field(default_factory=dict)
    seq: int = 0  # the write number when read (ChromaStore.write_seq)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def share(self, filters: Filters) -> float:
        """The share of chunks the filters admit, once per snapshot and filter (a server's
        questions all carry the same one)."""
        return self._admitted(filters)[0]

    def admitted(self, filters: Filters) -> list[str]:
        """The ids of the articles the filters admit (cached like `share`)."""
        return self._admitted(filters)[1]

    def _admitted(self, filters: Filters) -> tuple[float, list[str]]:
        with self.lock:
            cached = self.shares.get(filters)
        if cached is not None:
            return cached
        ids = [a for a, r in self.records.items() if filters.admits(r)]
        admitted = sum(self.records[a].n_chunks for a in ids)
        found = (admitted / self.chunks if self.chunks else 0.0, ids)
        with self.lock:
            if len(self.shares) >= 256:
                self.shares.clear()
            self.shares[filters] = found
        return found


class Retriever:
    """Answers "which chunks are about this question?" for the answering core."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        dense_candidates: int = 200,
        lexical_candidates: int = 40,
        dense_kept: int = 60,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.5,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._lexical_candidates = lexical_candidates
        self._dense_weight = dense_weight
        self._lexical_weight = lexical_weight
        self._snapshot: _Snapshot | None = None
        self._live = LiveBM25(store.rows)
        self._search = DenseSearch(store.rows, store.chunk_index, dense_candidates, dense_kept)
        self._lock = threading.Lock()
        self._refreshing = False
        self._tidying = False
        self._checked_dimension = False

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def store(self) -> ChromaStore:
        return self._store

    def snapshot(self) -> _Snapshot:
        """The current records, refreshed when the store changed: at once after this
        process's own writes (or on a server); after another process wrote to an embedded
        store, on a background thread (the manifest, the host's rows and chunk index, then
        the manifest collection reopened: lock.LoadGuard), while questions go on with what
        they have (the swap itself holds them back for a moment, gate.py)."""
        generation = self._store.generation()
        with self._lock:
            current = self._snapshot
            if current is None:
                self._store.sync(generation)
                current = self._snapshot = self._load(generation)
            elif current.generation != generation and not self._store.needs_reopen(generation):
                current = self._snapshot = self._load(generation)
            if self._store.needs_reopen(generation) and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, args=(generation,), daemon=True).start()
            if not self._tidying and self._untidy():
                self._tidying = True
                threading.Thread(target=self._tidy, daemon=True).start()
            return current

    def _untidy(self) -> bool:
        index = self._store.chunk_index
        return self._store.holds_vectors or index.damaged or (index.missing and len(self._live) > 0)

    def _tidy(self) -> None:
        """Off the question path: let go of the vector collections a write or a catch-up
        in this process loaded (store.release), and rebuild a lost or damaged chunk index."""
        try:
            if self._store.holds_vectors:
                self._store.release()  # False while this process writes: the next question retries
            catch_up_index(self._store)
        except Exception:
            log.exception("tidying the store's memory or chunk index failed")
        finally:
            self._tidying = False

    def _refresh(self, generation: str) -> None:
        try:
            if self.snapshot_generation != generation:
                snapshot = self._load(generation)
                with self._lock:
                    self._snapshot = snapshot
            self._store.sync(generation)  # False while a writer runs: the next question retries
        except Exception:  # the next question tries again
            log.exception("refreshing the retriever's snapshot failed")
        finally:
            self._refreshing = False

    @property
    def snapshot_generation(self) -> str | None:
        current = self._snapshot
        return current.generation if current else None

    def records(self) -> dict[str, ArticleRecord]:
        return self.snapshot().records

    def _load(self, generation: str) -> _Snapshot:
        """The snapshot of a generation: the manifest (what changed since the last one),
        and the host's rows, chunk index and BM25 replica brought up to it."""
        seq, records = self._manifest()
        catch_up_lexical(self._store, records)  # what Chroma holds and this host's rows lack
        catch_up_index(self._store)
        self._live.refresh()
        chunks = sum(r.n_chunks for r in records.values())
        log.debug("retriever snapshot %s: %d articles, %d chunks", generation, len(records), chunks)
        return _Snapshot(generation, records, self._live, chunks, seq=seq)

    def _manifest(self) -> tuple[int, dict[str, ArticleRecord]]:
        """(the write number, the manifest records): read whole the first time, then only
        the records written since the last snapshot's write number, with the ids of all
        (for deletions; records written without a number are read by id)."""
        seq = self._store.write_seq()  # before the records: a write under way is read again next time
        previous = self._snapshot
        if previous is None or previous.seq == 0 or seq < previous.seq:  # (older code wrote)
            return seq, self._store.records()
        changed = self._store.records_since(previous.seq)
        ids = self._store.article_ids()
        records = {a: r for a, r in {**previous.records, **changed}.items() if a in ids}
        unknown = [a for a in ids if a not in records]
        if unknown:
            records.update(self._store.records(unknown))
        return seq, records

    def sentences_of(
        self, chunk_ids: list[str], known: dict[str, StoredPassage] | None = None
    ) -> SentenceRows:
        """The stored (start, end, vector) of retrieved chunks' sentences, in text order."""
        known = known or {}
        missing = [c for c in chunk_ids if c not in known]
        found = {**known, **self._store.rows.passages(missing)} if missing else known
        return {c: list(found[c].sentences) if c in found else [] for c in chunk_ids}

    def get_chunks(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """Stored chunks by id, from the host's rows (their texts are not kept in memory)."""
        return {c: _chunk(p) for c, p in self._store.rows.passages(ids).items()}

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._embedder.embed([text])[0]
        if not self._checked_dimension:
            self._store.check_dimension(int(vector.shape[0]), record=False)
            self._checked_dimension = True
        return vector

    def retrieve(self, question: str, k: int = 10, filters: Filters | None = None) -> Retrieval:
        filters = filters or Filters()
        snap = self.snapshot()
        vector = self.embed_query(question)
        dense = self._dense(snap, vector, filters)
        lexical = self._lexical(snap, question, filters)
        fused: dict[str, float] = {}
        for rank, cid in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + self._dense_weight / (RRF_K + rank + 1)
        for rank, cid in enumerate(lexical):
            fused[cid] = fused.get(cid, 0.0) + self._lexical_weight / (RRF_K + rank + 1)
        order = sorted(fused, key=lambda c: -fused[c])[:k]
        chunks = self._store.rows.passages(order)  # texts of the passages only
        passages = [
            _passage(
                _chunk(chunks[cid]),
                snap.records[chunks[cid].article_id],
                fused[cid],
                dense.get(cid),
                lexical.get(cid),
            )
            for cid in order
            if cid in chunks and chunks[cid].article_id in snap.records
        ]
        return Retrieval(
            passages=passages,
            query_vector=vector,
            idf=snap.lexical.idf,
            sentences_of=lambda ids: self.sentences_of(ids, chunks),
        )

    def _dense(self, snap: _Snapshot, vector: np.ndarray, filters: Filters) -> dict[str, tuple[int, float]]:
        """Chunks ranked by their sentence closest to the question (dense.py). Filters that
        admit few chunks are searched exactly among the articles they admit."""
        share, among = 1.0, None
        if filters != Filters() and snap.chunks:
            share = snap.share(filters)
            if share == 0.0:
                return {}
            if share * snap.chunks <= EXACT_LIMIT:
                among = snap.admitted(filters)
        hits = self._search.search(vector, lambda a, h: _admitted(snap, a, h, filters), among, share)
        return {row.chunk_id: (rank, sim) for rank, (row, sim) in enumerate(hits)}

    def _lexical(self, snap: _Snapshot, question: str, filters: Filters) -> dict[str, tuple[int, float]]:
        """BM25 hits among the versions this snapshot names, that the filters admit."""
        hits = snap.lexical.search(
            question, self._lexical_candidates, lambda a, h: _admitted(snap, a, h, filters)
        )
        return {row.chunk_id: (rank, score) for rank, (row, score) in enumerate(hits)}


def _admitted(snap: _Snapshot, article_id: str, version: str, filters: Filters) -> bool:
    """A hit is kept if its version is the visible one and its article passes the filters."""
    record = snap.records.get(article_id)
    return record is not None and record.hash == version and filters.admits(record)


def _chunk(row: StoredPassage) -> StoredChunk:
    return StoredChunk(
        row.chunk_id, row.article_id, row.hash, row.index, row.text, row.start, row.end, len(row.sentences)
    )


def _passage(
    chunk: StoredChunk,
    record: ArticleRecord,
    score: float,
    dense: tuple[int, float] | None,
    lexical: tuple[int, float] | None,
) -> Passage:
    return Passage(
        chunk_id=chunk.id,
        article=record,
        index=chunk.index,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        score=score,
        dense_rank=dense[0] if dense else None,
        lexical_rank=lexical[0] if lexical else None,
        dense_similarity=dense[1] if dense else None,
    )
