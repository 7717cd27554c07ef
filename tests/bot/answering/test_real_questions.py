"""Real news questions on the team's own fixtures, with a fixed clock: quotes
that answer rather than restate, time words that never refuse an answerable question, a
date bound, the day a question was asked, and an old store that is not today's news."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.answering.news_time.timeframe import read_time
from bot.app import App
from tests.helpers import ingested_app
from vectorstore.embedding import Embedder

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "real_questions" / "articles.jsonl"
QUIZ_DAY = date(2026, 10, 16)  # a Friday


@pytest.fixture(scope="module")
def quiz_app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    app = ingested_app(tmp_path_factory.mktemp("real_questions"), FIXTURE, embedder, onnx_dir, 10)
    yield app


def engine_on(app: App, day: date) -> AnswerEngine:
    return AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: day)


@pytest.fixture
def engine(quiz_app: App) -> AnswerEngine:
    return engine_on(quiz_app, QUIZ_DAY)


def marked(engine: AnswerEngine, question: str) -> tuple[str, str]:
    """The answer's text and the words its first citation marks as the answer."""
    answer = engine.answer(question)
    assert not answer.refused, answer.text
    citation = answer.citations[0]
    assert citation.mark is not None, f"no answer marked in {citation.quote!r}"
    return answer.text, citation.quote[citation.mark[0] : citation.mark[1]]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Which wildly popular show was recently green lit for a new season?", "Glass Harbor"),
        ("One of the biggest strikes in Norland's history is brewing at which major company?", "Parcelon"),
        ("How many Valdorians could soon be conscripted into the country's military?", "120,000"),
        ("Approximately how many baby swings were recalled this week?", "2 million"),
    ],
)
def test_the_quote_names_what_the_question_asks_not_its_restatement(
    engine: AnswerEngine, question: str, answer: str
) -> None:
    text, mark = marked(engine, question)
    assert answer in text and mark == answer


def test_a_lead_that_restates_is_quoted_with_the_sentence_that_answers(engine: AnswerEngine) -> None:
    text, _ = marked(engine, "Which wildly popular show was recently green lit for a new season?")
    assert "green lit for a second season" in text and "“Glass Harbor” is officially coming back." in text


def test_a_date_bound_answers_from_the_newest_report_up_to_that_day(engine: AnswerEngine) -> None:
    by_4 = engine.answer("How many people had died in the Avel floods by October 4?")
    assert "35" in by_4.text and by_4.citations[0].article_id == "avel-floods-2"
    by_3 = engine.answer("How many people had died in the Avel floods by October 3?")
    assert "12" in by_3.text and by_3.citations[0].article_id == "avel-floods-1"


def test_an_answer_outside_the_literal_window_of_this_week_is_not_refused(engine: AnswerEngine) -> None:
    question = "A volcano erupted on which island this week?"
    widened = read_time(question, QUIZ_DAY).filters(None, widened=True)
    assert str(widened.since) > "2026-10-05", "the report lies outside even the widened window"
    answer = engine.answer(question)
    assert not answer.refused and answer.citations[0].article_id == "isla-brava-volcano"
    assert "Isla Brava" in answer.text


def test_the_scene_of_a_quiz_question_need_not_be_repeated_by_the_answer(engine: AnswerEngine) -> None:
    answer = engine.answer(
        "Quarterback Davin Rusk was suspended for six games by the Northern Football League this week "
        "for violating its conduct policy. Which team does Rusk play for?"
    )
    assert not answer.refused and "Harbor City Gulls" in answer.text


def test_a_question_is_read_on_the_day_it_was_asked(quiz_app: App) -> None:
    question = "How many people have died in the Avel floods this week?"
    then = engine_on(quiz_app, QUIZ_DAY).answer(question, asked_at=date(2026, 10, 4))
    assert "35" in then.text and "58" not in then.text, "nothing dated after the day asked"
    now = engine_on(quiz_app, date(2026, 10, 8)).answer(question)
    assert "58" in now.text


def test_a_refusal_in_an_empty_window_names_it(quiz_app: App) -> None:
    answer = engine_on(quiz_app, date(2026, 12, 4)).answer("Which airline went bankrupt this week?")
    assert answer.refused
    assert answer.text.startswith("I have no articles dated 2026-11-28 to 2026-12-04 (this week).")


def test_an_old_store_is_not_called_today(quiz_app: App) -> None:
    answer = engine_on(quiz_app, date(2026, 12, 4)).answer("What happened today?")
    assert answer.mode == "overview"
    first, *stories = answer.text.splitlines()
    assert first == "I have nothing dated 2026-12-04 (today); the newest I have is from 2026-10-14."
    assert "(today)" not in answer.text.split("\n", 1)[1] and stories


@pytest.mark.parametrize(
    "question",
    ["What is the latest news?", "what's new?", "latest headlines", "Tell me the news", "Any news?"],
)
def test_every_common_way_of_asking_for_the_news_gets_the_overview(
    engine: AnswerEngine, question: str
) -> None:
    answer = engine.answer(question)
    assert answer.mode == "overview" and not answer.refused and len(answer.citations) >= 3


def test_an_unrelated_later_figure_is_not_offered_as_an_update(engine: AnswerEngine) -> None:
    answer = engine.answer("How many votes did the Norland budget pass by?")
    assert "later report" not in answer.text
