"""Page furniture is never the answer, never the "closest they come", never a lead: the
real engine over team-written pages (tests/fixtures/furniture/articles.jsonl)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bot.answering.engine import AnswerEngine
from bot.answering.models import Answer
from bot.answering.news_time.overview import lead_of
from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from tests.conftest import FIXTURES
from vectorstore.embedding import Embedder
from vectorstore.furniture import line_is_furniture

ARTICLES = FIXTURES / "furniture" / "articles.jsonl"
ASKED = date(2025, 3, 6)


@pytest.fixture
def engine(ingestor: Ingestor, settings: Settings, embedder: Embedder) -> Iterator[AnswerEngine]:
    assert run_ingest(settings, [str(ARTICLES)], ingestor=ingestor).ok
    yield App(settings, embedder=embedder).engine


def _quotes(answer: Answer) -> list[str]:
    return [c.quote for c in answer.citations] + ([answer.nearest.quote] if answer.nearest else [])


def test_the_reporting_answers_and_no_link_line_or_note_is_quoted(engine: AnswerEngine) -> None:
    answer = engine.answer("How many measles cases are there in Dorran County?", asked_at=ASKED)
    assert not answer.refused and "159" in answer.text
    assert not any(line_is_furniture(q) or "More:" in q for q in _quotes(answer))


def test_a_list_item_that_only_names_is_not_the_winner(engine: AnswerEngine) -> None:
    answer = engine.answer("Who won the Lantern Bowl?", asked_at=ASKED)
    assert "The Whos" not in answer.text and not any("Lantern Bowl XX" in q for q in _quotes(answer))


def test_an_overview_leads_with_reporting(engine: AnswerEngine) -> None:
    answer = engine.answer("what's going on with the measles outbreak in dorran", asked_at=ASKED)
    assert answer.mode == "overview" and answer.citations
    assert answer.citations[0].quote.startswith("The Dorran County measles outbreak has grown to 159 cases")


@pytest.mark.parametrize(
    "opening",
    [
        "Dorran City Ledger —\n\nEditor's note: Follow the Ledger's coverage of the outbreak.\n\n"
        "The Dorran County measles outbreak has grown to 159 cases, officials said.",
        # as the newsroom hands it: the opening's sentences joined into one line
        "Editor's note: Follow the Ledger's coverage of the outbreak. "
        "The Dorran County measles outbreak has grown to 159 cases, officials said.",
    ],
)
def test_a_lead_skips_furniture_in_an_opening_with_or_without_its_lines(opening: str) -> None:
    lead, start = lead_of(opening, 100)
    assert lead.startswith("The Dorran County measles outbreak") and opening[start - 100 :].startswith(lead)


def test_an_opening_of_nothing_but_furniture_has_no_lead() -> None:
    assert lead_of("More: Measles keeps spreading\n\nSign up for our health newsletter") == ("", 0)
