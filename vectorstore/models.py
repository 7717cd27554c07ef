"""The core types shared by ingest, the store, and the answering core."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

GLOBAL_SCOPE = "global"


def content_hash(text: str, title: str = "") -> str:
    """A stable hash of what gets embedded and shown: the clean text and the title."""
    digest = hashlib.sha256()
    digest.update(title.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def parse_date(value: object) -> str | None:
    """Normalise a date-ish value to ISO 8601 (YYYY-MM-DD), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    for candidate in (text, text[:10]):
        try:
            return datetime.fromisoformat(candidate.replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            continue
    return None


def parse_day(value: str) -> str | None:
    """A day a person typed (`--since`, `/ask since`): an ISO date and nothing after it
    ("2023-06-01garbage" is not one, though parse_date reads its first ten characters)."""
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def date_to_ts(iso: str | None) -> int | None:
    """Seconds since the epoch at midnight UTC of an ISO date (for range filters)."""
    if not iso:
        return None
    day = date.fromisoformat(iso)
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Article:
    """One article's clean text and metadata, as ingest produces it."""

    id: str
    title: str
    text: str
    url: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None
    scope: str = GLOBAL_SCOPE
    hash: str = field(default="")
    date_source: str | None = None  # "published" | "dateline" | "first_seen" (ingest/identity/dates.py)
    first_seen: str | None = None  # ISO time first ingested, kept for an article with no date
    story_id: str | None = None  # the article whose copy this is, or its own id (ingest/identity/neardup.py)
    origin: str = ""  # who supplied it (a file, a site, a feed, a Discord server): ingest/identity/ids.py
    note: str | None = None  # what ingest dropped (a date out of range): for the run summary, not stored

    def __post_init__(self) -> None:
        if not self.hash:
            object.__setattr__(self, "hash", content_hash(self.text, self.title))


@dataclass(frozen=True)
class Chunk:
    """A piece of an article's clean text; start/end are offsets into Article.text, and
    `sentences` the (start, end) offsets of its sentences, also into Article.text."""

    article_id: str
    index: int
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ArticleRecord:
    """What the store knows about an article, without its text."""

    id: str
    title: str
    hash: str
    n_chunks: int
    url: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None
    scope: str = GLOBAL_SCOPE
    ingested_at: str | None = None
    date_source: str | None = None
    first_seen: str | None = None
    story_id: str | None = None
    origin: str | None = None  # None: stored before origins were recorded (ingest/identity/ids.py)

    @property
    def story(self) -> str:
        return self.story_id or self.id


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's metadata and its scores."""

    chunk_id: str
    article: ArticleRecord
    index: int
    text: str
    start: int
    end: int
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_similarity: float | None = None


@dataclass(frozen=True)
class StoreStats:
    articles: int
    chunks: int
    embedding_model: str
    dimension: int | None
    location: str
    newest_article_date: str | None
