"""Near misses through the real engine and embedder: tests/fixtures/nearmiss holds our own
dated articles and, for each question, the expected answer or refusal (year, ordinal,
city, company, office and country swaps, negations)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.answering.engine import AnswerEngine
from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from tests.conftest import FIXTURES
from vectorstore.embedding import Embedder

NEARMISS = FIXTURES / "nearmiss"
QUESTIONS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (NEARMISS / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    if line
]


@pytest.fixture
def nearmiss_engine(ingestor: Ingestor, settings: Settings, embedder: Embedder) -> Iterator[AnswerEngine]:
    report = run_ingest(settings, [str(NEARMISS / "articles.jsonl")], ingestor=ingestor)
    assert report.ok and report.count("added") == 13
    yield App(settings, embedder=embedder).engine


def test_fixture_questions_are_answered_or_refused_as_expected(nearmiss_engine: AnswerEngine) -> None:
    wrong = []
    for q in QUESTIONS:
        answer = nearmiss_engine.answer(q["question"])
        if q["expect"] == "answer":
            ok = not answer.refused and q["contains"] in answer.text and answer.nearest is None
        else:
            ok = (
                answer.refused
                and not answer.citations
                and answer.nearest is not None
                and q["missing"] in answer.text
                and answer.nearest.quote in answer.text
            )
        if not ok:
            wrong.append((q["question"], answer.refused, answer.text))
    assert not wrong, wrong


def test_near_miss_names_what_is_missing_and_quotes_what_the_articles_say(
    nearmiss_engine: AnswerEngine,
) -> None:
    answer = nearmiss_engine.answer("Who won the 2025 Halvard Peace Prize?")

    assert answer.refused and answer.mode == "refused"
    assert answer.text.startswith("I could not find anything on “2025 Halvard Peace Prize”")
    assert answer.nearest is not None
    assert answer.nearest.article_id == "halvard-prize-2024" and "2024" in answer.nearest.quote
    assert answer.text.endswith(f"{answer.nearest.quote} [1]")
    as_json = answer.to_json()
    assert as_json["citations"] == [] and as_json["nearest"]["quote"] == answer.nearest.quote


def test_an_answer_leaning_on_its_neighbour_is_quoted_with_it(nearmiss_engine: AnswerEngine) -> None:
    answer = nearmiss_engine.answer("By how many votes did Pruitt win the manual recount?")

    [citation] = answer.citations
    assert citation.quote.startswith("Election officials") and "129 votes" in citation.quote
    assert len(answer.text) <= 300


def test_an_unrelated_question_is_refused_without_a_nearest_quote(nearmiss_engine: AnswerEngine) -> None:
    answer = nearmiss_engine.answer("What is the boiling point of mercury?")
    assert answer.refused and answer.nearest is None and answer.to_json()["nearest"] is None
