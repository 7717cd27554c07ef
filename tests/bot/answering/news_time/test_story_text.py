"""What of a story's reports is told and how its names are read: a live blog's entries
past their head, no link to another page, and the names news writing abbreviates (a
title, a state's code, a people's name for its place)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answering.news_time.story_names import naming_of, titled
from bot.answering.news_time.story_text import headline, spelt, tellable, told
from bot.answering.quoting.extractive import Candidate
from vectorstore.lexical import tokenize
from vectorstore.models import ArticleRecord, Passage

ENTRY = (
    "7:32 pm ET July 9, 2026 Share this update Harbour reopens after the storm Jane Roe "
    "The harbour of Velda reopened on Thursday morning after the storm closed it for three days. "
    "Port officials said 40 ships had waited at anchor and the first ferries left at noon. "
    "The coast guard will keep a cutter at the breakwater until Sunday."
)


def candidate(text: str, sentence: str, title: str = "Velda harbour live updates") -> Candidate:
    record = ArticleRecord(id="velda-live", title=title, hash="h", n_chunks=1, date="2026-07-09")
    passage = Passage("velda-live:0", record, 0, text, 0, len(text), 1.0)
    at = text.index(sentence)
    return Candidate(passage, sentence, at, at + len(sentence), 0.5, 0.5, 0.5, np.zeros(3))


def test_a_live_entrys_head_is_not_told_but_its_reporting_is() -> None:
    """The entry's stamp, share button, heading and byline run into its first sentence;
    the sentences after them report."""
    head = ENTRY[: ENTRY.index("three days.") + len("three days.")]
    assert not tellable(candidate(ENTRY, head))
    assert tellable(
        candidate(
            ENTRY, "Port officials said 40 ships had waited at anchor and the first ferries left at noon."
        )
    )
    assert tellable(candidate(ENTRY, "The coast guard will keep a cutter at the breakwater until Sunday."))


def test_a_heading_split_from_its_entry_is_not_told() -> None:
    """A heading that ends on a full stop splits the head in two: the part after it,
    heading and byline glued to the first sentence, is no more told than the stamp."""
    text = (
        "8:03 pm ET July 9, 2026 Share this update Ferry tracker. Follow the ferries live Tom Hale "
        "The port's online tracker shows where each ferry is. It is updated every minute by the port."
    )
    assert not tellable(
        candidate(
            text, "Follow the ferries live Tom Hale The port's online tracker shows where each ferry is."
        )
    )
    assert tellable(candidate(text, "It is updated every minute by the port."))


@pytest.mark.parametrize(
    "sentence",
    ["Read more: Velda harbour strike enters fifth day", "RELATED: What the storm left behind in Velda"],
)
def test_a_link_to_another_page_is_never_told(sentence: str) -> None:
    assert not told(sentence)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("the race to replace Gov. Dana Holt heats up", "governor"),
        ("Canadian wildfires send smoke south", "canada"),
        ("a Chilean mine was flooded", "chile"),
        ("The vice president heads to Jacksonville as the state's ban takes effect", "florida"),
    ],
)
def test_a_report_spells_a_name_as_news_writing_does(text: str, word: str) -> None:
    assert word in tokenize(spelt(text)) and word not in tokenize(text)


def test_a_state_code_is_read_in_a_headline_only() -> None:
    assert "california" in tokenize(headline("Are the front-runners losing ground? CA race updates"))
    for text in ("A CT scan showed a small bleed.", "The SD card held the footage.", "GA tickets sold out."):
        assert spelt(text) == text


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Nigerian voters queued from dawn", "nigeria"),
        ("British and Dutch ministers met", "britain"),
        ("British and Dutch ministers met", "netherlands"),
        ("Texan ranchers count their losses", "texas"),
    ],
)
def test_a_peoples_name_is_its_own_places(text: str, place: str) -> None:
    assert set(tokenize(place)) <= set(tokenize(spelt(text)))


def test_words_like_a_peoples_name_name_no_place() -> None:
    """Niger is not the Nigerians' place; the Roman Catholic church, the Dominican
    Republic and the surnames Parisi and Milani name no listed place."""
    assert "niger" not in tokenize(spelt("Nigerian voters queued from dawn"))
    for text in ("The Roman Catholic church", "the Dominican Republic", "Luca Parisi and Anna Milani"):
        assert spelt(text) == text


def test_a_city_of_washington_state_is_not_read_as_washington() -> None:
    """Washington is also the capital's name: a Seattle story is not a Washington one."""
    assert spelt("Rain returns to Seattle") == "Rain returns to Seattle"


def test_a_live_blogs_later_entry_head_is_not_told() -> None:
    """Each entry's head is measured from its own share button, not the first entry's."""
    second = (
        " 8:15 pm ET July 9, 2026 Share this update Ferries back Tom Hale "
        "The first ferry from Velda docked in Arno at 8 pm with 200 passengers."
    )
    text = ENTRY + second
    head = second.strip()
    assert not tellable(candidate(text, head))


def test_capitals_and_words_are_not_read_as_abbreviations() -> None:
    assert spelt("IN THE NEWS: Velda harbour reopens") == "IN THE NEWS: Velda harbour reopens"
    assert spelt("The governor signed the bill on Monday.") == "The governor signed the bill on Monday."
    assert (
        spelt("Jackson Hale opened in Portland") == "Jackson Hale opened in Portland"
    )  # a name, two states' city


def test_a_headline_and_a_sentence_name_the_story_together() -> None:
    """ "blackout in velda": the headline says where ("Power cut hits Velda"), one sentence
    says "blackout"; neither names the story alone, both do."""
    words = tokenize("blackout in velda")
    idf = {"blackout": 6.7, "velda": 5.7}.get

    def weight(w: str) -> float:
        return idf(w) or 1.0

    naming = naming_of(words, weight)
    rarest = "blackout"
    text = "Power was back in most towns by Wednesday. A curfew was declared in regions hit by the blackout."
    told_with = candidate(
        text,
        "A curfew was declared in regions hit by the blackout.",
        "Power cut hits Velda, millions in the dark",
    )
    elsewhere = candidate(
        text, "A curfew was declared in regions hit by the blackout.", "Markets close higher on Tuesday"
    )
    assert titled(told_with, words, naming, rarest, weight)
    assert not titled(elsewhere, words, naming, rarest, weight)
