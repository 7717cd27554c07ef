"""Chroma, embedded (PersistentClient) or a server (HttpClient), used through chromadb.

Three collections: `<name>_chunks` holds one record per chunk with its embedding,
`<name>_sentences` one per sentence of a chunk with its in-context vector, and
`<name>_articles` is the manifest, one record per article naming the content hash whose
chunks are current. A chunk (or sentence) is visible only when its hash matches the
manifest, so an update writes the new sentences and chunks first (invisible), flips the
manifest record (one write), then deletes the old ones: readers never see an article
missing or doubled, and a run killed at any step is finished by running it again (ids
are deterministic).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorstore.errors import ArticleNotFoundError, ModelMismatchError, StoreUnavailableError
from vectorstore.metadata import (
    GENERATION_ID,
    ArticleWrite,
    SentenceHit,
    StoredChunk,
    article_meta,
    chunk_meta,
    records_from,
    sentence_rows,
    stored_chunk,
)
from vectorstore.models import Article, ArticleRecord, Chunk, StoreStats
from vectorstore.settings import StoreSettings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.collection_configuration import CreateHNSWConfiguration
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import GetResult, QueryResult

log = logging.getLogger(__name__)

_PAGE = 2000
# Manifest records carry no meaning as vectors; Chroma needs one anyway.
_MANIFEST_VECTOR = np.ones((1, 1), dtype=np.float32)


# HNSW settings, from bench/hnsw_recall.py at 458,724 sentence vectors (a 100k-chunk store):
# recall@10 against exact search 0.881 with Chroma's M=16 at ef_search 200, 0.950 at 800;
# 0.984 with M=32 at ef_search 800, for 2.8 ms a query. M (max_neighbors) and
# ef_construction are fixed when a collection is made; ef_search is raised on open.
EF_CONSTRUCTION, EF_SEARCH, MAX_NEIGHBORS = 200, 800, 32

_HNSW_CONFIG: CreateHNSWConfiguration = {
    "space": "cosine",
    "ef_construction": EF_CONSTRUCTION,
    "ef_search": EF_SEARCH,
    "max_neighbors": MAX_NEIGHBORS,
}


def _tune_search(collection: Collection) -> None:
    """Give a collection made with older settings this version's ef_search."""
    current = (collection.configuration or {}).get("hnsw") or {}
    if current.get("ef_search") != EF_SEARCH:
        collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})


def chunk_id(article_id: str, article_hash: str, index: int) -> str:
    key = hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:16]
    return f"{key}:{article_hash[:12]}:{index:05d}"


def open_client(settings: StoreSettings) -> ClientAPI:
    """The embedded store under the data dir, or a server when CHROMA_HOST is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain exceptions for connection errors
        where = (
            f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
            if settings.chroma_host
            else f"the store in {settings.data_dir / 'chroma'}"
        )
        raise StoreUnavailableError(f"Cannot open {where}: {exc}") from exc


def _location(settings: StoreSettings) -> str:
    if settings.chroma_host:
        return f"chroma server {settings.chroma_host}:{settings.chroma_port}"
    return str((settings.data_dir / "chroma").resolve())


class ChromaStore:
    """Articles and their chunks in Chroma, with the manifest that makes updates atomic."""

    def __init__(self, settings: StoreSettings, model_name: str) -> None:
        self._settings = settings
        self._model_name = model_name
        self._location = _location(settings)
        self._client = open_client(settings)
        self._chunks, self._articles, self._sentences = self._open_collections()
        self._check_model()
        self._max_batch = max(1, min(self._client.get_max_batch_size(), 1000))

    def _open_collections(self) -> tuple[Collection, Collection, Collection]:
        name = self._settings.chroma_collection
        try:
            chunks = self._client.get_or_create_collection(
                f"{name}_chunks",
                metadata={"embedding_model": self._model_name},
                configuration={"hnsw": _HNSW_CONFIG},
                embedding_function=None,
            )
            articles = self._client.get_or_create_collection(f"{name}_articles", embedding_function=None)
            sentences = self._client.get_or_create_collection(
                f"{name}_sentences",
                configuration={"hnsw": _HNSW_CONFIG},
                embedding_function=None,
            )
            for collection in (chunks, sentences):
                _tune_search(collection)
        except Exception as exc:
            raise StoreUnavailableError(f"Cannot open {self._location}: {exc}") from exc
        return chunks, articles, sentences

    def _check_model(self) -> None:
        recorded = (self._chunks.metadata or {}).get("embedding_model")
        if recorded and recorded != self._model_name:
            raise ModelMismatchError(
                f"This store was built with the embedding model {recorded!r}, but "
                f"EMBEDDING_MODEL is {self._model_name!r}. Vectors from two models cannot "
                "be compared: use the same model, or a new NEWSDESK_DATA_DIR / "
                "CHROMA_COLLECTION for the new one and ingest again."
            )

    def check_dimension(self, dimension: int) -> None:
        """Record the model's dimension on first use; refuse a different one later."""
        meta = dict(self._chunks.metadata or {})
        recorded = meta.get("dimension")
        if recorded is None:
            meta["dimension"] = dimension
            meta.setdefault("embedding_model", self._model_name)
            meta.pop("hnsw:space", None)
            self._chunks.modify(metadata=meta)
        elif int(recorded) != dimension:
            raise ModelMismatchError(
                f"This store holds {recorded}-dimensional vectors, but the model "
                f"{self._model_name!r} makes {dimension}-dimensional ones."
            )

    @property
    def location(self) -> str:
        return self._location

    # -- the manifest ----------------------------------------------------------------

    def generation(self) -> str:
        """Changes whenever visible content changes; readers use it to refresh caches."""
        got = self._articles.get(ids=[GENERATION_ID], include=["metadatas"])
        metas = got["metadatas"] or []
        return str(metas[0]["value"]) if metas and metas[0] else "empty"

    def bump_generation(self) -> None:
        self._articles.upsert(
            ids=[GENERATION_ID],
            embeddings=_MANIFEST_VECTOR,
            metadatas=[{"value": uuid.uuid4().hex, "kind": "generation"}],
        )

    def records(self, ids: Sequence[str] | None = None) -> dict[str, ArticleRecord]:
        """Manifest records by article id: all of them, or those of `ids` that exist."""
        out: dict[str, ArticleRecord] = {}
        if ids is not None:
            for start in range(0, len(ids), _PAGE):
                got = self._articles.get(ids=list(ids[start : start + _PAGE]), include=["metadatas"])
                out.update(records_from(got["ids"], got["metadatas"]))
            return out
        for got in self._pages(self._articles, ["metadatas"]):
            out.update(records_from(got["ids"], got["metadatas"]))
        return out

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
            part = list(article_ids[start : start + 100])
            where: Any = {"article_id": {"$in": part}}
            got = self._chunks.get(where=where, include=["metadatas"])
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
        """Add the new sentences and chunks, flip the manifest to them, drop the old ones.

        Sentences go first: once any chunk of a version exists, all its sentences do. The
        records of many articles go in shared batches (Chroma writes 1,000 rows in one call
        much faster than in 12 calls of 80); each article still becomes visible only when
        its manifest record flips, after all its rows are written.
        """
        ids = [[chunk_id(w.article.id, w.article.hash, c.index) for c in w.chunks] for w in writes]
        sentences = [
            row
            for w, chunk_ids in zip(writes, ids, strict=True)
            for row in sentence_rows(w.article, w.chunks, chunk_ids, w.sentence_vectors)
        ]
        self._upsert(self._sentences, sentences)
        chunks = [
            (cid, vector, c.text, chunk_meta(w.article, c))
            for w, chunk_ids in zip(writes, ids, strict=True)
            for cid, c, vector in zip(chunk_ids, w.chunks, w.vectors, strict=True)
        ]
        self._upsert(self._chunks, chunks)
        self._articles.upsert(
            ids=[w.article.id for w in writes],
            embeddings=np.repeat(_MANIFEST_VECTOR, len(writes), axis=0),
            metadatas=[article_meta(w.article, len(w.chunks)) for w in writes],  # type: ignore[misc]
        )
        stored = self.chunk_ids_of([w.article.id for w in writes])
        for w, chunk_ids in zip(writes, ids, strict=True):
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
        """Delete the article's chunks (and their sentences) that are not in `keep`."""
        stale = sorted(self.chunk_ids_of([article_id])[article_id] - keep)
        self._delete_chunks(stale)
        return len(stale)

    def _delete_chunks(self, stale: Sequence[str]) -> None:
        for start in range(0, len(stale), self._max_batch):
            part = list(stale[start : start + self._max_batch])
            where: Any = {"chunk_id": {"$in": part}}
            self._sentences.delete(where=where)
            self._chunks.delete(ids=part)

    def sentences_of(
        self, chunk_ids: Sequence[str], counts: Sequence[int] | None = None
    ) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        """Stored (start, end, vector) of each chunk's sentences, in text order. With the
        chunks' sentence counts the records are fetched by id (an index look-up); without,
        by a metadata filter, which scans and grows with the store."""
        out: dict[str, list[tuple[int, int, np.ndarray]]] = {c: [] for c in chunk_ids}
        if not chunk_ids:
            return out
        if counts is not None and all(counts):
            ids = [f"{cid}:{k:03d}" for cid, n in zip(chunk_ids, counts, strict=True) for k in range(n)]
            got = self._sentences.get(ids=ids, include=["embeddings", "metadatas"])
        else:
            where: Any = {"chunk_id": {"$in": list(chunk_ids)}}
            got = self._sentences.get(where=where, include=["embeddings", "metadatas"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        meta: Any
        for meta, vector in zip(got["metadatas"] or [], vectors, strict=True):
            out[str(meta["chunk_id"])].append(
                (int(meta["start"]), int(meta["end"]), np.asarray(vector, dtype=np.float32))
            )
        for rows in out.values():
            rows.sort(key=lambda r: r[0])
        return out

    def delete_article(self, article_id: str) -> ArticleRecord:
        """Hide the article (manifest first), then remove its chunks."""
        record = self.record(article_id)
        self._articles.delete(ids=[article_id])
        self.remove_stale_chunks(article_id, keep=set())
        self.bump_generation()
        return record

    # -- reading ---------------------------------------------------------------------

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks by cosine similarity (1 - Chroma's cosine distance)."""
        got = self._nearest(self._chunks, vector, n, where, ["documents", "metadatas", "distances"])
        rows = zip(
            got["ids"][0],
            (got["documents"] or [[]])[0],
            (got["metadatas"] or [[]])[0],
            (got["distances"] or [[]])[0],
            strict=True,
        )
        return [(stored_chunk(cid, doc, meta), 1.0 - float(dist)) for cid, doc, meta, dist in rows]

    def query_sentences(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[SentenceHit]:
        """Nearest sentences by cosine similarity, with the chunk and version they belong to."""
        got = self._nearest(self._sentences, vector, n, where, ["metadatas", "distances"])
        rows = zip((got["metadatas"] or [[]])[0], (got["distances"] or [[]])[0], strict=True)
        return [
            SentenceHit(str(m["chunk_id"]), str(m["article_id"]), str(m["hash"]), 1.0 - float(d))
            for m, d in rows
        ]

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
        for got in self._pages(self._chunks, ["documents", "metadatas"]):
            for cid, doc, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            ):
                yield stored_chunk(cid, doc, meta)

    def chunks_of(self, article_id: str) -> list[StoredChunk]:
        got = self._chunks.get(where={"article_id": article_id}, include=["documents", "metadatas"])
        chunks = [
            stored_chunk(cid, doc, meta)
            for cid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        ]
        return sorted(chunks, key=lambda c: (c.hash, c.index))

    def embeddings_of(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        got = self._chunks.get(ids=list(ids), include=["embeddings"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return {cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(got["ids"], vectors, strict=True)}

    def stats(self) -> StoreStats:
        records = self.records()
        dates = [r.date for r in records.values() if r.date]
        dim = (self._chunks.metadata or {}).get("dimension")
        return StoreStats(
            articles=len(records),
            chunks=sum(r.n_chunks for r in records.values()),
            embedding_model=str((self._chunks.metadata or {}).get("embedding_model", self._model_name)),
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
