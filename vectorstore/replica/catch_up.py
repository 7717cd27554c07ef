"""Bring a host's rows (rows.py) and chunk index (chunk_index.py) up to the manifest: after
another host wrote to a Chroma server, or for a store written before they existed (or in
an older layout). The articles they lack are read back from Chroma by id (texts, vectors
and sentence vectors: `Source.rows_of`), so the cost is that of what changed, plus one
comparison of the manifest with the rows' versions."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from vectorstore.models import ArticleRecord
from vectorstore.replica.chunk_index import ChunkIndex
from vectorstore.replica.passages import PassageRow
from vectorstore.replica.rows import ChunkRows

log = logging.getLogger(__name__)

_ARTICLES_PER_STEP = 200


class Source(Protocol):
    """What a catch-up reads from the store's source of truth (the Chroma side)."""

    def records(self, ids: Sequence[str]) -> dict[str, ArticleRecord]:
        """The manifest records of these articles that exist, read now."""
        ...

    def rows_of(self, records: Sequence[ArticleRecord]) -> list[PassageRow]:
        """The rows of these records' visible chunks."""
        ...


def catch_up(source: Source, rows: ChunkRows, index: ChunkIndex, records: dict[str, ArticleRecord]) -> int:
    """Index what the manifest `records` name and the rows lack; drop what it no longer
    names. Returns how many articles were indexed. `records` only says where to look: each
    article's version is re-read under the rows' guard, so a manifest read just before a
    writer's flip cannot put the old version back."""
    stale, gone = rows.behind({a: r.hash for a, r in records.items()})
    if not stale and not gone:
        return 0
    with rows.guard():
        current = source.records(stale + gone)
        mine = rows.versions()
        index_them = [current[a] for a in stale + gone if a in current and mine.get(a) != current[a].hash]
        remove = [a for a in stale + gone if a not in current and a in mine]
        for start in range(0, len(index_them), _ARTICLES_PER_STEP):
            part = index_them[start : start + _ARTICLES_PER_STEP]
            rows.add(source.rows_of(part))
            rows.publish(((r.id, r.hash) for r in part), records={r.id: r for r in part})
        rows.publish(((a, None) for a in remove), records={})
        index.catch_up()
    log.info("host rows caught up: %d articles indexed, %d removed", len(index_them), len(remove))
    return len(index_them)
