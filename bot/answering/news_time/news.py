"""What the engine asks about time and stories, in three calls:

    plan = news.plan(question, filters)  # time words -> filters; an overview, or "no articles from ..."
    ranked = news.rank(ranked, plan)     # "latest": the newest answering sentence first
    answer = news.finish(answer, ranked, plan)  # "a later report puts it at ..."; copies cited

The rules live in timeframe.py (time words, the reference day), stories.py (copies,
recency, later reports) and overview.py (lists of stories).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.answering.models import Answer
from bot.answering.news_time.current import (
    CLOSE_MARGIN,
    flagged_stale,
    long_ago,
    means_now,
    stale_lead,
)
from bot.answering.news_time.outcome import unreported
from bot.answering.news_time.overview import overview, overview_topic
from bot.answering.news_time.stories import (
    RECENCY_MARGIN,
    StoryMap,
    later_report,
    prefer_newest,
    with_later_report,
)
from bot.answering.news_time.story import story_topic, summary
from bot.answering.news_time.timeframe import (
    Clock,
    TimeFrame,
    is_dated,
    read_time,
    reference_day,
    utc_today,
)
from bot.answering.quoting.asked_for import AnswerKind, what_is_asked
from bot.answering.quoting.extractive import Candidate
from vectorstore.models import ArticleRecord
from vectorstore.retrieval import Filters, Retriever


@dataclass(frozen=True)
class Plan:
    frame: TimeFrame
    filters: Filters | None
    answer: Answer | None = None  # answered already: an overview, or no article in the window
    # a soft window (timeframe.py): where to look when nothing in it answers
    fallback: Filters | None = None
    empty: bool = False  # a soft window no article is dated in: a refusal names it
    day: date | None = None  # the day asked

    @property
    def query(self) -> str:
        return self.frame.query

    @property
    def now(self) -> bool:
        """A question about now: no time word, no year (current.py)."""
        return means_now(self.frame.query, self.frame)

    @property
    def lately(self) -> bool:
        """A question about now or about a window of relative words that runs to the day
        asked ("who won the masters this year"): its newest answering report is quoted."""
        if self.now:
            return True
        until = self.frame.filters(None, widened=True).until
        return self.frame.soft and self.day is not None and (until is None or until >= self.day.isoformat())


def _before(record: ArticleRecord, frame: TimeFrame) -> bool:
    """Whether a dated article is older than a window with its slack."""
    since = frame.filters(None, widened=True).since
    return since is not None and is_dated(record) and (record.date or "")[:10] < since[:10]


def _shifted(frame: TimeFrame, back: timedelta) -> TimeFrame:
    """The same window, `back` earlier (for /news days on a store of older news)."""

    def day(iso: str | None) -> str | None:
        return (date.fromisoformat(iso) - back).isoformat() if iso else None

    return replace(frame, since=day(frame.since), until=day(frame.until))


class NewsTime:
    def __init__(self, retriever: Retriever, min_evidence: float, clock: Clock = utc_today) -> None:
        self._retriever = retriever
        self._min_evidence = min_evidence
        self._clock = clock
        self._stories = StoryMap()
        self._lock = threading.Lock()
        self._reference: tuple[Mapping[str, ArticleRecord], date, date] | None = None

    def today(self, asked_at: date | None = None) -> date:
        """The day a question is asked: `asked_at` when given (the eval, `ask --asked-at`),
        else the clock's."""
        return asked_at or self._clock()

    def reference(self, records: Mapping[str, ArticleRecord], today: date) -> date:
        """The day time words are read against (timeframe.reference_day), per snapshot."""
        with self._lock:
            cached = self._reference
            if cached is None or cached[0] is not records or cached[1] != today:
                cached = (records, today, reference_day(records.values(), today))
                self._reference = cached
        return cached[2]

    def plan(self, question: str, filters: Filters | None, today: date) -> Plan:
        return replace(self._plan(question, filters, today), day=today)

    def _plan(self, question: str, filters: Filters | None, today: date) -> Plan:
        frame = read_time(question, today)
        named = story_topic(frame.query)
        if named is not None:
            told = self._story(question, named, frame, filters, today)
            if told is not None:
                return Plan(frame, frame.filters(filters), told)
        topic = overview_topic(frame.query)
        if not frame.window and topic is None:
            return Plan(frame, filters)  # most questions: no look at the records
        records = self._retriever.records()
        if topic is not None:
            return Plan(frame, filters, self._overview(question, topic, frame, filters, records, today))
        narrowed = frame.filters(filters, widened=True)
        dated = any(narrowed.admits(r) for r in records.values())
        if frame.soft and not dated:
            return Plan(frame, filters, empty=True)
        if frame.soft:
            return Plan(frame, narrowed, fallback=filters or Filters())
        if not dated:
            text = f"I have no articles dated {frame.label()}."
            return Plan(frame, narrowed, Answer(question, text, True, "refused"))
        return Plan(frame, narrowed)

    def _story(
        self, question: str, topic: str, frame: TimeFrame, filters: Filters | None, today: date
    ) -> Answer | None:
        """A named story's summary (story.py), led by "The newest I have on this is from
        ..." when its newest report is much older than the day asked; None when no report
        names it."""
        told = summary(question, topic, frame.filters(filters), self._retriever, self._min_evidence)
        if told is None:
            return None
        newest = max(told.citations, key=lambda c: c.date or "")
        record = self._retriever.records().get(newest.article_id)
        if record is not None and not frame.window and long_ago(record, today):
            told = flagged_stale(told, told.citations[0], stale_lead(record), old=True)
            told = replace(told, stale=newest.date)
        return self._stories.cite_copies(told, self._retriever.records(), frame.filters(filters))

    def latest(self, topic: str, days: int | None, filters: Filters | None) -> Answer:
        """Discord's /news: the newest stories (about `topic`) of the last `days` days."""
        records, today = self._retriever.records(), self.today()
        frame = TimeFrame()
        if days:
            since = today - timedelta(days=days - 1)
            words = "the last day" if days == 1 else f"the last {days} days"
            frame = TimeFrame(since.isoformat(), today.isoformat(), words=words)
        question = " ".join(x for x in ("news", topic, f"({frame.words})" if days else "") if x)
        return self._overview(question, topic.strip(), frame, filters, records, today)

    def _overview(
        self,
        question: str,
        topic: str,
        frame: TimeFrame,
        filters: Filters | None,
        records: Mapping[str, ArticleRecord],
        today: date,
    ) -> Answer:
        """The stories of the window; when nothing is dated in it and the newest article is
        older, say so and list the stories of the same window around the newest day."""
        answer = overview(question, topic, frame, frame.filters(filters), self._retriever)
        newest = self.reference(records, today)
        if answer.refused and frame.window and newest < today:
            moved = read_time(question, newest) if frame.words else _shifted(frame, today - newest)
            older = replace(moved, words="")
            earlier = overview(question, topic, older, older.filters(filters), self._retriever)
            if not earlier.refused:
                lead = f"I have nothing dated {frame.label()}; the newest I have is from {newest}."
                answer = replace(earlier, text=f"{lead}\n{earlier.text}")
        return self._stories.cite_copies(answer, records, frame.filters(filters))

    def rank(self, ranked: list[Candidate], plan: Plan) -> list[Candidate]:
        """Of the sentences close to the best, the one of the article dated nearer the day
        asked first ("latest", "now": RECENCY_MARGIN; else CLOSE_MARGIN)."""
        margin = RECENCY_MARGIN if plan.frame.recency else CLOSE_MARGIN
        return prefer_newest(ranked, self._min_evidence, margin)

    def stale_lead(self, record: ArticleRecord, plan: Plan, quote: str = "", outside: bool = False) -> str:
        """ "The newest I have on this is from <date>: " for a question about now answered
        from an article much older than the day asked, or by a `quote` that leaves the
        outcome asked about unreported (current.py); for an answer found `outside` a soft
        window (its fallback, or a window no article is dated in), from an article dated
        before it ("who got into the rock hall this year" answered from last year's
        report); else ""."""
        if outside:
            return stale_lead(record) if _before(record, plan.frame) else ""
        if plan.day is None or not plan.now or not is_dated(record):
            return ""
        if not long_ago(record, plan.day) and not unreported(plan.query, quote):
            return ""
        return stale_lead(record)

    def finish(self, answer: Answer, ranked: list[Candidate], plan: Plan, max_chars: int) -> Answer:
        """A later report's figure (within `max_chars`); copies cited."""
        if answer.refused or not ranked:
            return answer
        quoted = (answer.citations[0].article_id, answer.citations[0].start) if answer.citations else None
        # the sentence the extractive answer quotes (not always ranked[0])
        best = next((c for c in ranked if (c.passage.article.id, c.start) == quoted), None)
        counting = (
            what_is_asked(answer.question).kind is AnswerKind.NUMBER
        )  # "how many ...": a figure to update
        if answer.mode in ("extractive", "fallback") and best is not None and counting:
            later = later_report(best, ranked, self._min_evidence)
            if later is not None:
                answer = with_later_report(answer, best, later, max_chars)
        return self._stories.cite_copies(answer, self._retriever.records(), plan.filters)
