"""What an update changes (bot/newsroom/changes.py): the figures a report states, however
they are phrased, and what a report adds to its story (a figure, a development, a name)."""

from __future__ import annotations

import pytest

from bot.newsroom.changes import Facts, figures_of, merged, new_facts
from bot.newsroom.reading import without_credits

STORY = Facts({"dead": "9"}, frozenset({"died"}), frozenset({"ostrel", "vessen"}))


@pytest.mark.parametrize(
    ("facts", "added"),
    [
        (Facts({"dead": "9"}, frozenset({"died"}), frozenset({"ostrel"})), []),  # a rewrite
        (Facts({"dead": "12"}), ["12 dead (was 9)"]),
        (Facts({"dead": "7"}), []),  # an older report's toll: a toll only grows
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
        (
            "The plant opened.\n\nReporting by the Northern Wire desk; editing by Ana Ruiz.",
            "The plant opened.",
        ),
        ("Police said the report by Ana Ruiz was wrong.", "Police said the report by Ana Ruiz was wrong."),
    ],
)
def test_a_copys_credit_is_not_a_fact_of_its_story(opening: str, kept: str) -> None:
    assert " ".join(without_credits(opening).split()) == kept


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("The death toll from the floods in Valdoria rose to 35.", {"dead": "35"}),
        ("35 people have now died.", {"dead": "35"}),
        ("The toll stands at 35.", {"dead": "35"}),
        (
            "The number of people killed by flooding in the south has risen to 58, officials said.",
            {"dead": "58"},
        ),
        ("Officials put the number of dead at 64 on Monday.", {"dead": "64"}),
        ("The death toll climbed to 27 as aftershocks rattled Aurin.", {"dead": "27"}),
        ("Valdoria floods: waters recede as the toll reaches 71.", {"dead": "71"}),
        ("Fifty-two people have now died in the floods.", {"dead": "52"}),
        ("Flash floods hit Rivermouth, nine dead.", {"dead": "9"}),
        ("Floods sweep through the Kessa valley, killing 20.", {"dead": "20"}),
        ("The last two bodies were found, bringing the toll to six.", {"dead": "6"}),  # the total wins
        ("The number of missing rose to 14 on Tuesday.", {"missing": "14"}),
        ("Twelve people are still unaccounted for.", {"missing": "12"}),
        ("Some 6,500 people now shelter in emergency centres.", {"displaced": "6,500"}),
        ("The plant will supply power for about 150,000 homes.", {"homes": "150,000"}),  # not displaced
        ("The fire burned 4,100 hectares on 7 Mar 2026.", {"hectares": "4,100"}),  # not a date's numbers
    ],
)
def test_figures_however_they_are_phrased(text: str, figures: dict[str, str]) -> None:
    assert figures_of(text) == figures


def test_a_storys_toll_only_grows() -> None:
    assert merged({"dead": "35", "missing": "12"}, {"dead": "20", "missing": "4"}) == {
        "dead": "35",
        "missing": "4",
    }
    assert merged({"dead": "35"}, {"dead": "1,200", "injured": "3"}) == {"dead": "1,200", "injured": "3"}
