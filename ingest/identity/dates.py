"""Every date format news uses, normalised to ISO 8601 (YYYY-MM-DD) for storage.

Library: python-dateutil (Apache-2.0/BSD-3; pure Python, already installed with
trafilatura's htmldate; its only data is the IANA zone tarball). It reads the absolute
formats of metadata, front matter and datelines ("December 10, 2004", "10 Dec 2004",
"2004-12-10") in 0.19 ms (two parses, to tell a missing year from a given one). RFC 822
dates of feeds ("Wed, 28 Jun 2023 10:00:00 GMT") go through the standard library's
email.utils first; ISO strings take the fast path of `vectorstore.models.parse_date`.
dateparser was not chosen: it took 3.8 ms a date here (20x), imports 3x slower, and its
strength (relative and multilingual phrases) is not what stored metadata holds; time
words in questions are read by bot/answering/news_time/timeframe.py.

A date is kept only when it names a day: "December 2004" or "November 17" (no year) give
None rather than a guessed day. The date is the calendar day the publisher wrote (its own
time zone), as feeds and pages state it. Numeric dates follow dateutil's default,
month first ("3/4/2005" is 4 March).

A date before 1800 or more than a day after today (a feed's "99999-99-99", read as
9999-12-01; a JSONL "-0001-01-01") is no article's date: it is dropped, never clamped,
and the item's result says so (`Dated.note`, shown as the article's note in the summary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

from vectorstore import Article, ArticleRecord
from vectorstore.models import parse_date as parse_iso_date

DateSource = Literal["published", "dateline", "first_seen"]

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY_DATE = (
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})"
)
# A dateline opens the text: the date alone on its line, or after a place
# ("CAPE CANAVERAL, Florida, Dec. 13, 2004 -"), then a line end or a dash.
_DATELINE = re.compile(
    rf"\A\s*(?:[^\n]{{0,60}}?[,(]\s*)?(?P<date>{_DAY_DATE})(?=[ \t]*(?:\n|$|[-–—:,(]))",
    re.IGNORECASE,
)
_MAX_DATE_CHARS = 64
_DEFAULTS = (datetime(1900, 1, 1), datetime(1904, 2, 2))  # two defaults reveal a missing part
EARLIEST = date(1800, 1, 1)
LATEST_AHEAD = timedelta(days=1)  # a publisher a time zone ahead may date its article tomorrow


@dataclass(frozen=True)
class Dated:
    """An article's date and where it came from (None, None: no date anywhere)."""

    date: str | None
    source: DateSource | None
    note: str | None = None  # why a date the article gave was dropped


def parse_date(value: object) -> str | None:
    """Any date-ish value (ISO, RFC 822, "December 10, 2004", a datetime, an epoch
    timestamp) as an ISO day, or None when it does not name a day."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime | date):
        return parse_iso_date(value)
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = " ".join(str(value).split())
    if not text or len(text) > _MAX_DATE_CHARS or not any(ch.isdigit() for ch in text):
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", text):
        return parse_iso_date(text)
    return _rfc822(text) or _dateutil(text)


def find_dateline(text: str) -> str | None:
    """The ISO day of the dateline opening an article's text, if it has one."""
    match = _DATELINE.match(text[:160])
    return parse_date(match.group("date")) if match else None


def date_of(declared: object, text: str, today: date | None = None) -> Dated:
    """The date an article declares (metadata, front matter, feed, page meta), else its
    dateline's; one outside 1800 .. tomorrow is dropped, with a note."""
    today = today or datetime.now(UTC).date()
    published = parse_date(declared)
    note = None
    if published and not in_range(published, today):
        note, published = _dropped(published), None
    if published:
        return Dated(published, "published")
    dateline = find_dateline(text)
    if dateline and not in_range(dateline, today):
        note, dateline = note or _dropped(dateline, "its dateline's "), None
    if dateline:
        return Dated(dateline, "dateline", note)
    return Dated(None, None, note)


def in_range(iso_day: str, today: date | None = None) -> bool:
    """True for a day from 1800-01-01 to a day after `today` (UTC's by default)."""
    latest = (today or datetime.now(UTC).date()) + LATEST_AHEAD
    return EARLIEST.isoformat() <= iso_day <= latest.isoformat()


def _dropped(iso_day: str, whose: str = "") -> str:
    return f"{whose}date {iso_day} is before 1800 or in the future: dropped, not stored"


def with_first_seen(article: Article, record: ArticleRecord | None, now: datetime | None = None) -> Article:
    """An article with no date anywhere keeps the time it was first ingested, marked as
    such. It is not its date: time filters and recency leave it out (a store of old
    undated articles ingested today must not read as today's news)."""
    if article.date:
        return article
    seen = (record.first_seen or record.ingested_at) if record else None
    seen = seen or (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return replace(article, first_seen=seen, date_source="first_seen")


def _rfc822(text: str) -> str | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.date().isoformat() if parsed else None


def _dateutil(text: str) -> str | None:
    from dateutil import parser

    try:
        first, second = (parser.parse(text, default=d, fuzzy=False).date() for d in _DEFAULTS)
    except (ValueError, OverflowError, parser.ParserError):
        return None
    if first != second:  # the year, month or day came from the default
        return None
    day: date = first
    return day.isoformat()


def _from_epoch(seconds: float) -> str | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    if not 0 < seconds < 1e10:
        return None
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()
