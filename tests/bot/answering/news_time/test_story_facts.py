"""What a story's summary tells: the news its reports' headlines announce (not the
background or a quotation), the story of the moment of a person with many stories, and
none of a page's stamps or live-blog runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.answering.news_time.story import proper_name, story_topic
from bot.answering.news_time.story_text import arabic, told
from bot.app import App
from tests.bot.answering.news_time.test_story_members import written_app
from vectorstore.embedding import Embedder

ASKED = date(2026, 7, 16)
REPORTS = [
    {
        "id": "orla-awards",
        "title": "Orla Venn sweeps the Harbour Music Awards with four wins",
        "date": "2026-02-03",
        "text": "Orla Venn won four Harbour Music Awards on Sunday night, including album of the year, "
        "a record for a folk singer. Venn thanked her band and said her tour this summer would "
        "take the new songs to twelve cities.\n\nThe ceremony was held in Dunmore for the first time.",
    },
    {
        "id": "orla-tour-1",
        "title": "Orla Venn opens her summer tour with a surprise duet in Calloway",
        "date": "2026-07-04",
        "text": "Orla Venn's summer tour has long been one of the season's most talked-about events, and "
        "fans have queued for tickets since the spring. The singer opened the tour in Calloway on "
        "Friday and brought out the fiddler Tam Rusk for a surprise duet before 18,000 fans.\n\n"
        "Venn, who grew up on a farm outside Dunmore, has sung since she was a child, and her mother "
        "taught her the old ballads she still plays on tour. Her tour is her first in three years.",
    },
    {
        "id": "orla-tour-2",
        "title": "Orla Venn's unreleased songs stolen from tour bus in Brayford",
        "date": "2026-07-14",
        "text": "Orla Venn's tour has been one of the busiest of the summer, with sold-out nights in "
        "every city so far. Thieves broke into the singer's tour bus in Brayford on Sunday and stole "
        "laptops holding 14 unreleased songs, police said.\n\nVenn's tour goes on to Harlow next "
        "week. Her fans, who call themselves the Venn Crew, have followed the tour from city to city.",
    },
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    yield written_app(tmp_path_factory.mktemp("story-facts"), REPORTS, embedder, onnx_dir)


def test_a_summary_tells_the_news_its_headlines_announce(app: App) -> None:
    """Each report opens on background (the tour is much talked about); the news its
    headline announces (a duet in Calloway, songs stolen in Brayford) is told instead."""
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: ASKED)
    answer = engine.answer("whats going on with orla venns tour", asked_at=ASKED)
    assert answer.mode == "overview" and not answer.refused, answer.text
    assert "Calloway" in answer.text and "stole laptops holding 14 unreleased songs" in answer.text, (
        answer.text
    )
    assert "busiest of the summer" not in answer.text, "the background is not told in place of the news"


def test_a_person_is_asked_about_for_the_story_of_the_moment(app: App) -> None:
    """Orla Venn has two stories: the awards months ago, the tour now. "whats going on with
    orla venn" is told from the tour's reports only."""
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: ASKED)
    answer = engine.answer("whats going on with orla venn", asked_at=ASKED)
    ids = {c.article_id for c in answer.citations}
    assert answer.mode == "overview" and ids, answer.text
    assert ids <= {"orla-tour-1", "orla-tour-2"}, answer.text


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("any news on the ufo stuff", "ufo"),
        ("whats the deal with the whole tiktok thing", "tiktok"),
        ("whats goin on with jimmy kimmel", "jimmy kimmel"),
        ("what happened with the debt ceiling situation", "debt ceiling"),
        # a name that ends or starts with such a word keeps it
        ("whats up with fox news", "fox news"),
        ("any news on toy story", "toy story"),
        ("whats going on with whole foods", "whole foods"),
        # a numeral typed in lower case after a name is its figure; "xi" is a name
        ("any news on artemis ii", "artemis 2"),
        ("whats going on with xi jinping", "xi jinping"),
    ],
)
def test_a_word_that_stands_for_the_story_is_not_part_of_its_name(question: str, topic: str) -> None:
    assert story_topic(question) == topic


def test_a_numeral_is_read_as_its_figure() -> None:
    assert arabic("Artemis II launches with four astronauts") == "Artemis 2 launches with four astronauts"
    assert arabic("King Charles III visits") == "King Charles 3 visits"
    assert arabic("I said I would go") == "I said I would go"


def test_a_name_is_written_with_capitals_wherever_it_is_reported() -> None:
    texts = ["Mayor Eric Adams was indicted on Thursday.", "Adams said he would not resign."]
    assert proper_name("eric adams", texts)
    assert not proper_name("college protests", ["College protests spread as police cleared the camp."])


@pytest.mark.parametrize(
    ("sentence", "can_tell"),
    [
        ("May 7, 2026 Updated May 8, 2026, 8:47 a.m. ET", False),
        ("Updated April 14, 2026, 8:05 p.m. ET", False),
        (
            "9:28 pm ET April 1, 2026 Share this update Crew reaches orbit Jane Roe The crew is in orbit.",
            False,
        ),
        ("The ship was stopped at sea on May 7, 2026, with 140 passengers aboard.", True),
        # a sentence without its full stop is no heading
        ("The storm killed 12 people in Haiti, officials said", True),
    ],
)
def test_a_page_stamp_or_a_live_blog_run_is_never_told(sentence: str, can_tell: bool) -> None:
    assert told(sentence) is can_tell
