"""Time in the question: "last week", "yesterday", "since March", "latest", "in 2005".

A question's time words become a date window (a filter on the articles' dates) and/or a
preference for the newest article. They are read relative to a reference day:

- today (the injected clock's), when the store holds an article dated within
  RECENT_DAYS of today;
- otherwise the newest article's date: in a store of old news (Wikinews 2004-2005),
  "this week" means the week of its newest articles, not a week it holds nothing from.

Only dates an article states (published or dateline) place it in time; an article known
only by its first-seen time is left out of windows (ingest/identity/dates.py).

Which words make a window:
- relative ones always: "yesterday", "this/past week", "last week" (the calendar week
  before the reference's), "this/last month", "this/last year", "past N days/weeks/months";
- absolute ones ("in 2005", "in March", "since March", "on December 29, 2004", "before
  2005") only in a question about the news itself ("what happened...", "summarize...",
  "news/articles/reports/stories ... in 2005"), and "since <month>" anywhere. In a factual
  question a year names the time of the event ("Which MVP died in 2001?"), not of the
  reporting, and filtering by it would hide the answer.
"today" counts only in a question about the news ("what happened today"), since "still
used today" means "now". Recency words ("latest", "newest", "most recent", "now",
"currently", "current", "so far", "still") ask for the newest of the answering articles.

The window's words are taken out of the retrieval query ("what happened last week in
Ukraine" searches "what happened in Ukraine"); recency words stay (they rarely hurt
retrieval and often belong to the subject: "current account").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from bot.answering.errors import QuestionError
from vectorstore.models import ArticleRecord, parse_date
from vectorstore.retrieval import Filters

Clock = Callable[[], date]
RECENT_DAYS = 30
DATED_SOURCES = (None, "published", "dateline")  # None: a store written before date_source

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}
_MONTH = r"(?:" + "|".join(sorted((m for m in _MONTHS if m != "may"), key=len, reverse=True)) + r"|may)"
_DAY_DATE = (
    rf"(?:{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+{_MONTH}\.?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
)
_YEAR = r"(?:19|20)\d{2}"
_NEWS = re.compile(
    r"\b(news|headlines?|articles?|reports?|reported|stories|story|coverage|happen(?:ed|ing)?|summari[sz]e|overview)\b",
    re.I,
)
_RECENCY = re.compile(r"\b(latest|newest|most recent|now|currently|current|so far|still|as of today)\b", re.I)
_RELATIVE = re.compile(
    r"\b(?:(?P<yesterday>yesterday)"
    r"|(?P<this>this|the past|past|the last)\s+(?P<this_unit>week|month|year)(?!'s)"
    r"|last\s+(?P<last_unit>week|month|year)(?!'s)"
    r"|(?:the\s+)?(?:past|last)\s+(?P<n>\d+|one|two|three|four|five|six|seven|ten)\s+(?P<n_unit>days?|weeks?|months?))\b",
    re.I,
)
_SINCE_MONTH = re.compile(rf"\bsince\s+(?P<month>{_MONTH})(?:\s+(?P<year>{_YEAR}))?\b", re.I)
_ABSOLUTE = re.compile(
    rf"\b(?P<word>in|during|on|since|after|before|until|from)\s+(?:the\s+)?"
    rf"(?P<value>{_DAY_DATE}|{_MONTH}(?:\s+{_YEAR})?|{_YEAR})\b",
    re.I,
)
_TODAY = re.compile(r"\b(today|tonight)\b")  # lower case: "the World Today article" names no day


@dataclass(frozen=True)
class TimeFrame:
    """What the question's time words ask for: a window of article dates and/or the newest."""

    since: str | None = None
    until: str | None = None
    recency: bool = False
    words: str = ""  # the window's words as the user wrote them ("last year")
    query: str = ""  # the question without the window's words, for retrieval

    @property
    def window(self) -> bool:
        return bool(self.since or self.until)

    def label(self) -> str:
        """ "2025-01-01 to 2025-12-31 (last year)", for "I have no articles dated ..." """
        span = f"{self.since or '…'} to {self.until or '…'}"
        return f"{span} ({self.words})" if self.words else span

    def filters(self, base: Filters | None) -> Filters:
        """The caller's filters narrowed to this window (the later since, the earlier until)."""
        base = base or Filters()
        if not self.window:
            return base
        since = max((d for d in (base.since and parse_date(base.since), self.since) if d), default=None)
        until = min((d for d in (base.until and parse_date(base.until), self.until) if d), default=None)
        return replace(base, since=since, until=until)


def narrowed(base: Filters, since: str | None, until: str | None, source: str | None) -> Filters:
    """A door's filters (a Discord server's scope) narrowed by the options a member gave
    (/ask since, until, source); a date that is not YYYY-MM-DD is a QuestionError."""
    days = {}
    for name, raw in (("since", since), ("until", until)):
        if raw and parse_date(raw.strip()) is None:
            raise QuestionError(f"{name} must be a date like 2026-03-20, not {raw!r}.")
        days[name] = parse_date(raw.strip()) if raw else getattr(base, name)
    sources = (source.strip(),) if source and source.strip() else base.sources
    return replace(base, sources=sources, since=days["since"], until=days["until"])


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
    """The window and recency a question asks for, relative to `reference`."""
    recency = bool(_RECENCY.search(question))
    news = bool(_NEWS.search(question))
    found = _relative(question, reference) or _since_month(question, reference)
    if found is None and news:
        found = _absolute(question, reference) or _today(question, reference)
    if found is None:
        return TimeFrame(recency=recency, query=question)
    (since, until), match = found
    return TimeFrame(
        since.isoformat() if since else None,
        until.isoformat() if until else None,
        recency,
        match.group(0),
        _without(question, match) or question,
    )


def _without(question: str, match: re.Match[str]) -> str:
    """The question without the window's words (and a preposition they leave dangling)."""
    rest = " ".join((question[: match.start()] + " " + question[match.end() :]).split())
    rest = re.sub(r"\s+(?:in|on|from|during|of|for|about)(?=\s*[?.!]?$)", "", rest, flags=re.I)
    return re.sub(r"\s+([?.!,])", r"\1", rest).strip()


Window = tuple[date | None, date | None]
Found = tuple[Window, re.Match[str]] | None


def _relative(question: str, ref: date) -> Found:
    m = _RELATIVE.search(question)
    if m is None:
        return None
    if m.group("yesterday"):
        day = ref - timedelta(days=1)
        return (day, day), m
    if m.group("this_unit"):
        unit = m.group("this_unit").lower()
        rolling = m.group("this").lower() != "this"
        return _this(unit, ref, rolling), m
    if m.group("last_unit"):
        return _last(m.group("last_unit").lower(), ref), m
    raw = m.group("n").lower()
    n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    days = {"d": 1, "w": 7, "m": 30}[m.group("n_unit")[0].lower()] * n
    return (ref - timedelta(days=days - 1), ref), m


def _this(unit: str, ref: date, rolling: bool) -> Window:
    """The 7 days ending on the reference day for "this week"/"the past week" (a calendar
    week would hold one day on a Monday); since its first day for "this month/year"."""
    if unit == "week" or rolling:
        days = {"week": 7, "month": 30, "year": 365}[unit]
        return ref - timedelta(days=days - 1), ref
    return (ref.replace(day=1) if unit == "month" else ref.replace(month=1, day=1)), ref


def _last(unit: str, ref: date) -> Window:
    """The calendar week, month or year before the reference day's ("last week")."""
    if unit == "week":
        monday = ref - timedelta(days=ref.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if unit == "month":
        end = ref.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    return date(ref.year - 1, 1, 1), date(ref.year - 1, 12, 31)


def _since_month(question: str, ref: date) -> Found:
    m = _SINCE_MONTH.search(question)
    if m is None:
        return None
    start = _month_start(m.group("month"), m.group("year"), ref)
    return (start, None), m


def _month_start(month: str, year: str | None, ref: date) -> date:
    number = _MONTHS[month.lower().rstrip(".")]
    if year:
        return date(int(year), number, 1)
    start = date(ref.year, number, 1)
    return start if start <= ref else date(ref.year - 1, number, 1)  # the last such month


def _absolute(question: str, ref: date) -> Found:
    m = _ABSOLUTE.search(question)
    if m is None:
        return None
    first, last = _span(m.group("value"), ref)
    word = m.group("word").lower()
    if word in ("since", "after"):
        return (first if word == "since" else last + timedelta(days=1), None), m
    if word in ("before", "until"):
        return (None, last if word == "until" else first - timedelta(days=1)), m
    return (first, last), m


def _span(value: str, ref: date) -> tuple[date, date]:
    """The first and last day a date, a month (with or without its year) or a year names."""
    if re.fullmatch(_DAY_DATE, value, re.IGNORECASE):
        from dateutil import parser

        d = parser.parse(value).date()
        return d, d
    if re.fullmatch(_YEAR, value):
        return date(int(value), 1, 1), date(int(value), 12, 31)
    parts = value.split()
    start = _month_start(parts[0], parts[1] if len(parts) > 1 else None, ref)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _today(question: str, ref: date) -> Found:
    m = _TODAY.search(question)
    return ((ref, ref), m) if m else None
