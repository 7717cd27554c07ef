"""What an article says in other words than a news quiz's question: a count of years as
the year it counts from, a country by a part of it, a place typed in lower case, a poll's
attribution. Rules checked without a model, on real-shaped text."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answering.quoting.anchors import ContextWords, Kind, anchors_of, met
from bot.answering.quoting.answerability import judge, unmet
from bot.answering.quoting.extractive import Candidate
from vectorstore.models import ArticleRecord, Passage


def _sentence(text: str, article: str, score: float, day: str = "2022-06-28") -> Candidate:
    """A ranked sentence `text` of a one-passage article dated `day`."""
    record = ArticleRecord(id=article[:8], title="News", hash="h", n_chunks=1, date=day)
    start = article.index(text)
    passage = Passage(f"{record.id}:0", record, 0, article, 0, len(article), 1.0)
    return Candidate(passage, text, start, start + len(text), score, score, score, np.zeros(2))


@pytest.mark.parametrize(
    ("question", "context", "year", "meets"),
    [
        ("Which attraction reopens after being suspended for two years?", "suspended in 2020", 2022, True),
        ("Who broke a 61-year-old American League record?", "the record set in 1961", 2022, True),
        ("Who broke a 61-year-old American League record?", "Maris’ 61-year-old record", 2022, True),
        ("Which attraction reopens after being suspended for two years?", "suspended in 2021", 2022, False),
        ("Which attraction reopens after being suspended for two years?", "suspended in 2020", None, False),
        ("Who won two medals in Tokyo?", "She won in 2020.", 2022, False),
        # a year that is no date counted from ("the 2020 election", "a 1992 title")
        (
            "who was sentenced to two years in prison",
            "Smith, who ran in the 2020 election, was sentenced to five years in prison.",
            2022,
            False,
        ),
        ("which 30-year-old won the final", "Lee, the 1992 champion's daughter, won the final.", 2022, False),
        ("which 30-year-old won the final", "Lee, born in 1992, won the final.", 2022, True),
    ],
)
def test_a_count_of_years_is_met_by_the_year_it_counts_from(
    question: str, context: str, year: int | None, meets: bool
) -> None:
    """ "Suspended for two years", asked in 2022, is "suspended in 2020"; a number that
    counts no years ("two medals") is not a year."""
    [anchor] = [a for a in anchors_of(question) if a.kind is Kind.NUMBER]
    assert met(anchor, ContextWords.of(context, context, year)) is meets


def test_a_neighbours_year_counts_nothing_the_sentence_says() -> None:
    """ "since 2020" in the headline or the next sentence is no count the sentence makes."""
    [anchor] = [a for a in anchors_of("who was sentenced to two years in prison") if a.kind is Kind.NUMBER]
    sentence = "Smith was sentenced to five years in prison."
    context = f"{sentence} He has been held since 2020. Smith sentenced"
    assert not met(anchor, ContextWords.of(context, sentence, 2022))


def test_a_report_that_counts_from_the_year_answers_the_count() -> None:
    tours = (
        "Public tours of the White House will resume a full operating schedule on July 19 for the first "
        "time since they were suspended in 2020 because of the Covid-19 pandemic, the White House said."
    )
    question = (
        "Which popular US tourist attraction announced public tours will resume a full operating "
        "schedule after being suspended for two years due to Covid-19?"
    )
    answer = judge(question, [_sentence(tours, tours, 0.6)], 0.36, 296).answer
    assert answer is not None and "White House" in answer.text
    later = judge(question, [_sentence(tours, tours, 0.6, day="2025-06-28")], 0.36, 296)
    assert later.answer is None and [a.text for a in later.missing] == ["two"], (
        "2020 is five years before 2025"
    )


@pytest.mark.parametrize(
    ("question", "context", "meets"),
    [
        (
            "Which is the most famous solstice site in the United Kingdom?",
            "Stonehenge in Wiltshire, England",
            True,
        ),
        ("Which city in Britain hosts the games?", "Glasgow, Scotland, hosts the games.", True),
        (
            "Which is the most famous solstice site in the United Kingdom?",
            "Newgrange in Meath, Ireland",
            False,
        ),
        ("Which is the most famous solstice site in England?", "a site in the United Kingdom", False),
        ("Which is the most famous solstice site in the United Kingdom?", "a site in new england", False),
    ],
)
def test_a_country_is_met_by_a_part_of_it_not_a_part_by_the_country(
    question: str, context: str, meets: bool
) -> None:
    anchor = [a for a in anchors_of(question) if a.kind is Kind.NAME][-1]
    assert met(anchor, ContextWords.of(context)) is meets


def test_a_place_typed_in_lower_case_is_an_anchor() -> None:
    assert [a.text for a in anchors_of("how many measels cases in texas now")] == ["texas"]
    assert [a.text for a in anchors_of("who won the election in new mexico")] == ["new mexico"]
    assert anchors_of("whats going on with us and turkey prices") == [], "'us', 'turkey': ordinary words"
    other = (
        "The Rhode Island health department said the state had one case, while Alaska confirmed it had two."
    )
    assert [a.text for a in unmet(anchors_of("how many measles cases in texas now"), other, other)] == [
        "texas"
    ]


@pytest.mark.parametrize(
    ("question", "context", "meets"),
    [
        # a place that opens a person's name is met by the name's other word
        ("when is the next sydney sweeney movie", "Sweeney stars in a new film out in May.", True),
        ("what did paris hilton say about the show", "Hilton said the show was her idea.", True),
        ("is finland in nato now", "Sweden joined NATO in March.", False),
        (
            "how many cows died in that texas dairy fire",
            "The dairy fire in Wisconsin killed 300 cows.",
            False,
        ),
        # one country under other names
        ("is america in a recession", "The U.S. economy shrank for a second quarter.", True),
        ("Is America in a recession?", "The US economy shrank for a second quarter.", True),
        ("is america in a recession", "Britain's economy shrank for a second quarter.", False),
    ],
)
def test_a_lower_case_place_met_as_a_name_or_under_another_name(
    question: str, context: str, meets: bool
) -> None:
    assert (not unmet(anchors_of(question), context, context)) is meets


def test_a_sentence_about_another_state_does_not_answer_a_lower_case_place() -> None:
    """A member's "texas" pins the answer down as "Texas" does: the sentence on Rhode Island
    ranks first but does not answer; the one on Texas does."""
    texas = (
        "As Texas continues to contend with a growing measles outbreak that has sickened 159 and killed one, "
        "other states are reporting cases of the highly contagious disease."
    )
    other = (
        "The Rhode Island health department said the state had one case, while Alaska confirmed it had two."
    )
    article = f"{other} Georgia officials confirmed three cases. {texas}"
    ranked = [_sentence(other, article, 0.52, "2025-03-04"), _sentence(texas, article, 0.49, "2025-03-04")]
    answer = judge("how many measles cases in texas now", ranked, 0.36, 296).answer
    assert answer is not None and "159" in answer.text


def test_a_polls_attribution_is_who_says_it_not_what_the_answer_is_about() -> None:
    question = (
        "According to a new USA TODAY/Suffolk University poll, Republicans favor, 56% to 33%, "
        "which candidate over former President Donald Trump?"
    )
    names = {a.text for a in anchors_of(question) if a.kind is Kind.NAME}
    assert names == {"Republicans", "President Donald Trump"}
    assert {a.text for a in anchors_of("According to Gallup data, which state is happiest?")} == set()
    assert {a.text for a in anchors_of("According to a report on Texas schools, who left?")} >= {"Texas"}


@pytest.mark.parametrize(
    ("question", "context", "meets"),
    [
        ("Which billionaire pledged $1 billion to the fund?", "She pledged one billion dollars to it.", True),
        ("Why did 15 jurors walk out?", "All fifteen jurors walked out on Monday.", True),
        ("Which city banned 70 vehicles?", "The city banned seventy vehicles.", True),
        ("Why did 15 jurors walk out?", "All sixteen jurors walked out on Monday.", False),
    ],
)
def test_a_number_is_met_written_in_words(question: str, context: str, meets: bool) -> None:
    [anchor] = [a for a in anchors_of(question) if a.kind is Kind.NUMBER]
    assert met(anchor, ContextWords.of(context)) is meets
