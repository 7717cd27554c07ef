"""Chroma, embedded (PersistentClient) or a server (HttpClient), used through chromadb.

Two collections: `<name>_chunks` holds one record per chunk with its embedding and, in
its metadata, its sentences' offsets and in-context vectors (format 4; `<name>_sentences`
held them before, migrate.py), and `<name>_articles` is the manifest, one record per
article naming the content hash whose chunks are current. A chunk is visible only when
its hash matches the manifest, so an update writes the new chunks first (invisible),
flips the manifest record (one write), then deletes the old ones: readers never see an article
missing or doubled, and a run killed at any step is finished by running it again (ids
are deterministic). The host's rows (lexical_store.py, SQLite in the data dir: words,
texts, vectors and sentence vectors, what answering reads) and its chunk index
(chunk_index.py) follow the same order: rows and index first, then the visible version.

Writers hold the writer lock (lock.py) and bump the manifest's generation before their
first write and after their writes; readers compare it with the generation their vector
indexes hold and reopen the embedded store when another process wrote (connection.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from vectorstore.chroma.connection import EF_SEARCH, MAX_NEIGHBORS, Connection, connect, location
from vectorstore.chroma.coordination import coordinator
from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION, check_format
from vectorstore.chroma.locks import WaitCallback, WriterLock
from vectorstore.chroma.metadata import (
    MARKER_IDS,
    SENTENCES_KEY,
    ArticleWrite,
    StoredChunk,
    article_meta,
    chunk_id,
    records_from,
    stored_chunk,
    write_rows,
)
from vectorstore.chroma.migrate import forget_sentences, legacy_sentences
from vectorstore.errors import ArticleNotFoundError, ModelMismatchError
from vectorstore.models import Article, ArticleRecord, Chunk, StoreStats
from vectorstore.replica.chunk_index import ChunkIndex
from vectorstore.replica.passages import PassageRow, Sentences, from_field
from vectorstore.replica.rows import ChunkRows, rows_file
from vectorstore.settings import StoreSettings

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import GetResult, QueryResult

log = logging.getLogger(__name__)

__all__ = ["EF_SEARCH", "MAX_NEIGHBORS", "ChromaStore", "chunk_id"]

_PAGE = 2000
T = TypeVar("T")
# Manifest records carry no meaning as vectors; Chroma needs one anyway.
_MANIFEST_VECTOR = np.ones((1, 1), dtype=np.float32)


class ChromaStore:
    """Articles and their chunks in Chroma, with the manifest that makes updates atomic."""

    def __init__(self, settings: StoreSettings, model_name: str) -> None:
        self._settings = settings
        self._model_name = model_name
        self._location = location(settings)
        self._conn: Connection = connect(settings, model_name)
        with self._conn.gate.shared():  # not while another thread swaps the shared connection
            stamp = check_format(self._chunks, self._sentences, self._location)
            self._check_model()
            self._max_batch = max(1, min(self._conn.client.get_max_batch_size(), 1000))
        rows = settings.data_dir / rows_file(settings)
        self.rows = ChunkRows(rows)
        self.chunk_index = ChunkIndex(rows.with_suffix(".usearch"))
        self._coord = coordinator(self._conn, stamp)
        self._coord.sync()  # a connection this process opened before may be behind

    # the collections of the shared connection (reopened when another process writes)
    @property
    def _chunks(self) -> Collection:
        return self._conn.chunks  # type: ignore[no-any-return]

    @property
    def _articles(self) -> Collection:
        return self._conn.articles  # type: ignore[no-any-return]

    @property
    def _sentences(self) -> Collection | None:
        """The sentence collection of a store older than format 4 (migrate.py), else None."""
        return self._conn.sentences  # type: ignore[no-any-return]

    def _check_model(self) -> None:
        recorded = (self._chunks.metadata or {}).get("embedding_model")
        if recorded and recorded != self._model_name:
            raise ModelMismatchError(
                f"This store was built with the embedding model {recorded!r}, but "
                f"EMBEDDING_MODEL is {self._model_name!r}. Vectors from two models cannot "
                "be compared: use the same model, or a new NEWSDESK_DATA_DIR / "
                "CHROMA_COLLECTION for the new one and ingest again."
            )

    def check_dimension(self, dimension: int, record: bool = True) -> None:
        """Refuse a model whose dimension differs from the store's; a writer (`record`)
        records it on first use."""
        with self._conn.gate.shared():
            recorded = (self._chunks.metadata or {}).get("dimension")
        if recorded is None and record:
            with self._coord.write_scope():
                meta = dict(self._chunks.metadata or {})
                meta.update({"dimension": dimension, FORMAT_KEY: FORMAT_VERSION})
                meta.setdefault("embedding_model", self._model_name)
                meta.pop("hnsw:space", None)
                self._chunks.modify(metadata=meta)
        elif recorded is not None and int(recorded) != dimension:
            raise ModelMismatchError(
                f"This store holds {recorded}-dimensional vectors, but the model "
                f"{self._model_name!r} makes {dimension}-dimensional ones."
            )

    @property
    def location(self) -> str:
        return self._location

    # -- many readers, one writer (coordination.py) -----------------------------------------

    def writing(
        self, holder: str | None = None, wait: bool = True, on_wait: WaitCallback | None = None
    ) -> Any:
        """A context manager holding the store's writer lock: see Coordinator.writing."""
        return self._coord.writing(holder, wait, on_wait)

    def needs_reopen(self, generation: str) -> bool:
        """True when another process wrote since this process loaded the vector indexes."""
        return self._coord.needs_reopen(generation)

    def sync(self, generation: str | None = None) -> bool:
        """Reopen an embedded store another process wrote to; True when it did."""
        return self._coord.sync(generation)

    def generation(self) -> str:
        """Changes whenever content changes; readers use it to refresh caches."""
        return self._coord.generation()

    def bump_generation(self) -> None:
        self._coord.bump_generation()

    @property
    def holds_vectors(self) -> bool:
        """True when this process has loaded the vector collections (a write, a catch-up)."""
        return bool(self._conn.embedded and self._conn.vectors_loaded)

    def release(self) -> bool:
        """Let go of the vector collections this process loaded: answering does not search
        them (connection.py). False when it must wait (a write under way)."""
        return self._coord.release()

    @property
    def writer_lock(self) -> WriterLock:
        return self._coord.lock

    @property
    def reopens(self) -> int:
        """How many times this process reopened the store (for tests and benchmarks)."""
        return self._conn.reopens

    # -- the manifest ----------------------------------------------------------------

    def records(self, ids: Sequence[str] | None = None) -> dict[str, ArticleRecord]:
        """Manifest records by article id: all of them, or those of `ids` that exist."""
        out: dict[str, ArticleRecord] = {}
        if ids is not None:
            for start in range(0, len(ids), _PAGE):
                part = list(ids[start : start + _PAGE])
                got = self._coord.read(lambda p=part: self._articles.get(ids=p, include=["metadatas"]))  # type: ignore[misc]
                out.update(records_from(got["ids"], got["metadatas"]))
            return out
        for got in self._coord.read(lambda: list(self._pages(self._articles, ["metadatas"]))):
            out.update(records_from(got["ids"], got["metadatas"]))
        return out

    def write_seq(self) -> int:
        """The number of the last write (coordination.py); 0 for a store that has not
        numbered them yet (format 2)."""
        return self._coord.epoch_seq()

    def records_since(self, seq: int) -> dict[str, ArticleRecord]:
        """The manifest records written by write `seq` or later: what changed since a
        snapshot taken at `seq` (deletions: compare article_ids())."""
        where: Any = {"wseq": {"$gte": seq}}
        got = self._coord.read(lambda: self._articles.get(where=where, include=["metadatas"]))
        return records_from(got["ids"], got["metadatas"])

    def article_ids(self) -> set[str]:
        """The ids of every article in the manifest (no metadata read: cheap)."""
        got = self._coord.read(lambda: self._articles.get(include=[]))
        return {i for i in got["ids"] if i not in MARKER_IDS}

    def record(self, article_id: str) -> ArticleRecord:
        found = self.records([article_id])
        if article_id not in found:
            raise ArticleNotFoundError(f"No article with id {article_id!r} is in the store.")
        return found[article_id]

    # -- writing ---------------------------------------------------------------------

    def chunk_ids_of(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The ids of every stored chunk (visible or not) of each article."""
        out: dict[str, set[str]] = {a: set() for a in article_ids}
        for start in range(0, len(article_ids), 100):
            where: Any = {"article_id": {"$in": list(article_ids[start : start + 100])}}
            got = self._vector_read(lambda w=where: self._chunks.get(where=w, include=["metadatas"]))  # type: ignore[misc]
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                out[str(meta["article_id"])].add(cid)
        return out

    def write_article(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        sentence_vectors: Sequence[np.ndarray] = (),
    ) -> None:
        """Write one article: see write_articles."""
        self.write_articles([ArticleWrite(article, chunks, vectors, sentence_vectors)])

    def write_articles(self, writes: Sequence[ArticleWrite]) -> None:
        """Add the new chunks (with their sentences) and the host's rows, flip the manifest
        to them, drop the old ones.

        The records of many articles go in shared batches (Chroma writes 1,000 rows in one call
        much faster than in 12 calls of 80); each article still becomes visible only when
        its manifest record flips, after all its rows are written.
        """
        rows = write_rows(writes)
        with self._coord.write_scope():
            seq = self._coord.write_seq
            self._upsert(self._chunks, rows.chunks)
            self.rows.add(rows.lexical)
            with self.rows.guard():
                self.chunk_index.catch_up(self.rows)  # before the flip: found once visible
                self._articles.upsert(
                    ids=[w.article.id for w in writes],
                    embeddings=np.repeat(_MANIFEST_VECTOR, len(writes), axis=0),
                    metadatas=[article_meta(w.article, len(w.chunks), seq) for w in writes],  # type: ignore[misc]
                )
                self.rows.publish(((w.article.id, w.article.hash) for w in writes), sweep=True)
            stored = self.chunk_ids_of([w.article.id for w in writes])
            for w, chunk_ids in zip(writes, rows.ids, strict=True):
                self._delete_chunks(sorted(stored[w.article.id] - set(chunk_ids)))

    def _upsert(
        self, collection: Collection, rows: Sequence[tuple[str, np.ndarray, str | None, dict[str, Any]]]
    ) -> None:
        """(id, vector, document or None, metadata) rows, in batches Chroma accepts."""
        for start in range(0, len(rows), self._max_batch):
            part = rows[start : start + self._max_batch]
            documents = [r[2] for r in part]
            collection.upsert(
                ids=[r[0] for r in part],
                embeddings=np.stack([r[1] for r in part]),
                documents=documents if all(d is not None for d in documents) else None,  # type: ignore[arg-type]
                metadatas=[r[3] for r in part],  # type: ignore[misc]
            )

    def remove_stale_chunks(self, article_id: str, keep: set[str]) -> int:
        """Delete the article's chunks not in `keep` (and older formats' sentence records)."""
        with self._coord.write_scope():
            stale = sorted(self.chunk_ids_of([article_id])[article_id] - keep)
            self._delete_chunks(stale)
        return len(stale)

    def _delete_chunks(self, stale: Sequence[str]) -> None:
        for start in range(0, len(stale), self._max_batch):
            part = list(stale[start : start + self._max_batch])
            forget_sentences(self._sentences, part)
            self._chunks.delete(ids=part)

    def delete_article(self, article_id: str) -> ArticleRecord:
        """Hide the article (manifest first), then remove its chunks."""
        with self._coord.write_scope():
            record = self.record(article_id)
            with self.rows.guard():
                self._articles.delete(ids=[article_id])
                self.rows.publish([(article_id, None)], sweep=True)
            self.remove_stale_chunks(article_id, keep=set())
        return record

    # -- reading ---------------------------------------------------------------------

    def sentences_of(self, chunk_ids: Sequence[str], counts: Sequence[int]) -> dict[str, Sentences]:
        """Stored (start, end, vector) of each chunk's sentences in Chroma, in text order:
        from the chunk's metadata, or for a chunk of a store not yet migrated to format 4
        from the sentence collection (answering reads the host's rows)."""
        if not chunk_ids:
            return {}
        got = self._vector_read(lambda: self._chunks.get(ids=list(chunk_ids), include=["metadatas"]))
        found = self._sentences_in(
            dict(zip(got["ids"], got["metadatas"] or [], strict=True)),
            dict(zip(chunk_ids, counts, strict=True)),
        )
        return {c: found.get(c, []) for c in chunk_ids}

    def passage_rows(self, ids: Sequence[str]) -> list[PassageRow]:
        """The host's rows of these chunks read back from Chroma in one read (catch_up.py):
        text, offsets, vector and sentences; ids not stored are left out."""
        include: Any = ["documents", "metadatas", "embeddings"]
        got = self._vector_read(lambda: self._chunks.get(ids=list(ids), include=include))
        metas = dict(zip(got["ids"], got["metadatas"] or [], strict=True))
        chunks = [
            stored_chunk(cid, doc, metas[cid])
            for cid, doc in zip(got["ids"], got["documents"] or [], strict=True)
        ]
        sentences = self._sentences_in(metas, {c.id: c.n_sentences for c in chunks})
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return [
            c.row(np.asarray(v, np.float32), sentences[c.id]) for c, v in zip(chunks, vectors, strict=True)
        ]

    def _sentences_in(self, metas: dict[str, Any], counts: dict[str, int]) -> dict[str, Sentences]:
        """The sentences of chunks whose metadata was read: from the field, or (format 3 and
        older) from the sentence collection; read again when a migration moved them between."""
        out: dict[str, Sentences] = {}
        older: list[str] = []
        for cid, meta in metas.items():
            found = from_field((meta or {}).get(SENTENCES_KEY))
            if found is None:
                older.append(cid)
            else:
                out[cid] = found
        if older:
            out.update(
                self._vector_read(
                    lambda: legacy_sentences(self._sentences, older, [counts[c] for c in older])
                )
            )
            short = [c for c in older if len(out[c]) < counts[c]]
            if short:  # moved by a migration between the two reads: in the metadata now
                again = self._vector_read(lambda: self._chunks.get(ids=short, include=["metadatas"]))
                for cid, meta in zip(again["ids"], again["metadatas"] or [], strict=True):
                    out[cid] = from_field((meta or {}).get(SENTENCES_KEY)) or out[cid]
        return out

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks by cosine similarity (1 - Chroma's cosine distance)."""
        include = ["documents", "metadatas", "distances"]
        got = self._vector_read(lambda: self._nearest(self._chunks, vector, n, where, include))
        rows = zip(
            got["ids"][0],
            (got["documents"] or [[]])[0],
            (got["metadatas"] or [[]])[0],
            (got["distances"] or [[]])[0],
            strict=True,
        )
        return [(stored_chunk(cid, doc, meta), 1.0 - float(dist)) for cid, doc, meta, dist in rows if meta]

    def _vector_read(self, fn: Callable[[], T]) -> T:
        """A read of the chunk or sentence collection: an embedded Chroma loads its whole
        vector index for it, which `release` lets go of later."""
        got = self._coord.read(fn)
        self._conn.vectors_loaded = True
        return got

    @staticmethod
    def _nearest(
        collection: Collection, vector: np.ndarray, n: int, where: dict[str, Any] | None, include: list[str]
    ) -> QueryResult:
        """Chroma returns what it has when asked for more (no count() first: that is a
        query of its own, which grows with the collection)."""
        return collection.query(
            query_embeddings=[vector],
            n_results=n,
            where=where or None,
            include=include,  # type: ignore[arg-type]
        )

    def iter_chunks(self) -> Iterator[StoredChunk]:
        self._conn.vectors_loaded = True
        for got in self._pages(self._chunks, ["documents", "metadatas"]):
            rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            yield from (stored_chunk(cid, doc, meta) for cid, doc, meta in rows)

    def chunks_of(self, article_id: str) -> list[StoredChunk]:
        got = self._vector_read(
            lambda: self._chunks.get(where={"article_id": article_id}, include=["documents", "metadatas"])
        )
        chunks = [
            stored_chunk(cid, doc, meta)
            for cid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        ]
        return sorted(chunks, key=lambda c: (c.hash, c.index))

    def embeddings_of(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        got = self._vector_read(lambda: self._chunks.get(ids=list(ids), include=["embeddings"]))
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return {cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(got["ids"], vectors, strict=True)}

    def stats(self) -> StoreStats:
        records = self.records()
        dates = [r.date for r in records.values() if r.date]
        with self._conn.gate.shared():
            meta = dict(self._chunks.metadata or {})
        dim = meta.get("dimension")
        return StoreStats(
            articles=len(records),
            chunks=sum(r.n_chunks for r in records.values()),
            embedding_model=str(meta.get("embedding_model", self._model_name)),
            dimension=int(dim) if dim is not None else None,
            location=self._location,
            newest_article_date=max(dates) if dates else None,
        )

    @staticmethod
    def _pages(collection: Collection, include: list[str]) -> Iterator[GetResult]:
        """Every record of a collection, a page at a time."""
        offset = 0
        while True:
            got = collection.get(include=include, limit=_PAGE, offset=offset)  # type: ignore[arg-type]
            if not got["ids"]:
                return
            yield got
            offset += len(got["ids"])
