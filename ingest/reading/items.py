"""What every item of a run is — an article with its scope and origin, or a `Failure` with a
one-line reason — and the options a run reads its sources with."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ingest.errors import SourceError
from ingest.fetching import FetchPolicy
from ingest.identity.ids import is_global, scope_origin
from ingest.limits import Limits, one_line
from vectorstore import GLOBAL_SCOPE, Article


@dataclass(frozen=True)
class Failure:
    source: str
    reason: str


Item = Article | Failure


@dataclass(frozen=True)
class SourceOptions:
    fetch: FetchPolicy
    max_file_bytes: int = 25_000_000
    feed_max_entries: int = 50
    scope: str = GLOBAL_SCOPE
    limits: Limits = field(default_factory=Limits)
    fetch_workers: int = 6  # feed entry pages fetched at once

    def origin(self, own: str) -> str:
        """Who supplied an item: its own origin for the operator, else the Discord server."""
        return own if is_global(self.scope) else scope_origin(self.scope)

    def stamp(self, article: Article, own_origin: str) -> Article:
        return replace(article, scope=self.scope, origin=self.origin(own_origin))


def reason(exc: BaseException) -> str:
    """An exception as the one-line reason of its item."""
    text = str(exc) if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
    return one_line(text)
