"""Dense (the host's chunk index, ranked by stored sentence vectors: replica/dense.py) +
lexical (BM25, replica/bm25.py) retrieval, fused by reciprocal rank, with filters.

The retriever only retrieves: it asks the store for its current snapshot (one step:
ChromaStore.snapshot, which keeps what it reads up to date) and searches it. Only visible
chunks are returned: those whose content hash is the one the manifest names for their
article. Chunk texts and sentence vectors are read from the host's rows for the passages
returned, never held for the store, and handed on with them (`Retrieval.sentences`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from vectorstore.chroma.metadata import StoredChunk
from vectorstore.chroma.snapshots import Snapshot
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder
from vectorstore.models import ArticleRecord, Passage
from vectorstore.replica.dense import EXACT_LIMIT, SMALL_STORE
from vectorstore.replica.passages import Sentences
from vectorstore.replica.rows import StoredPassage
from vectorstore.retrieval.filters import Filters

log = logging.getLogger(__name__)

RRF_K = 60
# Fusion weights: BM25's rank counts 1.5 times the dense one (chosen on squad-dev; 1-2 all
# land within 0.004 of MRR@10).
DENSE_WEIGHT, LEXICAL_WEIGHT = 1.0, 1.5
LEXICAL_CANDIDATES = 40  # BM25 hits fused (the dense side's: replica/dense.py)


@dataclass(frozen=True)
class Retrieval:
    passages: list[Passage]
    query_vector: np.ndarray = field(repr=False)
    idf: Callable[[str], float] = field(repr=False)  # of the index the passages came from
    # chunk id -> the stored (start, end, vector) of its sentences, in text order
    sentences: dict[str, Sentences] = field(default_factory=dict, repr=False)


class Retriever:
    """Answers "which chunks are about this question?" for the answering core."""

    def __init__(self, store: ChromaStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder
        self._checked_dimension = False

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def store(self) -> ChromaStore:
        return self._store

    def records(self) -> Mapping[str, ArticleRecord]:
        """The records of the articles a question can read now (read-only)."""
        return self._store.snapshot().records

    def openings(self, records: Sequence[ArticleRecord]) -> dict[str, StoredChunk]:
        """The first chunk of each of these articles, by article id (an overview's leads)."""
        found = self._store.snapshot().openings(records)
        return {a: _chunk(p) for a, p in found.items()}

    def opening_passages(
        self, records: Sequence[ArticleRecord]
    ) -> tuple[list[Passage], dict[str, Sentences]]:
        """The first chunk of each of these articles as a passage, with its stored
        sentences (a story's leads)."""
        found = self._store.snapshot().openings(records)
        by_id = {r.id: r for r in records}
        passages = [_passage(row, by_id[a], 0.0, None, None) for a, row in found.items()]
        return passages, {row.chunk_id: list(row.sentences) for row in found.values()}

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._embedder.embed([text])[0]
        if not self._checked_dimension:
            self._store.check_dimension(int(vector.shape[0]), record=False)
            self._checked_dimension = True
        return vector

    def retrieve(
        self, question: str, k: int = 10, filters: Filters | None = None, vector: np.ndarray | None = None
    ) -> Retrieval:
        """The best `k` chunks for `question` within `filters`; `vector`: the question's
        embedding when the caller has it (one embedding per question, however many passes)."""
        filters = filters or Filters()
        snap = self._store.snapshot()
        vector = self.embed_query(question) if vector is None else vector
        dense = self._dense(snap, vector, filters)
        lexical = self._lexical(snap, question, filters)
        fused: dict[str, float] = {}
        for rank, cid in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + DENSE_WEIGHT / (RRF_K + rank + 1)
        for rank, cid in enumerate(lexical):
            fused[cid] = fused.get(cid, 0.0) + LEXICAL_WEIGHT / (RRF_K + rank + 1)
        order = sorted(fused, key=lambda c: -fused[c])[:k]
        rows = snap.passages(order)  # texts and sentences of the passages only
        kept = [cid for cid in order if cid in rows and rows[cid].article_id in snap.records]
        passages = [
            _passage(
                rows[cid], snap.records[rows[cid].article_id], fused[cid], dense.get(cid), lexical.get(cid)
            )
            for cid in kept
        ]
        sentences = {cid: list(rows[cid].sentences) for cid in kept}
        return Retrieval(passages, vector, snap.idf, sentences)

    def _dense(self, snap: Snapshot, vector: np.ndarray, filters: Filters) -> dict[str, tuple[int, float]]:
        """Chunks ranked by their sentence closest to the question. Filters that admit few
        chunks (EXACT_LIMIT), or a small store (SMALL_STORE), are compared exactly among
        the articles admitted; the chunk index (and usearch's import) serves the rest."""
        share, among = 1.0, None
        if filters != Filters() and snap.chunks:
            share, admitted = snap.admitted(filters, filters.admits)
            if share == 0.0:
                return {}
            if share * snap.chunks <= EXACT_LIMIT:
                among = admitted
        elif snap.chunks <= SMALL_STORE:
            among = list(snap.records)
        hits = snap.search_vectors(vector, lambda a, h: _admitted(snap, a, h, filters), among, share)
        return {row.chunk_id: (rank, sim) for rank, (row, sim) in enumerate(hits)}

    def _lexical(self, snap: Snapshot, question: str, filters: Filters) -> dict[str, tuple[int, float]]:
        """BM25 hits among the versions this snapshot names, that the filters admit."""
        hits = snap.search_words(question, LEXICAL_CANDIDATES, lambda a, h: _admitted(snap, a, h, filters))
        return {row.chunk_id: (rank, score) for rank, (row, score) in enumerate(hits)}


def _admitted(snap: Snapshot, article_id: str, version: str, filters: Filters) -> bool:
    """A hit is kept if its version is the visible one and its article passes the filters."""
    record = snap.records.get(article_id)
    return record is not None and record.hash == version and filters.admits(record)


def _chunk(row: StoredPassage) -> StoredChunk:
    furniture = frozenset(s.start for s in row.sentences if s.furniture)
    fields = (row.chunk_id, row.article_id, row.hash, row.index, row.text, row.start, row.end)
    return StoredChunk(*fields, len(row.sentences), furniture)


def _passage(
    row: StoredPassage,
    record: ArticleRecord,
    score: float,
    dense: tuple[int, float] | None,
    lexical: tuple[int, float] | None,
) -> Passage:
    return Passage(
        chunk_id=row.chunk_id,
        article=record,
        index=row.index,
        text=row.text,
        start=row.start,
        end=row.end,
        score=score,
        dense_rank=dense[0] if dense else None,
        lexical_rank=lexical[0] if lexical else None,
        dense_similarity=dense[1] if dense else None,
    )
