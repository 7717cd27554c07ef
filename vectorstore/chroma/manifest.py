"""The manifest: `<name>_articles`, one record per article naming the content hash whose
chunks are visible, plus the markers (coordination.py) and, on a server, the writer lease.

A chunk is visible only when its hash matches its article's record, so an update writes
the new chunks first (invisible), flips the record (one write), then deletes the old ones:
readers never see an article missing or doubled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vectorstore.chroma.coordination import Coordinator
from vectorstore.chroma.metadata import MARKER_IDS, ArticleWrite, article_meta, records_from
from vectorstore.errors import ArticleNotFoundError
from vectorstore.models import ArticleRecord

_PAGE = 2000
# Manifest records carry no meaning as vectors; Chroma needs one anyway.
_MANIFEST_VECTOR = np.ones((1, 1), dtype=np.float32)


class Manifest:
    def __init__(self, coord: Coordinator) -> None:
        self._coord = coord

    @property
    def _articles(self) -> Any:
        return self._coord.conn.articles  # the shared connection's (reopened when another process writes)

    # -- reading ---------------------------------------------------------------------

    def records(self, ids: Sequence[str] | None = None) -> dict[str, ArticleRecord]:
        """Records by article id: all of them, or those of `ids` that exist."""
        out: dict[str, ArticleRecord] = {}
        if ids is None:
            for got in self._coord.read(self._every_page):
                out.update(records_from(got["ids"], got["metadatas"]))
            return out
        for start in range(0, len(ids), _PAGE):
            part = list(ids[start : start + _PAGE])
            got = self._coord.read(lambda p=part: self._articles.get(ids=p, include=["metadatas"]))  # type: ignore[misc]
            out.update(records_from(got["ids"], got["metadatas"]))
        return out

    def _every_page(self) -> list[Any]:
        """Every record, a page at a time."""
        pages: list[Any] = []
        offset = 0
        while True:
            got = self._articles.get(include=["metadatas"], limit=_PAGE, offset=offset)
            if not got["ids"]:
                return pages
            pages.append(got)
            offset += len(got["ids"])

    def record(self, article_id: str) -> ArticleRecord:
        found = self.records([article_id])
        if article_id not in found:
            raise ArticleNotFoundError(f"No article with id {article_id!r} is in the store.")
        return found[article_id]

    def records_since(self, seq: int) -> dict[str, ArticleRecord]:
        """The records written by write `seq` or later: what changed since a snapshot taken
        at `seq` (deletions: compare article_ids())."""
        where: Any = {"wseq": {"$gte": seq}}
        got = self._coord.read(lambda: self._articles.get(where=where, include=["metadatas"]))
        return records_from(got["ids"], got["metadatas"])

    def article_ids(self) -> set[str]:
        """The ids of every article (no metadata read: cheap)."""
        got = self._coord.read(lambda: self._articles.get(include=[]))
        return {i for i in got["ids"] if i not in MARKER_IDS}

    # -- writing (inside the coordinator's write scope) -------------------------------

    def flip(self, writes: Sequence[ArticleWrite], seq: int, fence: int = 0) -> dict[str, ArticleRecord]:
        """Make each article's new version the visible one (one write); `fence`: the writer
        lease's fencing number (lease.py), recorded with the records it wrote. Returns the
        records as a reader reads them back."""
        fenced: dict[str, str | int] = {"fence": fence} if fence else {}
        ids = [w.article.id for w in writes]
        metas = [article_meta(w.article, len(w.chunks), seq) | fenced for w in writes]
        self._articles.upsert(
            ids=ids, embeddings=np.repeat(_MANIFEST_VECTOR, len(writes), axis=0), metadatas=metas
        )
        return records_from(ids, [{k: v for k, v in m.items() if v is not None} for m in metas])

    def remove(self, article_id: str) -> None:
        self._articles.delete(ids=[article_id])
