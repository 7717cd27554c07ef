"""The time words of a question and the dates they name, relative to the day it is asked.

Each finder returns the literal window of the words ("this week": the 7 days ending on
the day asked) and how many days a soft window is widened by (SLACK_DAYS): a news quiz
published on Friday asks about "this week" in an article dated the Thursday before last,
and a member asking "on Monday" means the report of Monday's event, dated Monday or
Tuesday. Which words filter and which only prefer is decided in timeframe.py.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}
# "May" is a month when written as one, or after "in"/"since"/"during" or before a year; a
# lower-case "may" elsewhere is the verb ("up to 12 may lose power").
_MAY = r"(?-i:May)|(?<=in )may|(?<=since )may|(?<=during )may|may(?=\s+(?:19|20)\d\d\b)"
MONTH = r"(?:" + "|".join(sorted((m for m in MONTHS if m != "may"), key=len, reverse=True)) + rf"|{_MAY})"
# The longest rolling window read ("the past 99999999 days" reaches back this far).
MAX_DAYS = 36500
DAY_DATE = (
    rf"(?:{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+{MONTH}\.?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
)
_MONTH_DAY = rf"(?:{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}\s+{MONTH})"
YEAR = r"(?:19|20)\d{2}"
_WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}

# How far a soft window reaches before and after its literal days.
SLACK_DAYS = {"day": 1, "week": 3, "month": 3, "year": 7, "weekday": 1}

_RELATIVE = re.compile(
    r"\b(?:(?P<yesterday>yesterday)"
    r"|(?P<this>this|the past|past|the last)\s+(?P<this_unit>week|month|year)(?:'s|’s)?"
    r"|(?P<earlier>earlier)\s+this\s+(?P<earlier_unit>week|month|year)"
    r"|last\s+(?P<last_unit>week|month|year)(?!'s|’s)"
    r"|(?:the\s+)?(?:past|last)\s+(?P<n>\d+|one|two|three|four|five|six|seven|ten)\s+(?P<n_unit>days?|weeks?|months?)"
    r"|(?P<recently>recently|in recent (?:days|weeks))"
    r"|(?P<weekend>this|last|over the)\s+weekend"
    r"|(?:on|this|last|early|late)\s+(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?:\s+(?:morning|afternoon|evening|night))?)\b",
    re.I,
)
_SINCE_MONTH = re.compile(rf"\bsince\s+(?P<month>{MONTH})(?:\s+(?P<year>{YEAR}))?\b", re.I)
_ABSOLUTE = re.compile(
    rf"\b(?P<word>in|during|on|since|after|before|until|from)\s+(?:the\s+)?"
    rf"(?P<value>{DAY_DATE}|{MONTH}(?:\s+{YEAR})?|{YEAR})\b",
    re.I,
)
# "by March 4", "as of March 4, 2026": the newest report up to that day, in any question
_BOUND = re.compile(rf"\b(?:by|as\s+of|up\s+to)\s+(?P<value>{DAY_DATE}|{_MONTH_DAY})\b", re.I)
_TODAY = re.compile(r"\b(today|tonight)\b")  # lower case: "the World Today article" names no day

Window = tuple[date | None, date | None]


@dataclass(frozen=True)
class Found:
    window: Window
    match: re.Match[str]
    slack: int = 0  # days a soft window is widened by (0: the words are exact)


def relative(question: str, ref: date) -> Found | None:
    """ "yesterday", "this week", "last month", "past 3 days", "recently", "on Monday"."""
    m = _RELATIVE.search(question)
    if m is None:
        return None
    if m.group("yesterday"):
        day = ref - timedelta(days=1)
        return Found((day, day), m, SLACK_DAYS["day"])
    if m.group("this_unit") or m.group("earlier_unit"):
        unit = (m.group("this_unit") or m.group("earlier_unit")).lower()
        rolling = bool(m.group("this")) and m.group("this").lower() != "this"
        return Found(_this(unit, ref, rolling), m, SLACK_DAYS[unit])
    if m.group("last_unit"):
        unit = m.group("last_unit").lower()
        return Found(_last(unit, ref), m, SLACK_DAYS[unit])
    if m.group("recently"):
        return Found((ref - timedelta(days=30), ref), m, SLACK_DAYS["week"])
    if m.group("weekend") or m.group("weekday"):
        return _day_of_week(m, ref)
    raw = m.group("n").lower()
    n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    unit = {"d": "day", "w": "week", "m": "month"}[m.group("n_unit")[0].lower()]
    days = min({"day": 1, "week": 7, "month": 30}[unit] * max(n, 1), MAX_DAYS)
    return Found((ref - timedelta(days=days - 1), ref), m, SLACK_DAYS[unit])


def _day_of_week(m: re.Match[str], ref: date) -> Found:
    """The last such day up to `ref` ("on Monday"; a weekend: its Saturday and Sunday)."""
    weekday = _WEEKDAYS[m.group("weekday").lower()] if m.group("weekday") else 5
    back = (ref.weekday() - weekday) % 7
    if m.group(0).lower().startswith("last") and back == 0:
        back = 7
    day = ref - timedelta(days=back)
    end = min(day + timedelta(days=1), ref) if not m.group("weekday") else day
    return Found((day, end), m, SLACK_DAYS["weekday"])


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


def since_month(question: str, ref: date) -> Found | None:
    m = _SINCE_MONTH.search(question)
    if m is None:
        return None
    return Found((month_start(m.group("month"), m.group("year"), ref), None), m)


def month_start(month: str, year: str | None, ref: date) -> date:
    number = MONTHS[month.lower().rstrip(".")]
    if year:
        return date(int(year), number, 1)
    start = date(ref.year, number, 1)
    return start if start <= ref else date(ref.year - 1, number, 1)  # the last such month


def absolute(question: str, ref: date) -> Found | None:
    m = _ABSOLUTE.search(question)
    if m is None:
        return None
    try:
        first, last = span(m.group("value"), ref)
    except ValueError:
        return None  # "on February 30, 2024": no such day, no window
    word = m.group("word").lower()
    if word in ("since", "after"):
        return Found((first if word == "since" else last + timedelta(days=1), None), m)
    if word in ("before", "until"):
        return Found((None, last if word == "until" else first - timedelta(days=1)), m)
    return Found((first, last), m)


def bound(question: str, ref: date) -> Found | None:
    """ "by March 4", "as of March 4": up to that day (the last March 4 up to `ref` when
    no year is given)."""
    m = _BOUND.search(question)
    if m is None:
        return None
    value = m.group("value")
    if re.fullmatch(DAY_DATE, value, re.I):
        try:
            return Found((None, span(value, ref)[1]), m)
        except ValueError:
            return None
    from dateutil import parser

    for year in range(ref.year, ref.year - 8, -1):  # the last such day: 29 February too
        try:
            day = parser.parse(value, default=datetime(year, 1, 1)).date()
        except ValueError:
            continue
        if day <= ref:
            return Found((None, day), m)
    return None  # "by February 30": no such day


def span(value: str, ref: date) -> tuple[date, date]:
    """The first and last day a date, a month (with or without its year) or a year names."""
    if re.fullmatch(DAY_DATE, value, re.IGNORECASE):
        from dateutil import parser

        d = parser.parse(value).date()
        return d, d
    if re.fullmatch(YEAR, value):
        return date(int(value), 1, 1), date(int(value), 12, 31)
    parts = value.split()
    start = month_start(parts[0], parts[1] if len(parts) > 1 else None, ref)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def today(question: str, ref: date) -> Found | None:
    m = _TODAY.search(question)
    return Found((ref, ref), m, SLACK_DAYS["day"]) if m else None
