"""The articles a reader can see — the retriever's current snapshot — for listing them
(Discord's /articles)."""

from __future__ import annotations

from collections.abc import Mapping

from vectorstore.models import ArticleRecord
from vectorstore.retrieval.filters import Filters
from vectorstore.retrieval.retriever import Retriever


class Catalog:
    """The articles a reader can see (the retriever's current snapshot), for /articles."""

    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever

    def records(self) -> Mapping[str, ArticleRecord]:
        return self._retriever.records()

    def newest(self, filters: Filters) -> list[ArticleRecord]:
        """The articles the filters admit (a server's: Filters.for_guild), newest first (by
        date, then by when ingested)."""
        visible = (r for r in self.records().values() if filters.admits(r))
        return sorted(visible, key=lambda r: (r.date or "", r.ingested_at or ""), reverse=True)
