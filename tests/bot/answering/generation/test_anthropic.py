"""The `anthropic` LLM provider, the real `langchain-anthropic` client over a stand-in of
Anthropic's Messages API on 127.0.0.1 (anthropic_standin.py), chosen by LLM_PROVIDER and
pointed at the stand-in by LLM_BASE_URL: the answer streams, a 429 is retried after its
retry-after (or, when it lasts, the member gets the quote), a 500 gives the quote and a log
line naming it, and the API key is in no log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import pairwise

import pytest
from pydantic import SecretStr

from bot.answering.engine import AnswerEngine
from bot.answering.generation.generative import UNAVAILABLE
from bot.answering.generation.providers import PROVIDERS
from bot.app import App
from bot.settings import Settings
from tests.bot.answering.generation.anthropic_standin import Script, anthropic_standin
from tests.helpers import REPO_SAMPLE_QUESTION
from vectorstore.embedding import Embedder

KEY = "sk-ant-standin-0123456789-secret"
OPENAI_URL = "https://newsdesk.example/2023/06/openai-london-office"


@pytest.fixture
def source_number(sample_engine: AnswerEngine) -> int:
    """The number the sample article about OpenAI's office has among the prompt's sources."""
    passages = sample_engine.retriever.retrieve(REPO_SAMPLE_QUESTION, 10).passages[:5]
    return next(i for i, p in enumerate(passages, start=1) if p.article.id == OPENAI_URL)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log line, the HTTP clients' debug lines included."""
    with caplog.at_level(logging.DEBUG):
        for name in ("anthropic", "httpx", "httpcore", "httpx2", "httpcore2", "langchain_anthropic"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        yield caplog


def _engine(settings: Settings, embedder: Embedder, url: str) -> AnswerEngine:
    anthropic = settings.model_copy(
        update={
            "llm_provider": "anthropic",
            "llm_model": "claude-standin-1",
            "llm_api_key": SecretStr(KEY),
            "llm_base_url": url,
            "llm_timeout_s": 20.0,
        }
    )
    return App(anthropic, embedder=embedder).engine


def test_the_answer_streams_from_the_messages_api(
    settings: Settings, embedder: Embedder, source_number: int, logs: pytest.LogCaptureFixture
) -> None:
    reply = f"OpenAI will open its first international office in London [{source_number}]."
    script = Script([reply])
    with anthropic_standin(script) as url:
        engine = _engine(settings, embedder, url)
        partials: list[str] = []
        answer = engine.answer(REPO_SAMPLE_QUESTION, on_partial=partials.append)

    assert answer.mode == "llm" and not answer.refused, answer
    assert "London [1]" in answer.text and answer.citations[0].url == OPENAI_URL
    # shown as it was written: one text growing word by word (events without text repeat it)
    grown = [text for text in dict.fromkeys(partials) if text]
    assert len(grown) >= 5 and all(b.startswith(a) for a, b in pairwise(grown))
    assert grown[-1].strip() == reply
    [request] = script.requests
    assert request.body["stream"] is True and request.body["model"] == "claude-standin-1"
    sent_key = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix(
        "Bearer "
    )
    assert sent_key == KEY and "anthropic-version" in request.headers
    assert "numbered sources" in str(request.body["system"])  # the rules go as the system prompt
    assert "OpenAI" in str(request.body["messages"][-1]["content"])
    assert KEY not in logs.text and all(KEY not in repr(r.args) for r in logs.records)
    assert logs.records, "the clients' debug lines were captured: the check above saw them"


def test_a_429_is_retried_after_its_retry_after(
    settings: Settings, embedder: Embedder, source_number: int, logs: pytest.LogCaptureFixture
) -> None:
    reply = f"OpenAI will open its first international office in London [{source_number}]."
    script = Script([429, reply], retry_after_s=1)
    with anthropic_standin(script) as url:
        answer = _engine(settings, embedder, url).answer(REPO_SAMPLE_QUESTION, on_partial=lambda _: None)

    assert answer.mode == "llm" and "London [1]" in answer.text
    first, second = script.requests
    assert second.at - first.at >= 0.9  # the client waited as the 429 asked
    assert KEY not in logs.text


def test_a_lasting_429_gives_the_quote_and_says_why(
    settings: Settings, embedder: Embedder, sample_engine: AnswerEngine, logs: pytest.LogCaptureFixture
) -> None:
    script = Script([429], retry_after_s=1)
    with anthropic_standin(script) as url:
        answer = _engine(settings, embedder, url).answer(REPO_SAMPLE_QUESTION, on_partial=lambda _: None)

    assert answer.mode == "fallback" and answer.note == UNAVAILABLE
    assert "London" in answer.text and answer.citations[0].url == OPENAI_URL
    assert len(script.requests) == 2  # one try and one retry, no more
    [warning] = [r for r in logs.records if r.levelno == logging.WARNING and "LLM" in r.getMessage()]
    assert "anthropic:claude-standin-1" in warning.getMessage() and "RateLimitError" in warning.getMessage()
    assert KEY not in logs.text


def test_a_500_gives_the_quote_and_a_log_line_naming_it(
    settings: Settings, embedder: Embedder, sample_engine: AnswerEngine, logs: pytest.LogCaptureFixture
) -> None:
    script = Script([500])
    with anthropic_standin(script) as url:
        answer = _engine(settings, embedder, url).answer(REPO_SAMPLE_QUESTION)

    assert answer.mode == "fallback" and answer.note == UNAVAILABLE and "London" in answer.text
    [warning] = [r for r in logs.records if r.levelno == logging.WARNING and "LLM" in r.getMessage()]
    assert "anthropic:" in warning.getMessage() and "500 Internal server error" in warning.getMessage()
    assert KEY not in logs.text


def test_the_provider_reads_the_options_it_names() -> None:
    anthropic = PROVIDERS["anthropic"]
    assert set(anthropic.needs) <= set(anthropic.reads) and "base_url" in anthropic.reads
