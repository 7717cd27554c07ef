"""A named story's summary on the team's dated fixtures: one story only, its key facts in
2-4 cited sentences told in order, the newest report's figure with its date, and an old
story said to be old."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.answering.news_time.story import story_topic
from bot.app import App
from tests.helpers import ingested_app
from vectorstore.embedding import Embedder

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "news_time" / "articles.jsonl"
FRIDAY = date(2026, 3, 20)
MELORIA = {"meloria-1", "meloria-2", "meloria-3"}


@pytest.fixture(scope="module")
def story_app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    yield ingested_app(tmp_path_factory.mktemp("story"), FIXTURE, embedder, onnx_dir, 13)


@pytest.fixture
def engine(story_app: App) -> AnswerEngine:
    return AnswerEngine(story_app.retriever, AnswerOptions(), clock=lambda: FRIDAY)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("what happened with the meloria floods", "meloria floods"),
        ("whats going on with the water in tessaly?", "water in tessaly"),
        ("What's happening in Norland", "Norland"),
        ("any news on the kestrel robot", "kestrel robot"),
        ("ok so whats the deal with the orvale bridge", "orvale bridge"),
        ("any update on the calder marathon", "calder marathon"),
    ],
)
def test_the_ways_members_ask_about_a_story_name_it(question: str, topic: str) -> None:
    assert story_topic(question) == topic


@pytest.mark.parametrize(
    "question",
    [
        "What happened to his lab?",  # a fact about something the question names, not a story
        "What happened when the bridge collapsed in Orvale after the storm of the winter?",
        "what is the interest rate in Norland",
        "what's new?",
    ],
)
def test_other_questions_are_not_story_questions(question: str) -> None:
    assert story_topic(question) is None


def test_a_story_question_is_told_from_that_story_only(engine: AnswerEngine) -> None:
    answer = engine.answer("what happened with the meloria floods")
    ids = [c.article_id for c in answer.citations]
    assert not answer.refused and set(ids) <= MELORIA and 2 <= len(ids) <= 4
    assert "meloria-3" in ids, "the newest report is told"
    dates = [c.date or "" for c in answer.citations]
    assert dates == sorted(dates), "told in the order it was reported"
    newest = answer.citations[ids.index("meloria-3")]
    assert f"On 19 Mar 2026: {newest.quote} [{newest.number}]" in answer.text, "a later report with its date"
    assert "186" in answer.text and answer.stale is None
    for c in answer.citations:  # each sentence quoted as it stands in its article, and cited
        assert f"{c.quote} [{c.number}]" in answer.text


def test_a_story_with_wire_copies_cites_one_and_names_the_others(engine: AnswerEngine) -> None:
    answer = engine.answer("whats going on with the tessaly desalination plant")
    ids = [c.article_id for c in answer.citations]
    assert ids and all(i.startswith("tessaly") for i in ids)
    assert any(c.also_reported_by for c in answer.citations), "the copies are named, not told again"


def test_an_old_story_says_how_old_it_is(story_app: App) -> None:
    later = AnswerEngine(story_app.retriever, AnswerOptions(), clock=lambda: date(2026, 7, 1))
    answer = later.answer("any news on the meloria floods")
    assert answer.text.startswith("The newest I have on this is from 19 March 2026: ")
    assert answer.stale == "2026-03-19" and answer.stale_lead()


def test_a_story_the_articles_never_name_is_not_summarised_from_others(engine: AnswerEngine) -> None:
    answer = engine.answer("what happened with the zantar election")
    assert answer.mode != "overview" or not answer.citations
