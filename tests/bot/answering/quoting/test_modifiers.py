"""Modifiers (bot/answering/quoting/modifiers.py): which anchors only qualify a question,
and which contexts contradict them."""

from __future__ import annotations

import pytest

from bot.answering.quoting.anchors import anchors_of
from bot.answering.quoting.modifiers import Category, category_of, contradicted, modifier
from vectorstore.lexical import tokenize


@pytest.mark.parametrize(
    ("question", "modifiers"),
    [
        ("Which American carmaker recalled trucks?", ["American"]),
        ("Which South Korean show was renewed?", ["South Korean"]),
        ("What is the US' largest bank?", ["US'"]),
        ("Who bought Britain's largest bakery chain?", ["Britain's"]),
        ("Who resigned as Vestria's Minister of Finance?", []),
        ("Who bought Apple's design studio?", []),
        ("Which English club signed Marta Quill?", ["English"]),
    ],
)
def test_modifiers_are_nationalities_languages_and_places_possessives(
    question: str, modifiers: list[str]
) -> None:
    assert [a.text for a in anchors_of(question) if modifier(a)] == modifiers


@pytest.mark.parametrize(
    ("question", "context", "contradicts"),
    [
        (
            "Which American carmaker recalled trucks?",
            "US carmaker Dunmore Motors recalled trucks built in Ohio.",
            False,
        ),
        ("Which American carmaker recalled trucks?", "U.S. carmaker Dunmore Motors recalled them.", False),
        ("Which American carmaker recalled trucks?", "Japanese carmaker Dunmore Motors recalled them.", True),
        (
            "Which European island saw an eruption?",
            "The Sakurajima volcano, one of Japan's most active, erupted.",
            True,
        ),
        (
            "Which European island saw an eruption?",
            "The Stromboli volcano erupted, officials told us.",
            False,
        ),
        (
            "Who bought Britain's largest bakery chain?",
            "Tarrow, the UK's largest bakery chain, was sold.",
            False,
        ),
        (
            "Which English club signed Marta Quill?",
            "Quill joined Premier League side Harwick, England's oldest club.",
            False,
        ),
    ],
)
def test_a_modifier_is_contradicted_only_by_another_nation_or_region(
    question: str, context: str, contradicts: bool
) -> None:
    [anchor] = [a for a in anchors_of(question) if modifier(a)]
    assert contradicted(anchor, context) is contradicts


def test_the_names_of_an_asked_for_category_are_read_from_the_wh_phrase() -> None:
    category = category_of("Which Ivy League university admitted sending wrong data?")
    assert category == Category("Ivy League", "university")
    [anchor] = anchors_of("Which Ivy League university admitted sending wrong data?")
    assert category.describes(anchor)
    assert category_of("Which university admitted sending wrong data?") is None
    assert category_of("What year did it debut?") is None


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("Columbia University Provost Mary Boyce said the data was wrong.", True),
        ("The University of Iowa said the data was wrong.", True),
        ("The university said the data was wrong.", False),
        ("Columbia said the data was wrong.", False),
    ],
)
def test_a_category_is_named_by_its_noun_capitalised_in_a_name(sentence: str, named: bool) -> None:
    assert Category("Ivy League", "university").named_by(sentence) is named


@pytest.mark.parametrize(
    ("context", "otherwise"),
    [
        ("Carver, a Big Ten university, said the data was wrong.", True),
        ("The Democratic governor of Carver said so.", False),
        ("The university said so. Columbia University admitted it.", False),
        ("Columbia, an Ivy League university, admitted it.", False),
    ],
)
def test_a_category_is_contradicted_by_other_names_before_its_noun(context: str, otherwise: bool) -> None:
    assert Category("Ivy League", "university").described_otherwise(context) is otherwise


def test_a_category_describes_only_its_whole_names_and_is_said_in_whole_words() -> None:
    category = category_of("Which Ivy League university did Ivy attend?")
    assert category == Category("Ivy League", "university")
    assert [
        a.text for a in anchors_of("Which Ivy League university did Ivy attend?") if category.describes(a)
    ] == ["Ivy League"]
    assert category.said_in("Columbia, the Ivy\nLeague school, admitted it.")
    assert not category.said_in("Ivy, a league player, went to Ohio State University.")
    assert not category.said_in("The Ivy Leagues-style rankings.")


def test_a_category_is_named_only_by_a_name_the_question_does_not_say() -> None:
    category = Category("Lakeshore League", "university")
    said = frozenset(tokenize("Which Lakeshore League university beat Harlow University?"))
    assert not category.named_by("Harlow University lost on Saturday.", said)
    assert category.named_by("Marsh University beat Harlow University.", said)
