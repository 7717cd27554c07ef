"""Time words, the reference day, overview questions and figures, without a model (issue #12)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bot.answering.extractive import Candidate
from bot.answering.overview import overview_topic
from bot.answering.stories import collapse, figures, prefer_newest
from bot.answering.timeframe import read_time, reference_day
from vectorstore.models import ArticleRecord, Passage
from vectorstore.retrieval import Filters

FRIDAY = date(2026, 3, 20)


@pytest.mark.parametrize(
    ("question", "since", "until", "query"),
    [
        ("What happened yesterday in Meloria?", "2026-03-19", "2026-03-19", "What happened in Meloria?"),
        ("What happened this week?", "2026-03-14", "2026-03-20", "What happened?"),
        ("What did the bank decide last week?", "2026-03-09", "2026-03-15", "What did the bank decide?"),
        ("what happened last month", "2026-02-01", "2026-02-28", "what happened"),
        ("What did Tessaly approve last year?", "2025-01-01", "2025-12-31", "What did Tessaly approve?"),
        ("Any floods this month?", "2026-03-01", "2026-03-20", "Any floods?"),
        ("How many people have died since March?", "2026-03-01", None, "How many people have died?"),
        ("Who resigned since May?", "2025-05-01", None, "Who resigned?"),
        ("news about floods in the past 3 days", "2026-03-18", "2026-03-20", "news about floods"),
        ("What happened in 2005?", "2005-01-01", "2005-12-31", "What happened?"),
        ("What was reported on December 29, 2004?", "2004-12-29", "2004-12-29", "What was reported?"),
        ("stories before 2026", None, "2025-12-31", "stories"),
        ("What happened today?", "2026-03-20", "2026-03-20", "What happened?"),
    ],
)
def test_time_words_become_a_window(question: str, since: str | None, until: str | None, query: str) -> None:
    frame = read_time(question, FRIDAY)
    assert (frame.since, frame.until, frame.query) == (since, until, query)


@pytest.mark.parametrize(
    "question",
    [
        "Which MVP died in 2001?",  # the year of the event, not of the reporting
        "Since 2005, what is the gender of Doctor Who's primary traveling companion?",
        "What translation of Luther's is still used today?",
        "Who was the main performer at this year's halftime show?",
        "What did Tesla claim his resonant frequencies could do in the World Today article?",
    ],
)
def test_factual_questions_keep_their_years(question: str) -> None:
    frame = read_time(question, FRIDAY)
    assert not frame.window and frame.query == question


def test_recency_words_ask_for_the_newest_without_a_window() -> None:
    for question in (
        "What is the latest death toll?",
        "Who is currently the mayor?",
        "the most recent figure",
    ):
        frame = read_time(question, FRIDAY)
        assert frame.recency and not frame.window
    assert not read_time("How many people died?", FRIDAY).recency


def test_a_window_narrows_the_callers_filters() -> None:
    frame = read_time("What happened last month?", FRIDAY)
    narrowed = frame.filters(Filters(sources=("Wire Service",), since="2026-02-10", scopes=("global",)))
    assert (narrowed.since, narrowed.until, narrowed.sources) == (
        "2026-02-10",
        "2026-02-28",
        ("Wire Service",),
    )


def _record(
    aid: str, day: str | None, source: str | None = "published", story: str | None = None
) -> ArticleRecord:
    return ArticleRecord(aid, aid, "h", 1, date=day, date_source=source, story_id=story)


def test_the_reference_is_today_with_recent_news_else_the_newest_article() -> None:
    recent = [_record("a", "2026-03-01"), _record("b", "2005-01-07")]
    assert reference_day(recent, FRIDAY) == FRIDAY
    old = [_record("a", "2004-12-29"), _record("b", "2005-01-07"), _record("c", None, "first_seen")]
    assert reference_day(old, FRIDAY) == date(2005, 1, 7)
    assert read_time("What happened this week?", reference_day(old, FRIDAY)).since == "2005-01-01"
    assert reference_day([_record("c", None, "first_seen")], FRIDAY) == FRIDAY


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What happened?", ""),
        ("What's new?", ""),
        ("Summarize the news about spam", "spam"),
        ("Any news on Meloria?", "Meloria"),
        ("What has happened in Ukraine?", "Ukraine"),
        ("give me an overview of the floods", "floods"),
        ("What happened to Dane?", None),
        ("What happened when cyanobacteria was assimilated?", None),
        ("How many people died?", None),
    ],
)
def test_overview_questions_and_their_topic(question: str, topic: str | None) -> None:
    assert overview_topic(question) == topic


def test_figures_are_numbers_not_years_or_days() -> None:
    assert figures("The toll has reached 186, the ministry said on March 19, 2026.") == ["186"]
    assert figures("nearly 60,000 people on 28 December, at 9:30") == ["60,000"]
    assert figures("The rate stays at 3.5 percent.") == ["3.5"]


def test_copies_of_a_story_take_one_slot_in_rank_order() -> None:
    def passage(aid: str, story: str | None) -> Passage:
        return Passage(f"{aid}:0", _record(aid, "2026-03-18", story=story), 0, "text", 0, 4, 1.0)

    ranked = [
        passage("herald", "wire"),
        passage("wire", None),
        passage("bank", None),
        passage("herald", "wire"),  # another chunk of the same article stays
        passage("coastal", "wire"),
    ]
    assert [p.article.id for p in collapse(ranked)] == ["herald", "bank", "herald"]


def _candidate(aid: str, day: str, text: str, score: float) -> Candidate:
    passage = Passage(f"{aid}:0", _record(aid, day), 0, text, 0, len(text), 1.0)
    return Candidate(passage, text, 0, len(text), score, score, score, np.zeros(3, dtype=np.float32))


def test_latest_prefers_the_newest_sentence_that_answers_about_as_well() -> None:
    older = _candidate("old", "2004-12-28", "The toll has risen to nearly 60,000.", 0.66)
    newer = _candidate("new", "2004-12-29", "The toll passed 80,000 people.", 0.55)
    vague = _candidate("vague", "2005-01-03", "Aid is arriving in the region.", 0.60)
    assert [c.passage.article.id for c in prefer_newest([older, vague, newer], 0.36)] == [
        "new",
        "old",
        "vague",
    ]
    weak = [_candidate("a", "2004-12-28", "Toll 10.", 0.2), _candidate("b", "2004-12-29", "Toll 12.", 0.19)]
    assert prefer_newest(weak, 0.36) == weak, (
        "below the evidence bar nothing is preferred (and nothing fails)"
    )
