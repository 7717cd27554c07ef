"""Which reports a story's summary is told from: those whose headline and lead are about
the story, not an article about something else that mentions it in passing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.app import App
from tests.helpers import ingested_app
from vectorstore.embedding import Embedder

ASKED = date(2026, 5, 10)
ARTICLES = [
    {
        "id": "velda-strike-1",
        "title": "Velda harbour workers walk out in first strike in decades",
        "date": "2026-05-06",
        "text": "Dock workers at the harbour of Velda walked off the job on Wednesday, starting the "
        "first harbour strike in the port city since 1989. The union says 4,200 workers joined the "
        "strike over pay and shift lengths.\n\nShips queued outside the breakwater by evening, and "
        "the port authority said container traffic had stopped.",
    },
    {
        "id": "velda-strike-2",
        "title": "Velda harbour strike enters fifth day as talks stall",
        "date": "2026-05-09",
        "text": "The harbour strike in Velda entered its fifth day on Sunday after talks between the "
        "dockers' union and the port authority broke up without a deal. Forty ships now wait at "
        "anchor, and fuel deliveries to the city are running low.\n\nThe union leader, Anne Korsa, "
        "said the workers would stay out until the authority raised its offer.",
    },
    {
        "id": "velda-mayor-speech",
        "title": "Mayor opens new tram line to the university",
        "date": "2026-05-08",
        "text": "The mayor of Velda opened the city's new tram line to the university on Friday, a "
        "project that took six years and cost 310 million euros. Trams will run every six minutes "
        "from the central station.\n\nIn her speech the mayor also urged both sides of the Velda "
        "harbour strike to return to talks, saying the harbour strike was hurting shops in the "
        "old town.\n\nThe line's second branch is due to open next spring.",
    },
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    data = tmp_path_factory.mktemp("story-members")
    articles = data / "articles.jsonl"
    articles.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    yield ingested_app(data / "store", articles, embedder, onnx_dir, len(ARTICLES))


def test_a_report_that_mentions_the_story_in_passing_is_not_told(app: App) -> None:
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: ASKED)
    answer = engine.answer("whats going on with the velda harbour strike", asked_at=ASKED)
    ids = {c.article_id for c in answer.citations}
    assert answer.mode == "overview" and not answer.refused
    assert ids and ids <= {"velda-strike-1", "velda-strike-2"}, answer.text
    assert "velda-strike-2" in ids, "the newest report is told"
