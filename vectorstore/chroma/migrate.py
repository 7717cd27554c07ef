"""Store format 3 -> 4: each chunk's sentence vectors move from `<name>_sentences` (one
record per sentence, with its own HNSW index) into the chunk's own metadata
(`metadata.SENTENCES_KEY`), then the collection is dropped. Format 4 -> 5: each chunk's
field is written again with its sentences' furniture flags (vectorstore/furniture.py),
read from the chunk's text; one pass over the chunks does both (`move_sentences`).

Why: an embedded Chroma loads a collection's whole HNSW index into any process that writes
to it or reads from it. Nothing searches the sentence vectors in Chroma any more (answering
reads the host's rows, dense.py), yet every writer loaded their index: about 1 GB at 100k
chunks, in the bot too when it ingests from a feed. The writer that stamps the store runs
this under the writer lock and, as one write, the load guard (load_guard.py: a process
opening the store meanwhile waits for it, once in a store's life); a run cut off is
taken up by the next writer (chunks already carrying their sentences are skipped).
Dropped, not emptied: an emptied collection keeps its HNSW files, which a writer's
deletes would load whole again. A process that opened
the store before (here or on another host) keeps a handle that now fails with
NotFoundError: this code takes that as "no sentence records" (`forget_sentences`,
`legacy_sentences`), and a format-3 process still running fails its next write instead of
writing sentences where nobody reads them. Readers meanwhile read a chunk's sentences from
whichever place holds them (chunks.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorstore.chroma.format import FORMAT_VERSION
from vectorstore.chroma.metadata import SENTENCES_KEY, StoredChunk, sentence_ids, stored_chunk
from vectorstore.replica.passages import (
    Sentences,
    covered,
    field_flagged,
    flagged,
    from_field,
    sentences_field,
)

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

_PAGE = 1000  # chunks a step
_GET = 5000  # sentence records a get


def legacy_sentences(sentences: Collection | None, chunks: Sequence[StoredChunk]) -> dict[str, Sentences]:
    """The sentences of these chunks in the sentence collection (format 3 and older), in
    text order, fetched by id from the chunks' sentence counts, their flags read from their
    article's text as these chunks cover it; none when the collection is gone (migrated)."""
    from chromadb.errors import NotFoundError

    found: dict[str, list[tuple[int, int, np.ndarray]]] = {c.id: [] for c in chunks}
    ids = sentence_ids([c.id for c in chunks], [c.n_sentences for c in chunks])
    for first in range(0, len(ids) if sentences is not None else 0, _GET):
        try:
            got = sentences.get(ids=ids[first : first + _GET], include=["embeddings", "metadatas"])  # type: ignore[union-attr]
        except NotFoundError:
            break
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        meta: Any
        for meta, vector in zip(got["metadatas"] or [], vectors, strict=True):
            found[str(meta["chunk_id"])].append(
                (int(meta["start"]), int(meta["end"]), np.asarray(vector, dtype=np.float32))
            )
    pages = covered(((c.article_id, c.hash), c.start, c.text) for c in chunks)
    out: dict[str, Sentences] = {}
    for c in chunks:
        rows = sorted(found[c.id], key=lambda r: r[0])
        page = pages[(c.article_id, c.hash)]
        out[c.id] = flagged([(s, e) for s, e, _ in rows], [v for _, _, v in rows], *page)
    return out


def forget_sentences(sentences: Collection | None, chunk_ids: Sequence[str]) -> None:
    """Delete these chunks' records in the sentence collection of a store not yet
    migrated (nothing once it is gone)."""
    from chromadb.errors import NotFoundError

    if sentences is not None:
        with contextlib.suppress(NotFoundError):
            where: Any = {"chunk_id": {"$in": list(chunk_ids)}}
            sentences.delete(where=where)


def move_sentences(chunks: Collection, sentences: Collection | None) -> int:
    """Give every chunk its sentences with their flags (format 5): from the sentence
    collection when its metadata lacks them (format 3 and older; the field even when it
    has none: a chunk without it is read from the collection), with the flags read from
    its text when its field has none (format 4). The number of chunks given them. The
    caller drops the collection afterwards."""
    moved = offset = 0
    while True:
        got = chunks.get(include=["metadatas", "documents"], limit=_PAGE, offset=offset)
        if not got["ids"]:
            break
        offset += len(got["ids"])
        rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        need = [
            (stored_chunk(cid, doc, meta), meta.get(SENTENCES_KEY))
            for cid, doc, meta in rows
            if meta is not None and not field_flagged(meta.get(SENTENCES_KEY))
        ]
        found = legacy_sentences(sentences, [c for c, value in need if value is None])
        pages = covered(((c.article_id, c.hash), c.start, c.text) for c, _ in need)
        for c, value in need:
            found[c.id] = found.get(c.id) or from_field(value, *pages[(c.article_id, c.hash)]) or []
        if need:
            ids = [c.id for c, _ in need]
            chunks.update(ids=ids, metadatas=[{SENTENCES_KEY: sentences_field(found[c])} for c in ids])
            moved += len(need)
            log.info("store format %d: sentences moved into %d chunks so far", FORMAT_VERSION, moved)
    return moved


def drop_sentences(client: ClientAPI, name: str) -> None:
    from chromadb.errors import NotFoundError

    with contextlib.suppress(NotFoundError):  # another writer on another host dropped it first
        client.delete_collection(name)
