"""Store format 3 -> 4: each chunk's sentence vectors move from `<name>_sentences` (one
record per sentence, with its own HNSW index) into the chunk's own metadata
(`metadata.SENTENCES_KEY`), and the sentence collection is emptied.

Why: an embedded Chroma loads a collection's whole HNSW index into any process that writes
to it or reads from it. Nothing searches the sentence vectors in Chroma any more (answering
reads the host's rows, dense.py), yet every writer loaded their index: about 1 GB at 100k
chunks, in the bot too when it ingests from a feed. The writer that stamps the store runs
this under the writer lock; a run cut off is taken up by the next writer (chunks already
carrying their sentences are skipped), and readers meanwhile read a chunk's sentences from
whichever place holds them (ChromaStore.sentences_of).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorstore.metadata import SENTENCES_KEY, sentence_ids
from vectorstore.passages import Sentences, sentences_field

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

_PAGE = 1000  # chunks a step
_GET = 5000  # sentence records a get


def legacy_sentences(
    sentences: Collection, chunk_ids: Sequence[str], counts: Sequence[int]
) -> dict[str, Sentences]:
    """(start, end, vector) of each chunk's sentences in the sentence collection (format 3
    and older), in text order, fetched by id from the chunks' sentence counts."""
    out: dict[str, Sentences] = {c: [] for c in chunk_ids}
    ids = sentence_ids(chunk_ids, counts)
    for first in range(0, len(ids), _GET):
        got = sentences.get(ids=ids[first : first + _GET], include=["embeddings", "metadatas"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        meta: Any
        for meta, vector in zip(got["metadatas"] or [], vectors, strict=True):
            out[str(meta["chunk_id"])].append(
                (int(meta["start"]), int(meta["end"]), np.asarray(vector, dtype=np.float32))
            )
    for rows in out.values():
        rows.sort(key=lambda r: r[0])
    return out


def move_sentences(chunks: Collection, sentences: Collection) -> int:
    """Give every chunk that lacks them its sentences from the sentence collection; the
    number of chunks given them. The caller empties the collection afterwards."""
    if not sentences.count():
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
            if meta and SENTENCES_KEY not in meta
        }
        found = legacy_sentences(sentences, list(need), list(need.values()))
        have = [c for c in need if found[c]]
        if have:
            chunks.update(ids=have, metadatas=[{SENTENCES_KEY: sentences_field(found[c])} for c in have])
            moved += len(have)
        log.info("store format 4: sentences moved into %d chunks so far", moved)
    return moved
