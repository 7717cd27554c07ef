"""What only tests and benches read or write in a store, beside them rather than in
ChromaStore: every chunk as Chroma holds it, an article's chunks, their vectors and
sentences, a nearest-neighbour query of the chunk collection, one article written alone.
They reach into the store's parts (the program never needs to)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from vectorstore.chroma.metadata import ArticleWrite, StoredChunk, stored_chunk
from vectorstore.chroma.store import ChromaStore
from vectorstore.models import Article, Chunk
from vectorstore.replica.passages import Sentences

_PAGE = 2000


def _read(store: ChromaStore, method: str, **kwargs: Any) -> Any:
    """A read of the chunk collection inside the gate, so that a background release of
    the vector indexes (the snapshot's tidying after a write) cannot stop it midway."""
    conn = store._conn
    if conn.chunks is None:  # answered from the replica so far: Chroma not opened yet
        conn.open()
    with conn.gate.shared():
        conn.vectors_loaded = True  # an embedded Chroma loads the whole index to read it
        return getattr(conn.chunks, method)(**kwargs)


def iter_chunks(store: ChromaStore) -> Iterator[StoredChunk]:
    """Every chunk record, visible or not, a page at a time."""
    offset = 0
    while True:
        got = _read(store, "get", include=["documents", "metadatas"], limit=_PAGE, offset=offset)
        if not got["ids"]:
            return
        rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        yield from (stored_chunk(cid, doc, meta) for cid, doc, meta in rows)
        offset += len(got["ids"])


def chunks_of(store: ChromaStore, article_id: str) -> list[StoredChunk]:
    """An article's chunk records (every version), by version then position."""
    got = _read(store, "get", where={"article_id": article_id}, include=["documents", "metadatas"])
    rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
    return sorted((stored_chunk(cid, doc, meta) for cid, doc, meta in rows), key=lambda c: (c.hash, c.index))


def embeddings_of(store: ChromaStore, ids: Sequence[str]) -> dict[str, np.ndarray]:
    got = _read(store, "get", ids=list(ids), include=["embeddings"])
    vectors = got["embeddings"] if got["embeddings"] is not None else []
    return {cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(got["ids"], vectors, strict=True)}


def sentences_of(store: ChromaStore, chunk_ids: Sequence[str], counts: Sequence[int]) -> dict[str, Sentences]:
    """Stored (start, end, vector, furniture) of each chunk's sentences in Chroma, in text order: from
    the chunk's metadata or, for a store not yet migrated to format 4, from the sentence
    collection (as a catch-up reads them: chroma/chunks.py)."""
    if not chunk_ids:
        return {}
    got = _read(store, "get", ids=list(chunk_ids), include=["metadatas", "documents"])
    metas = dict(zip(got["ids"], got["metadatas"] or [], strict=True))
    counted = dict(zip(chunk_ids, counts, strict=True))
    chunks = {
        cid: replace(stored_chunk(cid, doc, metas[cid]), n_sentences=counted[cid])
        for cid, doc in zip(got["ids"], got["documents"] or [], strict=True)
    }
    found = store._chunks._sentences_in(metas, chunks)
    return {c: found.get(c, []) for c in chunk_ids}


def query(
    store: ChromaStore, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
) -> list[tuple[StoredChunk, float]]:
    """Nearest chunk records by Chroma's own index: cosine similarity (1 - distance)."""
    got = _read(
        store,
        "query",
        query_embeddings=[vector],
        n_results=n,
        where=where or None,
        include=["documents", "metadatas", "distances"],
    )
    rows = zip(
        got["ids"][0],
        (got["documents"] or [[]])[0],
        (got["metadatas"] or [[]])[0],
        (got["distances"] or [[]])[0],
        strict=True,
    )
    return [(stored_chunk(cid, doc, meta), 1.0 - float(dist)) for cid, doc, meta, dist in rows if meta]


def write_article(
    store: ChromaStore,
    article: Article,
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    sentence_vectors: Sequence[np.ndarray] = (),
) -> None:
    """One article written alone (the pipeline writes them in batches)."""
    store.write_articles([ArticleWrite(article, chunks, vectors, sentence_vectors)])
