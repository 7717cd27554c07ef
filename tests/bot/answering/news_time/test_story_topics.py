"""Which story a topic means: a place alone or one word means its story of the moment, and a
misspelt word of the topic is read as the word the reports spell."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.answering.news_time.story import broad
from bot.answering.news_time.story_names import respelt
from bot.app import App
from tests.bot.answering.news_time.test_story_members import ARTICLES, written_app
from vectorstore.embedding import Embedder
from vectorstore.lexical import tokenize
from vectorstore.models import ArticleRecord, Passage

ASKED = date(2026, 5, 10)
HAITI = [
    {
        "id": "haiti-quake-1",
        "title": "Earthquake in Haiti kills 240 and flattens homes in Jeremie",
        "date": "2026-01-12",
        "text": "A magnitude 7.1 earthquake struck southern Haiti on Monday, killing at least 240 "
        "people and flattening thousands of homes in and around Jeremie, Haiti's civil protection "
        "agency said.\n\nRescue teams from the Dominican Republic crossed the border to help dig "
        "through the rubble in Haiti.",
    },
    {
        "id": "haiti-quake-2",
        "title": "Haiti earthquake death toll rises to 410 as aid arrives",
        "date": "2026-01-15",
        "text": "The death toll from Monday's earthquake in Haiti rose to 410 on Thursday as aid "
        "flights landed in Port-au-Prince and the first field hospitals opened in Jeremie.\n\n"
        "Haiti's prime minister declared a month of national mourning.",
    },
    {
        "id": "haiti-vote-1",
        "title": "Haiti sets date for first presidential vote in a decade",
        "date": "2026-05-04",
        "text": "Haiti's electoral council set June 21 as the date of the country's first "
        "presidential election in ten years, the council said on Monday.\n\nEleven candidates have "
        "registered, and the council said voting would be held in 1,600 polling stations across "
        "Haiti.",
    },
    {
        "id": "haiti-vote-2",
        "title": "Haiti election campaign opens with rallies in the capital",
        "date": "2026-05-08",
        "text": "Campaigning for Haiti's presidential election opened on Friday with rallies in "
        "Port-au-Prince, where thousands gathered to hear the eleven candidates.\n\nThe vote on "
        "June 21 is Haiti's first since 2016.",
    },
]

YACHT = [
    {
        "id": "corvina-yacht",
        "title": "Why the Corvina super yacht sank, leaving one dead and six missing",
        "date": "2026-05-07",
        "text": "The Corvina set off on a slow cruise around Italy's southern coast on a calm day in "
        "late April. Before dawn on Tuesday a sudden storm rolled her over within minutes off Porticello."
        "\n\nDivers recovered the body of the cook on Wednesday, and six guests are still missing, "
        "the coast guard said.",
    },
    {
        "id": "italy-cycling",
        "title": "Cycling: Italy's Marco Dell wins the mountain stage",
        "date": "2026-05-08",
        "text": "Italy's Marco Dell won the mountain stage on Friday, taking the leader's jersey with two "
        "days to go. The Italian attacked on the last climb.",
    },
    {
        "id": "italy-budget",
        "title": "Italy's parliament passes a tighter budget",
        "date": "2026-05-05",
        "text": "Italy's parliament passed next year's budget on Tuesday, cutting spending by 12 billion "
        "euros. The opposition voted against it.",
    },
    {
        "id": "sydney-yacht-race",
        "title": "Comet wins the Sydney yacht race in record time",
        "date": "2026-05-06",
        "text": "The yacht Comet crossed the finish line in Hobart on Wednesday, winning the race from "
        "Sydney in a record one day and nine hours.",
    },
]

# Other towns' news: a store of many reports, where "Italy" in three of them is nearly as
# rare a word as "yacht" in two
TOWNS = ["Arden", "Bexley", "Corran", "Dunmere", "Elstow", "Farleigh", "Garth", "Hollins", "Ivel", "Jarrow"]
OTHER_NEWS = [
    {
        "id": f"council-{town.lower()}",
        "title": f"{town} council approves a new library",
        "date": "2026-04-20",
        "text": f"The council of {town} approved a new public library on Monday, to open in {2027 + i % 3}. "
        f"It will hold {40 + i} thousand books.",
    }
    for i, town in enumerate(TOWNS)
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    yield written_app(
        tmp_path_factory.mktemp("story-topics"), ARTICLES + HAITI + YACHT + OTHER_NEWS, embedder, onnx_dir
    )


def test_a_place_alone_is_told_from_its_story_of_the_moment(app: App) -> None:
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: ASKED)
    answer = engine.answer("whats going on in haiti", asked_at=ASKED)
    ids = {c.article_id for c in answer.citations}
    assert answer.mode == "overview" and not answer.refused, answer.text
    assert ids and ids <= {"haiti-vote-1", "haiti-vote-2"}, answer.text


def test_a_place_alone_asked_earlier_is_told_from_the_story_of_that_time(app: App) -> None:
    asked = date(2026, 1, 20)
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: asked)
    answer = engine.answer("whats going on in haiti", asked_at=asked)
    assert {c.article_id for c in answer.citations} <= {"haiti-quake-1", "haiti-quake-2"}, answer.text


def test_a_misspelt_topic_is_told_from_the_reports_that_spell_it(app: App) -> None:
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: ASKED)
    answer = engine.answer("whats going on with the velda harbour strke", asked_at=ASKED)
    ids = {c.article_id for c in answer.citations}
    assert answer.mode == "overview" and not answer.refused, answer.text
    assert ids and ids <= {"velda-strike-1", "velda-strike-2"}, answer.text


def test_a_report_names_the_story_in_its_headline_and_sentence_together(app: App) -> None:
    """The headline names the yacht, the sentences name Italy: the story is the report's."""
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: ASKED)
    answer = engine.answer("what happened with that yacht in italy", asked_at=ASKED)
    assert {c.article_id for c in answer.citations} == {"corvina-yacht"}, answer.text
    assert "stories about" not in answer.text


@pytest.mark.parametrize(
    ("topic", "many"),
    [
        ("haiti", True),
        ("south korea", True),
        ("the pope", True),
        ("mpox", True),
        ("the floods in texas", False),
        ("student loan forgiveness", False),
    ],
)
def test_a_topic_is_broad_when_it_is_a_place_alone_or_one_word(topic: str, many: bool) -> None:
    assert broad(topic) is many


def test_a_word_no_report_spells_is_read_as_its_nearest_spelling_in_them() -> None:
    record = ArticleRecord(id="b", title="Chinese balloon shot down", hash="h", n_chunks=1)
    text = "The balloon was shot down off the coast. The balloon drifted for days."
    passages = [Passage("b:0", record, 0, text, 0, len(text), 1.0)]
    assert respelt(tokenize("chinese baloon"), passages) == tokenize("chinese balloon")
    assert respelt(tokenize("chinese kite"), passages) == tokenize("chinese kite"), "no near spelling: kept"
