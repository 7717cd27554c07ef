"""Store format 3 -> 4: each chunk's sentence vectors move from `<name>_sentences` (one
record per sentence, with its own HNSW index) into the chunk's own metadata
(`metadata.SENTENCES_KEY`), then the collection is dropped.

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

from vectorstore.chroma.metadata import SENTENCES_KEY, sentence_ids
from vectorstore.replica.passages import Sentences, sentences_field

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

_PAGE = 1000  # chunks a step
_GET = 5000  # sentence records a get


def legacy_sentences(
    sentences: Collection | None, chunk_ids: Sequence[str], counts: Sequence[int]
) -> dict[str, Sentences]:
    """(start, end, vector) of each chunk's sentences in the sentence collection (format 3
    and older), in text order, fetched by id from the chunks' sentence counts; none when
    the collection is gone (migrated)."""
    from chromadb.errors import NotFoundError

    out: dict[str, Sentences] = {c: [] for c in chunk_ids}
    ids = sentence_ids(chunk_ids, counts)
    for first in range(0, len(ids) if sentences is not None else 0, _GET):
        try:
            got = sentences.get(ids=ids[first : first + _GET], include=["embeddings", "metadatas"])  # type: ignore[union-attr]
        except NotFoundError:
            break
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        meta: Any
        for meta, vector in zip(got["metadatas"] or [], vectors, strict=True):
            out[str(meta["chunk_id"])].append(
                (int(meta["start"]), int(meta["end"]), np.asarray(vector, dtype=np.float32))
            )
    for rows in out.values():
        rows.sort(key=lambda r: r[0])
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
    """Give every chunk that lacks them its sentences from the sentence collection (the
    field even when it has none: a chunk without it is read from the collection); the
    number of chunks given them. The caller drops the collection afterwards."""
    if sentences is None:
        return 0
    moved = offset = 0
    while True:
        got = chunks.get(include=["metadatas"], limit=_PAGE, offset=offset)
        if not got["ids"]:
            break
        offset += len(got["ids"])
        need = {
            cid: int(str(meta.get("n_sentences") or 0))
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
            if meta is not None and SENTENCES_KEY not in meta
        }
        found = legacy_sentences(sentences, list(need), list(need.values()))
        if need:
            chunks.update(
                ids=list(need), metadatas=[{SENTENCES_KEY: sentences_field(found[c])} for c in need]
            )
            moved += len(need)
            log.info("store format 4: sentences moved into %d chunks so far", moved)
    return moved


def drop_sentences(client: ClientAPI, name: str) -> None:
    from chromadb.errors import NotFoundError

    with contextlib.suppress(NotFoundError):  # another writer on another host dropped it first
        client.delete_collection(name)
