"""Time words, the reference day, overview questions and figures, without a model."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bot.answering.news_time.overview import overview_topic
from bot.answering.news_time.stories import collapse, figures, prefer_newest, updated_figures
from bot.answering.news_time.timeframe import read_time, reference_day
from bot.answering.quoting.extractive import Candidate
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
        "What did Tesla claim his resonant frequencies could do in the World Today article?",
    ],
)
def test_factual_questions_keep_their_years(question: str) -> None:
    frame = read_time(question, FRIDAY)
    assert not frame.window and frame.query == question


@pytest.mark.parametrize(
    ("question", "since", "until", "slack"),
    [
        ("Who was the main performer at this year's halftime show?", "2026-01-01", "2026-03-20", 7),
        ("Which automaker recalled 2.9 million vehicles this week?", "2026-03-14", "2026-03-20", 3),
        ("A volcano erupted recently on which island?", "2026-02-18", "2026-03-20", 3),
        ("Who resigned on Monday?", "2026-03-16", "2026-03-16", 1),
        ("Who resigned on Friday?", "2026-03-20", "2026-03-20", 1),
        ("Who resigned last Friday?", "2026-03-13", "2026-03-13", 1),
        ("Which team won this weekend?", "2026-03-14", "2026-03-15", 1),
        ("What did the Senate pass earlier this month?", "2026-03-01", "2026-03-20", 3),
    ],
)
def test_relative_words_make_a_soft_window(question: str, since: str, until: str, slack: int) -> None:
    frame = read_time(question, FRIDAY)
    assert (frame.since, frame.until, frame.slack) == (since, until, slack) and frame.soft


def test_a_soft_window_is_widened_by_its_slack_and_a_hard_one_is_not() -> None:
    soft = read_time("Which automaker recalled vehicles this week?", FRIDAY).filters(None, widened=True)
    assert (soft.since, soft.until) == ("2026-03-11", "2026-03-23")
    hard = read_time("What happened in 2005?", FRIDAY)
    assert not hard.soft and hard.filters(None, widened=True).since == "2005-01-01"


@pytest.mark.parametrize(
    ("question", "until"),
    [
        ("How many people had died in the floods by March 4?", "2026-03-04"),
        ("How many had died as of March 19, 2026?", "2026-03-19"),
        ("What was the toll by December 2?", "2025-12-02"),  # the last December 2 before the day asked
        ("How many had died by March 20?", "2026-03-20"),  # the day asked itself: this year's
        ("What was the toll as of March 21?", "2025-03-21"),  # a day after it: last year's
    ],
)
def test_a_date_bound_answers_from_the_newest_report_up_to_it(question: str, until: str) -> None:
    frame = read_time(question, FRIDAY)
    assert (frame.since, frame.until, frame.recency, frame.soft) == (None, until, True, False)
    assert "by" not in frame.query.split() and "of" not in frame.query.split()[-2:]


def test_a_window_is_labelled_with_its_days_and_words() -> None:
    assert read_time("What happened today?", FRIDAY).label() == "2026-03-20 (today)"
    assert read_time("What happened last month?", FRIDAY).label() == "2026-02-01 to 2026-02-28 (last month)"


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
        ("What is the latest news?", ""),
        ("latest headlines", ""),
        ("What's the news today?", ""),
        ("Any news?", ""),
        ("What's going on in the world?", ""),
        ("Tell me the news", ""),
        ("What are the top stories?", ""),
        ("What's the latest on the Meloria floods?", "Meloria floods"),
        ("Catch me up on Meloria", "Meloria"),
        ("Summarize the news about spam", "spam"),
        ("Any news on Meloria?", "Meloria"),
        ("What has happened in Ukraine?", "Ukraine"),
        ("give me an overview of the floods", "floods"),
        ("What happened to Dane?", None),
        ("What happened when cyanobacteria was assimilated?", None),
        ("How many people died?", None),
        ("What is the latest death toll?", None),
        ("What's the latest figure for the floods?", None),
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


@pytest.mark.parametrize(
    ("question", "asked", "since", "until"),
    [
        # 29 February: the last one up to the day asked
        ("How many had died by February 29?", date(2024, 2, 10), None, "2020-02-29"),
        ("How many had died by February 29?", date(2025, 3, 1), None, "2024-02-29"),
        # days that do not exist name no window (and do not fail the question)
        ("How many had died by February 30?", date(2025, 3, 1), None, None),
        ("What happened on February 30, 2024?", date(2025, 3, 1), None, None),
        ("news on 2024-13-45", date(2025, 3, 1), None, None),
        # a rolling window as long as anyone may write stays a window
        ("What happened in the past 99999999 days?", date(2026, 3, 20), "1926-04-15", "2026-03-20"),
        ("What happened in the past 0 days?", date(2026, 3, 20), "2026-03-20", "2026-03-20"),
        # "may" the verb is not May the month; the month still is
        ("Forecasters warn up to 12 may lose power. Which state?", date(2026, 3, 9), None, None),
        ("What happened in may?", date(2026, 6, 9), "2026-05-01", "2026-05-31"),
        ("How many had died by 12 May?", date(2026, 6, 9), None, "2026-05-12"),
    ],
)
def test_odd_dates_never_fail_a_question(
    question: str, asked: date, since: str | None, until: str | None
) -> None:
    frame = read_time(question, asked)
    assert (frame.since, frame.until) == (since, until)


@pytest.mark.parametrize(
    ("cited", "later", "update"),
    [
        (
            "Floods in the north of Meloria have killed at least 40 people, officials said on Saturday.",
            "The number of people killed in the Meloria floods has reached 186, the ministry said.",
            ["186"],
        ),
        # a flight number is a name, not a new count
        (
            "The Avia jet carrying 174 passengers was grounded at Portland, officials said.",
            "Flight 1282 was grounded at Portland an hour after it left, officials said.",
            [],
        ),
        # cents a price fell are not the record price
        (
            "Gas prices hit a record average of $5.02 a gallon in June.",
            "Gas prices have fallen 86 cents since the record average in June.",
            [],
        ),
        # the fleet is not the number grounded
        (
            "Regulators grounded 171 Avia 9 jets after a panel blew out.",
            "The carrier has 215 Avia 9 jets in its fleet.",
            [],
        ),
    ],
)
def test_a_later_report_updates_only_a_figure_of_the_same_quantity(
    cited: str, later: str, update: list[str]
) -> None:
    assert updated_figures(cited, later) == update
