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
        "id": "kessport-ferry",
        "title": "Ferry fire in Kessport leaves three missing",
        "date": "2026-05-07",
        "text": "A fire broke out on the ferry Arlen as it docked in the old harbour on Thursday, and "
        "three crew members are missing, the coast guard said. The 212 passengers were taken off by "
        "lifeboats.\n\nInvestigators are looking at the engine room, where the blaze began.",
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


def written_app(data: Path, reports: list[dict[str, str]], embedder: Embedder, onnx_dir: Path) -> App:
    """An App over a fresh store holding these written reports."""
    articles = data / "articles.jsonl"
    articles.write_text("".join(json.dumps(a) + "\n" for a in reports), encoding="utf-8")
    return ingested_app(data / "store", articles, embedder, onnx_dir, len(reports))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    yield written_app(tmp_path_factory.mktemp("story-members"), ARTICLES, embedder, onnx_dir)


def test_a_report_that_mentions_the_story_in_passing_is_not_told(app: App) -> None:
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: ASKED)
    answer = engine.answer("whats going on with the velda harbour strike", asked_at=ASKED)
    ids = {c.article_id for c in answer.citations}
    assert answer.mode == "overview" and not answer.refused
    assert ids and ids <= {"velda-strike-1", "velda-strike-2"}, answer.text
    assert "velda-strike-2" in ids, "the newest report is told"


def test_a_story_named_only_in_a_headline_is_told_from_its_report(app: App) -> None:
    """No sentence names the town; the headline does: the story is told in its sentences
    (2-4 of them), not listed as one of the stories that match its words."""
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: ASKED)
    answer = engine.answer("what happened with the ferry fire in kessport", asked_at=ASKED)
    assert answer.mode == "overview" and not answer.refused, answer.text
    assert {c.article_id for c in answer.citations} == {"kessport-ferry"}
    assert (
        len(answer.citations) >= 2 and "stories about" not in answer.text and "story about" not in answer.text
    )


TOLL_REPORTS = [
    {
        "id": "brenmoor-fire-1",
        "title": "Brenmoor wildfire kills 12 as villages are evacuated",
        "date": "2026-04-02",
        "text": "At least 12 people have died in the wildfire that swept across the Brenmoor hills on "
        "Thursday, the regional fire service said. Some 3,000 residents were evacuated overnight.",
    },
    {
        "id": "brenmoor-fire-2",
        "title": "Brenmoor wildfire death toll rises to 20",
        "date": "2026-04-03",
        "text": "The number of people killed by the Brenmoor wildfire has risen to 20, officials said on "
        "Friday, as firefighters battled the flames for a second night. Strong winds pushed the fire "
        "towards the valley towns.",
    },
    {
        "id": "brenmoor-fire-3",
        "title": "Brenmoor wildfire: crews contain the blaze as the toll reaches 27",
        "date": "2026-04-05",
        "text": "Firefighters contained the blaze in the Brenmoor hills on Sunday after rain fell overnight, "
        "and the death toll climbed to 27. Investigators are looking at a power line as the cause.",
    },
    {
        "id": "kessel-mine",
        "title": "Fire at Kessel copper mine traps workers",
        "date": "2026-04-06",
        "text": "A fire broke out in the Kessel copper mine on Monday, and 5 people were killed, the "
        "mine's owner said. Rescue teams are still searching the lower galleries.",
    },
    {
        "id": "merkland-quake",
        "title": "Merkland earthquake death toll rises to 300",
        "date": "2026-04-07",
        "text": "The death toll from the Merkland earthquake rose to 300 on Tuesday, officials said, as "
        "rescuers dug through collapsed buildings.",
    },
]


@pytest.fixture(scope="module")
def toll_app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    yield written_app(tmp_path_factory.mktemp("story-toll"), TOLL_REPORTS, embedder, onnx_dir)


def test_a_newer_report_of_the_story_updates_the_figure_asked_for(toll_app: App) -> None:
    """The newest toll of the story is quoted though its sentence words it its own way
    ("the death toll climbed to 27"); another story's newer toll is not, though its headline
    words the outcome as the story's does ("death toll rises to")."""
    engine = AnswerEngine(toll_app.retriever, AnswerOptions(), clock=lambda: date(2026, 4, 9))
    answer = engine.answer("how many people have died in the brenmoor wildfire", asked_at=date(2026, 4, 9))
    assert not answer.refused and answer.citations[0].article_id == "brenmoor-fire-3", answer.text
    assert "27" in answer.text and "Kessel" not in answer.text and "Merkland" not in answer.text
