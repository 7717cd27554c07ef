"""The LLM path's answerability guard, with LangChain's fake chat models over our own
near-miss articles (tests/fixtures/nearmiss)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage

from bot.answering.engine import AnswerEngine
from bot.answering.generation.llm import ChatBackend
from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from tests.bot.test_generative import RecordingFake
from tests.conftest import FIXTURES
from vectorstore.embedding import Embedder

SECOND_OFFICE = "Where will Corvex open its second overseas office?"


@pytest.fixture
def stored(ingestor: Ingestor, settings: Settings) -> Iterator[Settings]:
    report = run_ingest(settings, [str(FIXTURES / "nearmiss" / "articles.jsonl")], ingestor=ingestor)
    assert report.ok
    yield settings


def _engine(settings: Settings, embedder: Embedder, *replies: str) -> tuple[AnswerEngine, RecordingFake]:
    fake = RecordingFake(messages=iter([AIMessage(r) for r in replies]))
    return App(settings, embedder=embedder, chat=ChatBackend(fake, "fake")).engine, fake


def _corvex_source(engine: AnswerEngine, question: str) -> int:
    passages = engine.retriever.retrieve(question, 10).passages[:5]
    return next(i for i, p in enumerate(passages, start=1) if p.article.id == "corvex-offices")


def test_a_near_miss_is_refused_before_the_model_is_asked(stored: Settings, embedder: Embedder) -> None:
    engine, fake = _engine(stored, embedder, "Mira Osei won it [1].")
    answer = engine.answer("Who won the 2025 Halvard Peace Prize?")

    assert answer.refused and answer.nearest is not None and "2025" in answer.text
    assert fake.prompts == []


def test_the_model_saying_not_in_the_sources_gives_the_near_miss_reply(
    stored: Settings, embedder: Embedder
) -> None:
    engine, fake = _engine(stored, embedder, "Not in the sources.")
    answer = engine.answer(SECOND_OFFICE)

    assert answer.refused and answer.mode == "refused" and not answer.citations
    assert answer.nearest is not None and "Warsaw" in answer.nearest.quote
    assert answer.text.startswith("The articles I have do not say this.")
    assert "Not in the sources" in str(fake.prompts[0][0].content), "the prompt allows the model to say so"


def test_a_supported_answer_that_misses_the_question_anchor_is_refused(
    stored: Settings, embedder: Embedder
) -> None:
    probe, _ = _engine(stored, embedder)
    n = _corvex_source(probe, SECOND_OFFICE)
    engine, _ = _engine(stored, embedder, f"Corvex will open its first overseas office in Lisbon [{n}].")
    answer = engine.answer(SECOND_OFFICE)

    assert answer.refused and answer.mode == "refused" and not answer.citations
    assert "“second" in answer.text
    assert answer.nearest is not None and "Warsaw" in answer.nearest.quote


def test_a_supported_answer_meeting_the_anchors_is_kept(stored: Settings, embedder: Embedder) -> None:
    probe, _ = _engine(stored, embedder)
    n = _corvex_source(probe, SECOND_OFFICE)
    engine, _ = _engine(stored, embedder, f"Corvex's second overseas office will be in Warsaw [{n}].")
    answer = engine.answer(SECOND_OFFICE)

    assert not answer.refused and answer.mode == "llm" and answer.nearest is None
    assert "Warsaw" in answer.text and answer.citations[0].article_id == "corvex-offices"
    cited = answer.citations[0]  # the source sentence, quoted as it stands in the article
    assert _article_text("corvex-offices")[cited.start : cited.end] == cited.quote


def _article_text(article_id: str) -> str:
    rows = map(json.loads, (FIXTURES / "nearmiss" / "articles.jsonl").open(encoding="utf-8"))
    return next(str(r["text"]) for r in rows if r["id"] == article_id)
