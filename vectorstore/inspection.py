"""What a store holds, read as tests and benches read it: the one place they look inside a
ChromaStore (through `ChromaStore.parts`), so that no test reaches into its private state.
The program never needs these reads: it answers through snapshots and writes through
`write_articles` and `delete_article`.

- Chroma's own records: every chunk (`iter_chunks`), an article's (`chunks_of`), their
  vectors and sentences, a nearest-neighbour query of the chunk collection, the stored
  chunk ids, the markers a write moves (`marker`, `write_seq`), the manifest records of
  later writes and its ids.
- `collections`: Chroma's own collection handles, for a test that writes what another
  program (an older version, a lost write) would have left in the store, through Chroma's
  API. The store is not told: it finds what changed as it would find another process's
  write.
- This host's read copy: its rows (`host_rows`) and chunk index (`chunk_index`).

Reads of the chunk collection load its vector index into an embedded store's process, as
the store's own catch-up reads do: they are counted as such (`ChromaStore.holds_vectors`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from vectorstore.chroma.metadata import StoredChunk, stored_chunk
from vectorstore.models import ArticleRecord
from vectorstore.replica.passages import Sentences

if TYPE_CHECKING:
    from vectorstore.chroma.store import ChromaStore
    from vectorstore.replica.chunk_index import ChunkIndex
    from vectorstore.replica.rows import ChunkRows

T = TypeVar("T")
_PAGE = 2000


@dataclass(frozen=True)
class Collections:
    """Chroma's client and collections of a store, as the store has them open now."""

    client: Any
    chunks: Any
    articles: Any
    sentences: Any  # a store older than format 4 only; None after its migration


def collections(store: ChromaStore) -> Collections:
    conn = store.parts.coord.conn
    return Collections(conn.client, conn.chunks, conn.articles, conn.sentences)


def _chunk_read(store: ChromaStore, fn: Callable[[Any], T]) -> T:
    """A read of the chunk collection, as the store reads it (chunks.py: through the gate,
    counted as loading the vectors)."""
    coord = store.parts.coord
    got = coord.read(lambda: fn(coord.conn.chunks))
    coord.conn.vectors_loaded = True
    return got


def iter_chunks(store: ChromaStore) -> Iterator[StoredChunk]:
    """Every chunk record, visible or not, a page at a time."""
    include: Any = ["documents", "metadatas"]

    def page(at: int) -> Any:
        return _chunk_read(store, lambda c: c.get(include=include, limit=_PAGE, offset=at))

    offset = 0
    while True:
        got = page(offset)
        if not got["ids"]:
            return
        rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        yield from (stored_chunk(cid, doc, meta) for cid, doc, meta in rows)
        offset += len(got["ids"])


def chunk_ids(store: ChromaStore) -> set[str]:
    """The ids of every chunk record Chroma holds."""
    return set(_chunk_read(store, lambda c: c.get(include=[]))["ids"])


def chunks_of(store: ChromaStore, article_id: str) -> list[StoredChunk]:
    """An article's chunk records (every version), by version then position."""
    include: Any = ["documents", "metadatas"]
    got = _chunk_read(store, lambda c: c.get(where={"article_id": article_id}, include=include))
    rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
    return sorted((stored_chunk(cid, doc, meta) for cid, doc, meta in rows), key=lambda c: (c.hash, c.index))


def embeddings_of(store: ChromaStore, ids: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The stored vectors of these chunks (of every chunk: None); every one is read back
    through Chroma's vector index, which fails for a row its index lost."""
    wanted = list(ids) if ids is not None else None
    got = _chunk_read(store, lambda c: c.get(ids=wanted, include=["embeddings"]))
    vectors = got["embeddings"] if got["embeddings"] is not None else []
    return {cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(got["ids"], vectors, strict=True)}


def chunk_metadata(store: ChromaStore) -> dict[str, dict[str, Any]]:
    """Every chunk record's metadata as Chroma holds it, by chunk id."""
    got = _chunk_read(store, lambda c: c.get(include=["metadatas"]))
    return {cid: dict(meta or {}) for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True)}


def sentences_of(store: ChromaStore, chunk_ids: Sequence[str], counts: Sequence[int]) -> dict[str, Sentences]:
    """Stored (start, end, vector, furniture) of each chunk's sentences in Chroma, in text order: from
    the chunk's metadata or, for a store not yet migrated to format 4, from the sentence
    collection (as a catch-up reads them: chroma/chunks.py)."""
    if not chunk_ids:
        return {}
    include: Any = ["metadatas", "documents"]
    got = _chunk_read(store, lambda c: c.get(ids=list(chunk_ids), include=include))
    metas = dict(zip(got["ids"], got["metadatas"] or [], strict=True))
    counted = dict(zip(chunk_ids, counts, strict=True))
    chunks = {
        cid: replace(stored_chunk(cid, doc, metas[cid]), n_sentences=counted[cid])
        for cid, doc in zip(got["ids"], got["documents"] or [], strict=True)
    }
    found = store.parts.chunks.sentences_in(metas, chunks)
    return {c: found.get(c, []) for c in chunk_ids}


def query(
    store: ChromaStore, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
) -> list[tuple[StoredChunk, float]]:
    """Nearest chunk records by Chroma's own index: cosine similarity (1 - distance)."""
    include: Any = ["documents", "metadatas", "distances"]
    got = _chunk_read(
        store, lambda c: c.query(query_embeddings=[vector], n_results=n, where=where or None, include=include)
    )
    rows = zip(
        got["ids"][0],
        (got["documents"] or [[]])[0],
        (got["metadatas"] or [[]])[0],
        (got["distances"] or [[]])[0],
        strict=True,
    )
    return [(stored_chunk(cid, doc, meta), 1.0 - float(dist)) for cid, doc, meta, dist in rows if meta]


def marker(store: ChromaStore, key: str) -> dict[str, Any]:
    """A marker record's metadata (metadata.GENERATION_ID, WRITE_EPOCH_ID: the value, the
    last write's number, the hold that wrote it); {} when none was written."""
    return store.parts.coord.marker_meta(key)


def write_seq(store: ChromaStore) -> int:
    """The number of the store's last write (0: none recorded)."""
    return store.parts.coord.epoch_seq()


def records_since(store: ChromaStore, seq: int) -> dict[str, ArticleRecord]:
    """The manifest records written by write `seq` or later."""
    return store.parts.manifest.records_since(seq)


def article_ids(store: ChromaStore) -> set[str]:
    """The ids of the manifest's article records (no marker among them)."""
    return store.parts.manifest.article_ids()


def host_rows(store: ChromaStore) -> ChunkRows:
    """This host's rows: every chunk it can answer from, and the version of each article it shows."""
    return store.parts.rows


def visible_rows(store: ChromaStore) -> set[str]:
    """The chunk ids of this host's rows of the versions it shows."""
    rows = store.parts.rows
    visible = rows.versions()
    return {r.chunk_id for r in rows.rows_since(0) if visible.get(r.article_id) == r.hash}


def chunk_index(store: ChromaStore) -> ChunkIndex:
    """This host's chunk index (usearch over its rows' vectors)."""
    return store.parts.index
