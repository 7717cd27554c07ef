"""Bring a host's rows (lexical_store.py) and chunk index (chunk_index.py) up to the
manifest: after another host wrote to a Chroma server, or for a store written before they
existed (or in an older layout). The articles they lack are read back from Chroma by id
(chunk ids follow from the manifest record: texts, vectors and sentence vectors), so the
cost is that of what changed, plus one comparison of the manifest with the rows'
versions."""

from __future__ import annotations

import logging

from vectorstore.chroma.store import ChromaStore, chunk_id
from vectorstore.models import ArticleRecord
from vectorstore.replica.chunk_index import INDEXED_KEY

log = logging.getLogger(__name__)

_ARTICLES_PER_STEP = 200
_CHUNKS_PER_GET = 2000


def catch_up_lexical(store: ChromaStore, records: dict[str, ArticleRecord]) -> int:
    """Index what the manifest `records` name and the index lacks; drop what it no longer
    names. Returns how many articles were indexed. `records` only says where to look: each
    article's version is re-read under the index's guard, so a manifest read just before a
    writer's flip cannot put the old version back."""
    lexical = store.rows
    stale, gone = lexical.behind({a: r.hash for a, r in records.items()})
    if not stale and not gone:
        return 0
    with lexical.guard():
        current = store.records(stale + gone)
        mine = lexical.versions()
        index = [current[a] for a in stale + gone if a in current and mine.get(a) != current[a].hash]
        remove = [a for a in stale + gone if a not in current and a in mine]
        for start in range(0, len(index), _ARTICLES_PER_STEP):
            _index(store, index[start : start + _ARTICLES_PER_STEP])
        lexical.publish((a, None) for a in remove)
        store.chunk_index.catch_up(lexical)
    log.info("lexical index caught up: %d articles indexed, %d removed", len(index), len(remove))
    return len(index)


def _index(store: ChromaStore, part: list[ArticleRecord]) -> None:
    ids = [chunk_id(r.id, r.hash, i) for r in part for i in range(r.n_chunks)]
    for first in range(0, len(ids), _CHUNKS_PER_GET):
        store.rows.add(store.passage_rows(ids[first : first + _CHUNKS_PER_GET]))
    store.rows.publish((r.id, r.hash) for r in part)


def catch_up_index(store: ChromaStore) -> int:
    """Bring the chunk index up to the host's rows when it lags them (a write killed between
    its rows and its index, a deleted or damaged file); the number of rows added."""
    rows = store.rows
    index = store.chunk_index
    if (
        rows.meta(INDEXED_KEY) >= rows.last_seq()
        and not index.damaged
        and (index.path.exists() or not len(rows))
    ):
        return 0
    with rows.guard():
        return index.catch_up(rows)
