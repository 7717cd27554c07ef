"""Page furniture (vectorstore/furniture.py) on a team-written page of every shape read on
real news pages (tests/fixtures/furniture): what is flagged, and the reporting beside it
that is not."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from vectorstore.furniture import furniture, line_is_furniture
from vectorstore.sentences import split_sentences

PAGE = (FIXTURES / "furniture" / "page.txt").read_text(encoding="utf-8")

REPORTING = [
    "The Marlow River flooded three villages on Tuesday, forcing 2,400 residents from their homes, officials said.",
    "Rescue crews reached the last stranded families by boat on Wednesday morning.",
    "The county opened two shelters in school gyms.",
    "By Sunday evening, the water had reached the old stone bridge.",
    "More than 300 volunteers filled sandbags through the night.",
    "Follow-up inspections of the levee are planned for next week.",
    "The mayor said the town would rebuild:\nthe library, the school and the market hall will reopen by autumn, she said.",
    '"We have lost the harvest," said farmer Jo Brandt.',
    '"But nobody was hurt."',
    "The levee was completed in 1961.[3] It was raised again in 1988.",
]


def _flags(text: str, base: int = 0) -> dict[str, bool]:
    sentences = split_sentences(text, base=base)
    flags = furniture(text, [(s.start, s.end) for s in sentences], base)
    return {s.text: flag for s, flag in zip(sentences, flags, strict=True)}


def test_only_the_reporting_of_a_page_is_left_unflagged() -> None:
    flags = _flags(PAGE)
    assert sorted(t for t, flag in flags.items() if not flag) == sorted(REPORTING)


@pytest.mark.parametrize(
    "line",
    [
        "Harbor City Ledger —",
        "More: Marlow River levels to peak Thursday, forecasters warn",
        "More:Marlow River levels to peak Thursday",
        "Related: How to prepare your home for a flood",
        "READ MORE: Ten years after the last great flood",
        "Study:Flood insurance claims doubled in a decade",
        "'Not again':Residents return to flooded homes",
        "What's everyone talking about? Sign up for our trending newsletter to get the latest news of the day",
        "Editor's note: Follow the Daily Ledger's coverage of the Marlow River flooding for Thursday, May 9.",
        "Editor’s Note: This story contains details some readers may find upsetting.",
        "AI-assisted summary",
        "Volunteers fill sandbags outside the town hall in Ellery on Tuesday. Dana Whitcombe/Ledger Photo",
        "Evacuation routes",
        "Super Bowl LXX: The Lanterns",
        "2031: Kima Oduya",
        "— Priya Sandoval",
        "Contributing: Tomas Reyes, the Daily Ledger",
        "– Ledger reporter Ana Flores contributed to this report.",
        "This story has been updated with the latest figures.",
        "Video Ad Feedback Watch rescuers reach a flooded farm 01:42 - Source: Ledger",
        "By Marta Quill, Daily Ledger",
        "Correction: An earlier version of this story misstated the number of shelters.",
        "NEVER MISS A STORM: Get weather alerts for your county",
        "Follow Marta Quill on Twitter: @martaquill.",
        "(Photo by Dana Whitcombe/Ledger Photo)",
        "♦",
    ],
)
def test_each_shape_of_furniture_is_recognised_as_a_line(line: str) -> None:
    assert line_is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "By Sunday evening, the water had reached the old stone bridge.",
        "More than 300 volunteers filled sandbags through the night.",
        "Follow-up inspections of the levee are planned for next week.",
        "Watch parties were held in every bar in town.",
        "The vote was 12:10 in favour of the levee tax.",
        "He said: “We will rebuild.”",
        "Tesla was critical of the theory.:247 He said so in 1935, calling it a mistake of physics",
    ],
)
def test_reporting_shaped_like_furniture_is_not_flagged(line: str) -> None:
    assert not line_is_furniture(line)


def test_the_flags_of_a_chunk_are_those_of_the_same_lines_in_the_article() -> None:
    """A chunk is read with its own offsets (`base`): its sentences get the flags they
    have in the whole page."""
    start = PAGE.index("Evacuation routes")
    chunk = PAGE[start : PAGE.index("By Marta Quill")]
    assert _flags(chunk, base=start) == {t: f for t, f in _flags(PAGE).items() if t in _flags(chunk)}


def test_a_hard_wrapped_paragraph_is_prose_whatever_its_line_ends() -> None:
    text = "The council met on Monday and agreed that\nthe bridge would close for repairs\nuntil the spring."
    assert not any(_flags(text).values())


def test_the_lines_above_a_pages_own_dateline_are_other_stories() -> None:
    text = (
        "Ferry strike ends after two weeks\n\n"
        "A crowd waits at the harbour in Kell on Monday, June 2, 2031.\n\n"
        "Kell Island CNN —\n\n"
        "The ferry service to Kell Island resumed on Monday."
    )
    assert [t for t, flag in _flags(text).items() if not flag] == [
        "The ferry service to Kell Island resumed on Monday."
    ]
