"""What an update changes (bot/newsroom/changes.py): the figures a report states, however
they are phrased, and what a report adds to its story (a figure, a development, a name)."""

from __future__ import annotations

import pytest

from bot.newsroom.changes import Facts, new_facts
from bot.newsroom.reading import without_credits

STORY = Facts({"dead": "9"}, frozenset({"died"}), frozenset({"ostrel", "vessen"}))


@pytest.mark.parametrize(
    ("facts", "added"),
    [
        (Facts({"dead": "9"}, frozenset({"died"}), frozenset({"ostrel"})), []),  # a rewrite
        (Facts({"dead": "12"}), ["12 dead (was 9)"]),
        (Facts({"dead": "9", "injured": "3"}), ["3 injured"]),  # a count the story had none of
        (Facts({"hectares": "40"}), []),  # not a count of people
        (Facts({}, frozenset({"put out", "died"})), ["put out"]),
        (Facts({}, frozenset(), frozenset({"ostrel", "marek"})), ["a new name"]),
        (Facts({"dead": "14"}, frozenset({"arrested"})), ["14 dead (was 9)", "arrested"]),
    ],
)
def test_what_a_report_adds_to_its_story(facts: Facts, added: list[str]) -> None:
    assert new_facts(STORY, facts) == added


@pytest.mark.parametrize(
    ("opening", "kept"),
    [
        ("The plant opened.\n\n(Northern Wire)", "The plant opened."),
        ("PELL (Reuters) The plant opened.", "PELL The plant opened."),
        ("The plant opened.\n\nReporting by the Northern Wire desk; editing by Ana Ruiz.", "The plant opened."),
        ("Police said the report by Ana Ruiz was wrong.", "Police said the report by Ana Ruiz was wrong."),
    ],
)
def test_a_copys_credit_is_not_a_fact_of_its_story(opening: str, kept: str) -> None:
    assert " ".join(without_credits(opening).split()) == kept
