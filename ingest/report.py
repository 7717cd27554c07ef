"""What an ingest run reports: each item's outcome, the counts, and progress while it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["added", "updated", "unchanged", "skipped", "failed"]


@dataclass(frozen=True)
class Outcome:
    source: str
    status: Status
    article_id: str | None = None
    title: str | None = None
    chunks: int = 0
    reason: str | None = None


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    chunks_embedded: int = 0
    embed_seconds: float = 0.0
    load_seconds: float = 0.0  # loading (or, the first time, exporting) the model
    fetch_seconds: float = 0.0  # fetching pages and feeds before the run's first write
    seconds: float = 0.0  # the whole run

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def article_ids(self) -> list[str]:
        """The articles stored or found unchanged by this run."""
        kept = ("added", "updated", "unchanged")
        return [o.article_id for o in self.outcomes if o.status in kept and o.article_id]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def chunks_per_second(self) -> float:
        working = self.seconds - self.load_seconds - self.fetch_seconds
        return self.chunks_embedded / working if working > 0 else 0.0


@dataclass(frozen=True)
class Progress:
    items: int
    chunks_embedded: int
    seconds: float


ProgressCallback = Callable[[Progress], None]
