"""`<name>_chunks`: one record per chunk, its vector and, in its metadata, its sentences'
offsets and in-context vectors (format 4; `<name>_sentences` held them before: migrate.py).

Chunk ids are deterministic (`metadata.chunk_id`: the article, its content hash, the
chunk's position), so a run killed at any step is finished by running it again, and the
chunks of a manifest record are found by id. Answering never reads this collection (an
embedded Chroma loads its whole vector index into the process that reads it): writers
write it, and a host whose rows are behind the manifest reads chunks back from it
(replica/catch_up.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from vectorstore.chroma.coordination import Coordinator
from vectorstore.chroma.metadata import SENTENCES_KEY, Row, StoredChunk, chunk_id, stored_chunk
from vectorstore.chroma.migrate import forget_sentences, legacy_sentences
from vectorstore.models import ArticleRecord
from vectorstore.replica.passages import PassageRow, Sentences, covered, from_field

T = TypeVar("T")
_IDS_PER_WHERE = 100  # articles in one `$in` filter
_CHUNKS_PER_GET = 2000  # chunks read back in one get


class Chunks:
    def __init__(self, coord: Coordinator, max_batch: int) -> None:
        self._coord = coord
        self._max_batch = max_batch  # rows Chroma accepts in one call

    @property
    def _chunks(self) -> Any:
        return self._coord.conn.chunks

    @property
    def _sentences(self) -> Any:
        """The sentence collection of a store older than format 4 (migrate.py), else None."""
        return self._coord.conn.sentences

    # -- writing (inside the coordinator's write scope) -------------------------------

    def upsert(self, rows: Sequence[Row]) -> None:
        """(id, vector, document, metadata) rows, in batches Chroma accepts."""
        for start in range(0, len(rows), self._max_batch):
            self._coord.fence(verify=True)  # fenced (lease.py): a writer whose lease is lost stops here
            part = rows[start : start + self._max_batch]
            documents = [r[2] for r in part]
            self._chunks.upsert(
                ids=[r[0] for r in part],
                embeddings=np.stack([r[1] for r in part]),
                documents=documents if all(d is not None for d in documents) else None,
                metadatas=[r[3] for r in part],
            )

    def delete(self, stale: Sequence[str]) -> None:
        """These chunks (and an older format's sentence records of them)."""
        for start in range(0, len(stale), self._max_batch):
            self._coord.fence(verify=True)
            part = list(stale[start : start + self._max_batch])
            forget_sentences(self._sentences, part)
            self._chunks.delete(ids=part)

    # -- reading ---------------------------------------------------------------------

    def ids_of(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The ids of every stored chunk (visible or not) of each article."""
        out: dict[str, set[str]] = {a: set() for a in article_ids}
        for start in range(0, len(article_ids), _IDS_PER_WHERE):
            where: Any = {"article_id": {"$in": list(article_ids[start : start + _IDS_PER_WHERE])}}
            got = self._vector_read(lambda w=where: self._chunks.get(where=w, include=["metadatas"]))  # type: ignore[misc]
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                out[str(meta["article_id"])].add(cid)
        return out

    def intact(self, records: Sequence[ArticleRecord]) -> set[str]:
        """The ids of the articles whose stored chunks are exactly those their record names
        (a killed run or a lost write leaves some missing, or an older version's)."""
        stored = self.ids_of([r.id for r in records])
        return {r.id for r in records if stored[r.id] == set(_ids_of(r))}

    def rows_of(self, records: Sequence[ArticleRecord]) -> list[PassageRow]:
        """The host's rows of these articles' visible chunks, read back from Chroma by id
        (catch-up): text, offsets, vector and sentences."""
        ids = [cid for r in records for cid in _ids_of(r)]
        out: list[PassageRow] = []
        for first in range(0, len(ids), _CHUNKS_PER_GET):
            out += self._rows(ids[first : first + _CHUNKS_PER_GET])
        return out

    def _rows(self, ids: Sequence[str]) -> list[PassageRow]:
        """One read of documents, metadata and vectors; ids not stored are left out."""
        include: Any = ["documents", "metadatas", "embeddings"]
        got = self._vector_read(lambda: self._chunks.get(ids=list(ids), include=include))
        metas = dict(zip(got["ids"], got["metadatas"] or [], strict=True))
        chunks = [
            stored_chunk(cid, doc, metas[cid])
            for cid, doc in zip(got["ids"], got["documents"] or [], strict=True)
        ]
        sentences = self._sentences_in(metas, {c.id: c for c in chunks})
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return [
            c.row(np.asarray(v, np.float32), sentences[c.id]) for c, v in zip(chunks, vectors, strict=True)
        ]

    def _sentences_in(self, metas: dict[str, Any], chunks: dict[str, StoredChunk]) -> dict[str, Sentences]:
        """The sentences of chunks whose metadata was read: from the field (format 4 and on)
        or, for a store not yet migrated (format 3 and older, whose chunks lack the field),
        from the sentence collection; read again when a migration moved them in between.
        Sentences stored without their flags have them read from their article's text, as
        these chunks cover it."""
        out: dict[str, Sentences] = {}
        older: list[str] = []
        pages = covered(((c.article_id, c.hash), c.start, c.text) for c in chunks.values())
        for cid, meta in metas.items():
            c = chunks[cid]
            found = from_field((meta or {}).get(SENTENCES_KEY), *pages[(c.article_id, c.hash)])
            if found is None:
                older.append(cid)
            else:
                out[cid] = found
        if older:
            legacy = [chunks[c] for c in older]
            out.update(self._vector_read(lambda: legacy_sentences(self._sentences, legacy)))
            short = [c for c in older if len(out[c]) < chunks[c].n_sentences]
            if short:  # moved by a migration between the two reads: in the metadata now
                again = self._vector_read(lambda: self._chunks.get(ids=short, include=["metadatas"]))
                for cid, meta in zip(again["ids"], again["metadatas"] or [], strict=True):
                    c = chunks[cid]
                    page = pages[(c.article_id, c.hash)]
                    out[cid] = from_field((meta or {}).get(SENTENCES_KEY), *page) or out[cid]
        return out

    def _vector_read(self, fn: Callable[[], T]) -> T:
        """A read of the chunk or sentence collection: an embedded Chroma loads its whole
        vector index for it, which `Coordinator.release` lets go of later."""
        got = self._coord.read(fn)
        self._coord.conn.vectors_loaded = True
        return got


def _ids_of(record: ArticleRecord) -> list[str]:
    """The ids of the chunks an article's record names as visible."""
    return [chunk_id(record.id, record.hash, i) for i in range(record.n_chunks)]
