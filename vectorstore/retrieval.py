"""Dense (Chroma) + lexical (bm25s) retrieval, fused by reciprocal rank, with filters.

Only visible chunks are returned: those whose content hash is the one the manifest names
for their article (see store.py). The lexical index is rebuilt from the store whenever the
store's generation changes (after any ingest or delete, by any process), and cached on
disk per generation, so a restart does not rebuild it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.embedding import Embedder
from vectorstore.lexical import LexicalIndex
from vectorstore.metadata import StoredChunk
from vectorstore.models import GLOBAL_SCOPE, ArticleRecord, Passage, date_to_ts, parse_date
from vectorstore.store import ChromaStore

log = logging.getLogger(__name__)

SentenceRows = dict[str, list[tuple[int, int, np.ndarray]]]  # chunk id -> (start, end, vector)
RRF_K = 60
CHUNKS_FILE = "chunks.json"
BROAD_FILTER = 0.5  # a filter admitting this share of chunks or more is applied after the search
# Fusion weights: BM25's rank counts 1.5 times the dense one (chosen on squad-dev; 1-2 all
# land within 0.004 of MRR@10).


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some sources, a date range, and scopes (server ids)."""

    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            raw = getattr(self, name)
            if raw is not None and parse_date(raw) is None:
                raise ValueError(f"{name} must be a date like 2023-06-30, not {raw!r}")

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.scopes:
            clauses.append({"scope": {"$in": list(self.scopes)}})
        if self.since:
            clauses.append({"date_ts": {"$gte": date_to_ts(parse_date(self.since))}})
        if self.until:
            clauses.append({"date_ts": {"$lte": date_to_ts(parse_date(self.until))}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, record: ArticleRecord) -> bool:
        if self.sources and record.source not in self.sources:
            return False
        if self.scopes and record.scope not in self.scopes:
            return False
        if self.since or self.until:
            if record.date is None:
                return False
            if self.since and record.date < (parse_date(self.since) or ""):
                return False
            if self.until and record.date > (parse_date(self.until) or ""):
                return False
        return True

    @classmethod
    def for_guild(cls, guild_id: int | None) -> Filters:
        scopes = (GLOBAL_SCOPE,) if guild_id is None else (GLOBAL_SCOPE, str(guild_id))
        return cls(scopes=scopes)


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
    lexical: LexicalIndex
    chunks: list[StoredChunk]
    by_id: dict[str, StoredChunk] = field(default_factory=dict)
    articles: list[ArticleRecord] = field(default_factory=list)
    article_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    masks: dict[Filters, np.ndarray] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.chunks}
        self.articles = list(self.records.values())
        position = {r.id: i for i, r in enumerate(self.articles)}
        self.article_of = np.array([position[c.article_id] for c in self.chunks], dtype=np.int64)

    def mask(self, filters: Filters) -> np.ndarray:
        """Which chunks the filters admit, decided once per article, and once per snapshot
        for each filter (a server's questions all carry the same one)."""
        with self.lock:
            cached = self.masks.get(filters)
        if cached is not None:
            return cached
        admitted = np.array([filters.admits(r) for r in self.articles], dtype=bool)
        mask = admitted[self.article_of] if len(self.chunks) else np.zeros(0, dtype=bool)
        with self.lock:
            if len(self.masks) >= 256:
                self.masks.clear()
            self.masks[filters] = mask
        return mask


class Retriever:
    """Answers "which chunks are about this question?" for the answering core."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        cache_dir: Path,
        dense_candidates: int = 40,
        lexical_candidates: int = 40,
        sentence_candidates: int = 60,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.5,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._cache_dir = cache_dir
        self._dense_candidates = dense_candidates
        self._lexical_candidates = lexical_candidates
        self._sentence_candidates = sentence_candidates
        self._dense_weight = dense_weight
        self._lexical_weight = lexical_weight
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()
        self._checked_dimension = False

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def store(self) -> ChromaStore:
        return self._store

    def snapshot(self) -> _Snapshot:
        """The current records and lexical index, refreshed if the store changed."""
        generation = self._store.generation()
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = self._load(generation)
            return self._snapshot

    def records(self) -> dict[str, ArticleRecord]:
        return self.snapshot().records

    def _load(self, generation: str) -> _Snapshot:
        """The snapshot of a generation: from the cache when it matches the manifest
        (reading 100k chunks back from Chroma takes 8 s; the cache, under one), else from
        the store, then cached."""
        records = self._store.records()
        folder = self._cache_dir / f"lexical-{generation}"
        lexical = LexicalIndex.load(folder)
        cached = _cached_chunks(folder / CHUNKS_FILE, records) if lexical is not None else None
        chunks = cached if cached is not None else self._visible_chunks(records)
        if lexical is None or lexical.ids != [c.id for c in chunks]:
            lexical = LexicalIndex.build([c.id for c in chunks], [c.text for c in chunks])
            cached = None
        if cached is None:  # a cached BM25 index that still matches is kept, not rebuilt
            self._save(lexical, chunks, folder)
        log.debug("retriever snapshot %s: %d articles, %d chunks", generation, len(records), len(chunks))
        return _Snapshot(generation, records, lexical, chunks)

    def _visible_chunks(self, records: dict[str, ArticleRecord]) -> list[StoredChunk]:
        """Every chunk of the versions the manifest names, read back from Chroma, by id."""
        chunks = [
            c
            for c in self._store.iter_chunks()
            if (r := records.get(c.article_id)) is not None and r.hash == c.hash
        ]
        return sorted(chunks, key=lambda c: c.id)

    def _save(self, lexical: LexicalIndex, chunks: list[StoredChunk], folder: Path) -> None:
        try:
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            for old in self._cache_dir.glob("lexical-*"):
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
            lexical.save(folder)
            rows = [dataclasses.astuple(c) for c in chunks]
            (folder / CHUNKS_FILE).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        except OSError as exc:  # a read-only data dir still answers, from memory
            log.warning("cannot cache the lexical index in %s: %s", folder, exc)

    def sentences_of(self, chunk_ids: list[str], snap: _Snapshot | None = None) -> SentenceRows:
        """The stored sentence vectors of retrieved chunks, looked up by id."""
        by_id = (snap or self.snapshot()).by_id
        counts = [by_id[c].n_sentences if c in by_id else 0 for c in chunk_ids]
        return self._store.sentences_of(chunk_ids, counts)

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._embedder.embed([text])[0]
        if not self._checked_dimension:
            self._store.check_dimension(int(vector.shape[0]))
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
        order = [c for c in sorted(fused, key=lambda c: -fused[c]) if c in snap.by_id][:k]
        passages = [
            _passage(
                snap.by_id[cid],
                snap.records[snap.by_id[cid].article_id],
                fused[cid],
                dense.get(cid),
                lexical.get(cid),
            )
            for cid in order
        ]
        return Retrieval(
            passages=passages,
            query_vector=vector,
            idf=snap.lexical.idf,
            sentences_of=lambda ids: self.sentences_of(ids, snap),
        )

    def _dense(self, snap: _Snapshot, vector: np.ndarray, filters: Filters) -> dict[str, tuple[int, float]]:
        """Chunks ranked by their sentence closest to the question (sentence-level search
        ranks passages better than whole-chunk vectors: squad-dev MRR@10 0.808 -> 0.830);
        whole-chunk search for a store written before sentences were stored."""
        where, scale = self._search_filter(snap, filters)
        out: dict[str, tuple[int, float]] = {}
        hits = self._store.query_sentences(vector, math.ceil(self._sentence_candidates * scale), where)
        for hit in hits:
            if hit.chunk_id not in out and _admitted(snap, hit.article_id, hit.hash, filters, where):
                out[hit.chunk_id] = (len(out), hit.similarity)
        if hits:
            return out
        chunks = self._store.query(vector, math.ceil(self._dense_candidates * scale), where)
        for chunk, similarity in chunks:
            if _admitted(snap, chunk.article_id, chunk.hash, filters, where):
                out[chunk.id] = (len(out), similarity)
        return out

    def _search_filter(self, snap: _Snapshot, filters: Filters) -> tuple[dict[str, Any] | None, float]:
        """Chroma's where clause, or none when the filters admit most of the store: then
        more neighbours are fetched and filtered here. A where clause that matches most
        records makes Chroma list them all before the search (bench/README.md)."""
        where = filters.where()
        if where is None or not snap.chunks:
            return where, 1.0
        share = float(snap.mask(filters).mean())
        if share == 0.0 or share < BROAD_FILTER:
            return where, 1.0
        return None, 1.0 / share

    def _lexical(self, snap: _Snapshot, question: str, filters: Filters) -> dict[str, tuple[int, float]]:
        mask = snap.mask(filters) if filters != Filters() else None
        hits = snap.lexical.search(question, self._lexical_candidates, mask)
        return {snap.lexical.ids[i]: (rank, score) for rank, (i, score) in enumerate(hits)}


def _cached_chunks(path: Path, records: dict[str, ArticleRecord]) -> list[StoredChunk] | None:
    """The cached visible chunks, if they are exactly those the manifest names."""
    try:
        chunks = [StoredChunk(*row) for row in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError) as exc:
        log.info("no usable chunk cache in %s (%s)", path, exc)
        return None
    visible = all((r := records.get(c.article_id)) is not None and r.hash == c.hash for c in chunks)
    if not visible or len(chunks) != sum(r.n_chunks for r in records.values()):
        return None  # written by a run that stopped before bumping the generation
    return chunks


def _admitted(snap: _Snapshot, article_id: str, version: str, filters: Filters, where: object) -> bool:
    """A hit is kept if its version is the visible one and, when Chroma did not filter,
    its article passes the filters."""
    record = snap.records.get(article_id)
    if record is None or record.hash != version:
        return False
    return where is not None or filters.admits(record)


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
