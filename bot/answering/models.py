"""What the answering core returns to its doors (Discord, the CLI, the eval)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.answering.rules import clip
from vectorstore.models import ArticleRecord, Passage

Mode = Literal["extractive", "llm", "fallback", "refused", "overview"]


@dataclass(frozen=True)
class AlsoReported:
    """Another outlet's copy of a cited story (bot/answering/news_time/stories.py)."""

    article_id: str
    title: str
    url: str | None
    source: str | None
    date: str | None


@dataclass(frozen=True)
class Citation:
    number: int
    article_id: str
    title: str
    url: str | None
    date: str | None
    quote: str
    start: int
    end: int
    also_reported_by: tuple[AlsoReported, ...] = ()  # copies of the same story
    updates: int | None = None  # a later report: the number of the citation whose figure it updates
    # the words that answer, as offsets into `quote` (bold on Discord, highlighted in the CLI)
    mark: tuple[int, int] | None = None

    @classmethod
    def of(
        cls,
        number: int,
        record: ArticleRecord,
        quote: str,
        start: int,
        *,
        max_chars: int | None = None,
        end: int | None = None,
        mark: tuple[int, int] | None = None,
        updates: int | None = None,
    ) -> Citation:
        """The one builder of a citation: `quote`, the article's text at `start`, cut to
        `max_chars` at a word, cited with its article. It ends at `end`, else where the
        quoted text ends (the ellipsis of a cut left out). `mark`, the words that answer in
        article offsets, is kept as offsets into the quote while the quote still holds it."""
        text = quote if max_chars is None else clip(quote, max_chars)
        kept = len(text.rstrip("…"))
        inside = None if mark is None or mark[1] - start > kept else (mark[0] - start, mark[1] - start)
        fields = (record.id, record.title, record.url, record.date)
        stop = start + kept if end is None else end
        return cls(number, *fields, quote=text, start=start, end=stop, updates=updates, mark=inside)


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    mode: Mode
    citations: list[Citation] = field(default_factory=list)
    as_of: str | None = None
    evidence: float = 0.0
    note: str | None = None
    passages: list[Passage] = field(default_factory=list, repr=False)
    # A near miss (refused: the articles are on topic but do not say what was asked): the
    # sentence they do have, quoted and cited, never an answer (answerability.py).
    nearest: Citation | None = None
    # The date of the article quoted when it is much older than the day asked, or when it
    # does not report the outcome asked about: the text then opens "The newest I have on
    # this is from <date>: " (news_time/current.py). `old`: the first reason (old news).
    stale: str | None = None
    old: bool = False

    def mark(self) -> tuple[int, int] | None:
        """Where the words that answer stand in `text` (a quoted answer: the first
        citation's mark), for the doors to show in bold; None when not located."""
        if self.refused or not self.citations:
            return None
        first = self.citations[0]
        at = self.text.find(first.quote) if first.mark is not None else -1
        if first.mark is None or at < 0 or (at > 0 and self.stale is None):
            return None
        return (first.mark[0] + at, first.mark[1] + at)

    def stale_lead(self) -> str:
        """The words that say the answer is old ("The newest I have on this is from ...:"),
        for the doors to show apart; "" when it is not."""
        if self.stale is None or not self.citations:
            return ""
        at = self.text.find(self.citations[0].quote)
        return self.text[:at] if at > 0 else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "as_of": self.as_of,
            "evidence": round(self.evidence, 4),
            "note": self.note,
            "citations": [asdict(c) for c in self.citations],
            "nearest": asdict(self.nearest) if self.nearest else None,
            "stale": self.stale,
            "old": self.old,
        }
