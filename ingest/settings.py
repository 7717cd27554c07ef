"""Settings for ingest: the store's, plus chunking, fetching and the limits on one input."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, ValidationError, field_validator, model_validator

from ingest.fetching.addresses import AllowList
from vectorstore import StoreSettings


class IngestSettings(StoreSettings):
    sections: ClassVar[dict[str, str]] = {"chunk_tokens": "Ingest"}

    chunk_tokens: int = Field(default=200, ge=32, description="Chunk size, in the embedding model's tokens.")
    chunk_overlap_tokens: int = Field(
        default=40, ge=0, description="Tokens a chunk shares with the one before it (below CHUNK_TOKENS)."
    )
    fetch_timeout_s: float = Field(
        default=20.0,
        gt=0,
        le=600,
        description="The deadline of a whole fetch (name look-up, connect, headers, body, every redirect); "
        "a feed's pages are fetched within 3 times it.",
    )
    fetch_max_bytes: int = Field(default=10_000_000, gt=0, description="Largest page or file fetched.")
    fetch_workers: int = Field(default=6, ge=1, le=32, description="Feed entry pages fetched at once.")
    fetch_allow_private: str = Field(
        default="",
        description="Host names and addresses or CIDRs (comma-separated) that the operator's fetches may "
        "reach although private, link-local or a cloud's metadata service: an intranet feed's pages. "
        "Never used for a Discord server's fetches.",
    )
    max_file_bytes: int = Field(
        default=50_000_000,
        gt=0,
        description="Largest local file read (bigger files are refused with a reason).",
    )
    max_article_chars: int = Field(
        default=200_000,
        ge=1_000,
        description="Longest article text kept (after cleaning); a longer text is refused with a reason, "
        "never cut.",
    )
    feed_max_entries: int = Field(default=50, ge=1, description="Entries read from one feed.")
    ingest_flush_chunks: int = Field(
        default=1024,
        ge=1,
        description="Chunks embedded together (across articles, sorted by length) and written per batch. "
        "Each batch is published when written: a running bot answers from it while the rest of the run "
        "is embedded, and a run killed between batches keeps them (the next run skips them).",
    )
    ingest_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How far `newsdesk ingest` and `newsdesk watch` lower their CPU priority (0: not at "
        "all), so that a bot answering on the same machine keeps its speed while they embed.",
    )
    user_agent: str = Field(
        default="newsdesk/0.1 (+https://github.com/newsdesk)", description="User-Agent sent when fetching."
    )
    feed_polling: bool = Field(
        default=True,
        description="Whether this process may be the fleet's feed poller (one at a time, by lease). Turn "
        "it off on hosts whose NEWSDESK_DATA_DIR does not hold the fleet's feeds.sqlite3.",
    )

    @field_validator("fetch_allow_private")
    @classmethod
    def _allow_list(cls, value: str) -> str:
        AllowList.parse(value)  # a ValueError names the entry
        return value

    @property
    def allow_private(self) -> AllowList:
        """FETCH_ALLOW_PRIVATE, parsed."""
        return AllowList.parse(self.fetch_allow_private)

    @property
    def poll_tick_s(self) -> float:
        """How often a process looks for due feeds, or for a free poller lease: a third of
        the lease, at most a minute (a dead poller's lease is taken over within a tick)."""
        return min(60.0, self.poller_lease_s / 3)

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> IngestSettings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError(
                f"CHUNK_OVERLAP_TOKENS ({self.chunk_overlap_tokens}) must be smaller than "
                f"CHUNK_TOKENS ({self.chunk_tokens})"
            )
        return self


def settings_error_line(exc: ValidationError) -> str:
    """One line naming each bad setting as its environment variable, and why."""
    parts = []
    for error in exc.errors():
        name = ".".join(str(p) for p in error.get("loc", ())).upper()
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        given = error.get("input")
        shown = f" (got {given!r:.40})" if name and isinstance(given, str | int | float) else ""
        parts.append(f"{name}: {message}{shown}" if name else message)
    return "invalid settings: " + "; ".join(parts)
