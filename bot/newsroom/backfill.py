"""What a feed newly routed to a channel posts of what it held before.

The entries that a route's first poll finds were published before the route was added:
they are its backlog (service.polled marks them, one poll only). They are stored like any
entry (they answer questions) but posted only as the route's backfill allows:

- nothing, by default: a new feed floods no channel with last week's news;
- `N`: the N newest of them (by date, then the feed's order);
- `2d`, `12h`: those dated within that time before the route was added (a date is a day:
  `1d` is the day before and the day of the addition).

A route added to a feed that was already polled has no backlog: the entries it held are
known, and what comes next is new.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.newsroom.config import NewsroomError

MAX_ENTRIES = 50
MAX_SPAN = timedelta(days=30)
_SPEC = re.compile(r"\s*(\d{1,4})\s*([dh]?)\s*", re.IGNORECASE)


class Dated(Protocol):
    @property
    def article_id(self) -> str: ...

    @property
    def day(self) -> str: ...


def parse_backfill(raw: str | None) -> str | None:
    """ "5" (entries), "2d" or "12h" (time before the addition), "0" or nothing (none);
    normalised ("2d"), or a NewsroomError that says what is allowed."""
    if raw is None or not raw.strip():
        return None
    m = _SPEC.fullmatch(raw)
    if m is None:
        raise NewsroomError(
            f"Backfill is a number of entries (e.g. 5) or a time such as 2d or 12h, not {raw.strip()[:40]!r}."
        )
    count, unit = int(m.group(1)), m.group(2).lower()
    if count == 0:
        return None
    if not unit and count > MAX_ENTRIES:
        raise NewsroomError(f"Backfill at most {MAX_ENTRIES} entries.")
    if unit and _span(f"{count}{unit}") > MAX_SPAN:
        raise NewsroomError(f"Backfill at most {MAX_SPAN.days} days.")
    return f"{count}{unit}"


def backfill_text(spec: str | None) -> str:
    """How a route's backfill reads for the admin who set it."""
    if spec is None:
        return "nothing published before now"
    if spec.isdigit():
        return f"also the {spec} newest entries it holds now"
    unit = "day" if spec.endswith("d") else "hour"
    count = int(spec[:-1])
    return f"also its entries of the last {count} {unit}{'s' * (count > 1)}"


def _span(spec: str) -> timedelta:
    count, unit = int(spec[:-1]), spec[-1]
    return timedelta(days=count) if unit == "d" else timedelta(hours=count)


def allowed(spec: str | None, added_at: datetime | None, backlog: Sequence[Dated]) -> set[str]:
    """The articles of a route's backlog (in the feed's order) that its backfill posts."""
    if spec is None or not backlog:
        return set()
    if spec.isdigit():
        order = {item.article_id: n for n, item in enumerate(backlog)}
        newest = sorted(backlog, key=lambda i: (-_ordinal(i.day), order[i.article_id]))
        return {i.article_id for i in newest[: int(spec)]}
    if added_at is None:
        return set()
    since = (added_at - _span(spec)).date().isoformat()
    return {i.article_id for i in backlog if i.day >= since}


def _ordinal(day: str) -> int:
    return datetime.fromisoformat(day).toordinal()
