"""Current by default: a question with no year and no time word ("who won the world
series", "what's the death toll") means now, the day it is asked.

- Of two answering articles close in evidence (within CLOSE_MARGIN), the one dated nearer
  the day asked is quoted (stories.prefer_newest; "latest"/"now" widen it to
  stories.RECENCY_MARGIN).
- When the article quoted is more than STALE_DAYS older than the day asked, the reply
  says so before anything else: "The newest I have on this is from 12 March 2023: ...".
  An older season's, ceremony's or vote's result is then never read as the current one.

STALE_DAYS was measured on the tuning sets: the article that answers a RealTime QA 2022
quiz question is 3 days older than the quiz at the median, 14 at the 99th percentile and
50 at most but one (a year); the casual tuning set's stale questions are asked 138 days
or more after the newest report that answers them. 45 days lies between, a factor of
about three from each.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from bot.answering.models import Answer, Citation
from bot.answering.news_time.timeframe import TimeFrame, is_dated
from vectorstore.models import ArticleRecord

STALE_DAYS = 45
# Evidence within which the article dated nearer the day asked wins (bench/realtimeqa.py).
CLOSE_MARGIN = 0.05
STALE = "The newest I have on this is from {day}: "
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d(?:s|’s|'s)?\b")


def means_now(question: str, frame: TimeFrame) -> bool:
    """Whether a question asks about now: no time word (no window) and no year."""
    return not frame.window and not _YEAR.search(question)


def long_ago(record: ArticleRecord, today: date) -> bool:
    """Whether an article is more than STALE_DAYS older than the day asked."""
    if not is_dated(record) or record.date is None:
        return False
    return (today - date.fromisoformat(record.date[:10])).days > STALE_DAYS


def stale_lead(record: ArticleRecord) -> str:
    """ "The newest I have on this is from 12 March 2023: " """
    day = date.fromisoformat((record.date or "")[:10])
    return STALE.format(day=f"{day.day} {day:%B %Y}")


def flagged_stale(answer: Answer, cited: Citation, lead: str) -> Answer:
    """An answer whose first citation is old, led by what says so."""
    return replace(answer, text=f"{lead}{answer.text}", stale=cited.date)
