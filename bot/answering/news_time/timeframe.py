"""Time in the question: "this week", "on Monday", "recently", "by March 4", "in 2005".

A question's time words become a date window and/or a preference for the newest article,
read relative to the day the question is asked (the clock's today, or `asked_at`: the
eval, `ask --asked-at`). The words (timewords.py) fall in three groups:

- date bounds, in any question: "by March 4", "as of March 4" answer from the newest
  report up to that day (a filter, with the newest preferred);
- relative words, soft: "yesterday", "today", "this/past/last week", "this/last month",
  "this/last year" ("this year's"), "past N days", "recently", "on Monday", "this
  weekend". They are tried first as a filter widened by a few days (SLACK_DAYS: a Friday
  quiz's "this week" is about the last 7-10 days); when nothing in that window answers,
  the question is answered from every article, so a time word never turns an answerable
  question into a refusal. A refusal after an empty window names it;
- absolute dates ("in 2005", "in March", "on December 29, 2004", "before 2005") only in a
  question about the news itself ("what happened...", "summarize...", "news/articles/
  reports/stories ... in 2005"), and "since <month>" anywhere: filters. In a factual
  question a year names the time of the event ("Which MVP died in 2001?"), not of the
  reporting, and filtering by it would hide the answer.
"today" counts only in a question about the news ("what happened today"), since "still
used today" means "now". Recency words ("latest", "newest", "most recent", "now",
"currently", "current", "so far", "still") ask for the newest of the answering articles.

Only dates an article states (published or dateline) place it in time; an article known
only by its first-seen time is left out of windows (ingest/identity/dates.py). An overview of a
window nothing is dated in says so, and lists the newest stories with their own dates
(reference_day: a store of old news is never read as today's).

The window's words are taken out of the retrieval query ("what happened last week in
Ukraine" searches "what happened in Ukraine"); recency words stay (they rarely hurt
retrieval and often belong to the subject: "current account").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from bot.answering.errors import QuestionError
from bot.answering.news_time import timewords
from vectorstore.models import ArticleRecord, parse_date, parse_day
from vectorstore.retrieval import Filters

Clock = Callable[[], date]
RECENT_DAYS = 30
DATED_SOURCES = (None, "published", "dateline")  # None: a store written before date_source

_NEWS = re.compile(
    r"\b(news|headlines?|articles?|reports?|reported|stories|story|coverage|happen(?:ed|ing)?|summari[sz]e|overview)\b",
    re.I,
)
_RECENCY = re.compile(r"\b(latest|newest|most recent|now|currently|current|so far|still|as of today)\b", re.I)


@dataclass(frozen=True)
class TimeFrame:
    """What the question's time words ask for: a window of article dates and/or the newest."""

    since: str | None = None
    until: str | None = None
    recency: bool = False
    words: str = ""  # the window's words as the user wrote them ("last year")
    query: str = ""  # the question without the window's words, for retrieval
    slack: int = 0  # a soft window (relative words): days it reaches beyond its literal dates

    @property
    def window(self) -> bool:
        return bool(self.since or self.until)

    @property
    def soft(self) -> bool:
        """Relative words ("this week", "recently", "on Monday"): they prefer their window,
        they never make an answerable question a refusal (timeframe's docstring)."""
        return self.slack > 0

    def label(self) -> str:
        """ "2025-01-01 to 2025-12-31 (last year)", for "I have no articles dated ..." """
        one_day = self.since is not None and self.since == self.until
        span = str(self.since) if one_day else f"{self.since or '…'} to {self.until or '…'}"
        return f"{span} ({self.words})" if self.words else span

    def filters(self, base: Filters | None, widened: bool = False) -> Filters:
        """The caller's filters narrowed to this window (the later since, the earlier
        until); `widened`: to the window with its slack on both sides (Monday's event is
        reported on Tuesday). The upper end may pass the day asked: nothing later is
        seen anyway (a past day asked bounds the store, `as_of`; ingest drops dates more
        than a day ahead)."""
        base = base or Filters()
        if not self.window:
            return base
        since, until = self.since, self.until
        if widened and self.slack:
            since = since and (date.fromisoformat(since) - timedelta(days=self.slack)).isoformat()
            until = until and (date.fromisoformat(until) + timedelta(days=self.slack)).isoformat()
        since = max((d for d in (base.since and parse_date(base.since), since) if d), default=None)
        until = min((d for d in (base.until and parse_date(base.until), until) if d), default=None)
        return replace(base, since=since, until=until)


def narrowed(base: Filters, since: str | None, until: str | None, source: str | None) -> Filters:
    """A door's filters (a Discord server's scope) narrowed by the options a member gave
    (/ask since, until, source); a date that is not YYYY-MM-DD is a QuestionError."""
    days = {}
    for name, raw in (("since", since), ("until", until)):
        if raw and parse_day(raw) is None:
            raise QuestionError(f"{name} must be a date like 2026-03-20, not {raw!r}.")
        days[name] = parse_day(raw) if raw else getattr(base, name)
    sources = (source.strip(),) if source and source.strip() else base.sources
    return replace(base, sources=sources, since=days["since"], until=days["until"])


def as_of(base: Filters | None, day: date) -> Filters:
    """`base` with nothing dated after `day`: the articles a question asked that day saw."""
    base = base or Filters()
    until = min(x for x in (base.until and parse_date(base.until), day.isoformat()) if x)
    return replace(base, until=until)


def utc_today() -> date:
    return datetime.now(UTC).date()


def is_dated(record: ArticleRecord) -> bool:
    return record.date is not None and record.date_source in DATED_SOURCES


def reference_day(records: Iterable[ArticleRecord], today: date) -> date:
    """Today if the store has recent news, else the newest article's date (see above)."""
    newest = max((r.date for r in records if is_dated(r) and r.date), default=None)
    if newest is None:
        return today
    day = date.fromisoformat(newest)
    return today if day >= today - timedelta(days=RECENT_DAYS) or day > today else day


def read_time(question: str, reference: date) -> TimeFrame:
    """The window and recency a question asks for, relative to `reference` (the day it
    is asked): a date bound ("by March 4") in any question; relative words (soft); "since
    <month>"; absolute dates and "today" in questions about the news."""
    recency = bool(_RECENCY.search(question))
    found = timewords.bound(question, reference)
    if found is not None:
        return _frame(question, found, True)
    found = timewords.relative(question, reference) or timewords.since_month(question, reference)
    if found is None and _NEWS.search(question):
        found = timewords.absolute(question, reference) or timewords.today(question, reference)
    if found is None:
        return TimeFrame(recency=recency, query=question)
    return _frame(question, found, recency)


def _frame(question: str, found: timewords.Found, recency: bool) -> TimeFrame:
    since, until = found.window
    return TimeFrame(
        since.isoformat() if since else None,
        until.isoformat() if until else None,
        recency,
        found.match.group(0),
        _without(question, found.match) or question,
        found.slack,
    )


def _without(question: str, match: re.Match[str]) -> str:
    """The question without the window's words (and a preposition they leave dangling)."""
    rest = " ".join((question[: match.start()] + " " + question[match.end() :]).split())
    rest = re.sub(r"\s+(?:in|on|from|during|of|for|about)(?=\s*[?.!]?$)", "", rest, flags=re.I)
    return re.sub(r"\s+([?.!,])", r"\1", rest).strip()
