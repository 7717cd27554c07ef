"""What a question may read: some sources, a date range, some scopes (a Discord server's
articles and the global ones), some articles (a story's, a poll round's)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vectorstore.models import GLOBAL_SCOPE, ArticleRecord, parse_date, parse_day


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some sources, a date range, scopes (server ids), and articles."""

    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    scopes: tuple[str, ...] = ()
    articles: frozenset[str] = frozenset()  # only these articles (none: any)
    # the bounds as ISO days, read once: admits() runs for every hit of every search
    _first: str = field(default="", init=False, repr=False, compare=False)
    _last: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            raw = getattr(self, name)
            if raw is not None and parse_day(raw) is None:
                raise ValueError(f"{name} must be a date like 2023-06-30, not {raw!r}")
        object.__setattr__(self, "_first", parse_date(self.since) or "" if self.since else "")
        object.__setattr__(self, "_last", parse_date(self.until) or "" if self.until else "")

    def admits(self, record: ArticleRecord) -> bool:
        if self.articles and record.id not in self.articles:
            return False
        if self.sources and record.source not in self.sources:
            return False
        if self.scopes and record.scope not in self.scopes:
            return False
        if self.since or self.until:
            if record.date is None:
                return False
            if self.since and record.date < self._first:
                return False
            if self.until and record.date > self._last:
                return False
        return True

    @classmethod
    def for_guild(cls, guild_id: int | None) -> Filters:
        scopes = (GLOBAL_SCOPE,) if guild_id is None else (GLOBAL_SCOPE, str(guild_id))
        return cls(scopes=scopes)
