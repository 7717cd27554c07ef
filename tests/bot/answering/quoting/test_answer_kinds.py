"""What a question wants and where a sentence says it: the word lists of
asked_for.py and the spans of answer_spans.py, question by question, without a model.
The questions and sentences are the team's own, written in the manner of news quizzes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.answering.quoting import answer_spans as answer_spans_module
from bot.answering.quoting.answer_spans import answer_spans
from bot.answering.quoting.asked_for import AnswerKind, what_is_asked


@pytest.mark.parametrize(
    ("question", "kind", "head"),
    [
        ("Which wildly popular show was recently green lit for a new season?", AnswerKind.NAME, "show"),
        ("How many Meloran reservists could soon be called up?", AnswerKind.NUMBER, None),
        ("Where is the startup opening its first office abroad?", AnswerKind.PLACE, None),
        ("Which European island saw a volcano erupt this week?", AnswerKind.PLACE, "island"),
        ("Which country will host the 2030 games?", AnswerKind.PLACE, "country"),
        ("Who was named the new chief executive of Corvane?", AnswerKind.PERSON, None),
        ("When will the Tessaly bridge reopen?", AnswerKind.TIME, None),
        ("Why did the cities cancel their fireworks?", AnswerKind.REASON, None),
        ("What did the telescope's images show?", AnswerKind.OTHER, None),
        ("What is the name of the new coin?", AnswerKind.NAME, None),
        # a quiz's scene first, its asking sentence last: the last one decides
        ("The storm reached the coast on Monday. Which city was hit hardest?", AnswerKind.PLACE, "city"),
        # a period after an initial or an abbreviation ends no sentence
        ("Which state will hold a runoff for a U.S. Senate seat?", AnswerKind.PLACE, "state"),
        ("Which fellow author did J. K. Rowling criticise?", AnswerKind.PERSON, "author"),
        ("Gov. Ada Lind signed the wage bill. How much is the new pay?", AnswerKind.NUMBER, None),
        ("Which firm did Harlow Ltd. Chairman Dana Voss buy on Jan. 6?", AnswerKind.NAME, "firm"),
        ("Who spoke at the rally in Ft. Worth?", AnswerKind.PERSON, None),
        # ... unless a question starts after it
        (
            "The outbreak was traced to a farm in the U.S. Which country reported it first?",
            AnswerKind.PLACE,
            "country",
        ),
    ],
)
def test_the_kind_of_answer_a_question_wants(question: str, kind: AnswerKind, head: str | None) -> None:
    asked_for = what_is_asked(question)
    assert (asked_for.kind, asked_for.head) == (kind, head)


def test_how_many_knows_what_is_counted() -> None:
    assert what_is_asked("Approximately how many baby swings were recalled?").counted == {"babi", "swing"}


@pytest.mark.parametrize(
    ("question", "sentence", "strongest"),
    [
        # a name of several words, one of them repeated, is marked whole
        (
            "Which company recalled its vaccine?",
            "Regulators said Johnson & Johnson recalled the shots.",
            "Johnson & Johnson",
        ),
        (
            "Which island was hit by the cyclone?",
            "The cyclone struck Bora Bora overnight, officials said.",
            "Bora Bora",
        ),
        # a country for "which country?", not the town where it was said
        (
            "Which country will host the summit?",
            "Officials in Lyon said France will host the summit.",
            "France",
        ),
        # the number of the things counted, not another number
        (
            "How many baby swings were recalled?",
            "About 300 stores sold 2 million baby swings that were recalled.",
            "2 million",
        ),
        (
            "Who was named the new chief executive?",
            "Corvane named Linda Ostrova as its new chief executive.",
            "Linda Ostrova",
        ),
        ("When will the bridge reopen?", "The bridge will reopen on March 14, officials said.", "March 14"),
        # a quoted title answers "which show?"
        ("Which show was green lit?", "“Tidewater” is officially coming back.", "Tidewater"),
        # the place the question's noun names with "of"
        ("Which island saw the eruption?", "Mount Oresk, on the island of Kelvane, erupted.", "Kelvane"),
    ],
)
def test_the_strongest_span_is_the_answer(question: str, sentence: str, strongest: str) -> None:
    spans = answer_spans(sentence, what_is_asked(question))
    best = max(spans, key=lambda s: (s.strength, -s.start))
    assert best.text == strongest
    assert sentence[best.start : best.end] == strongest  # offsets point at the words


def test_a_sentence_that_only_restates_the_question_has_no_span() -> None:
    question = "Which wildly popular show was recently green lit for a new season?"
    sentence = "Netflix said the wildly popular South Korean show is green lit for a second season."
    assert [s.text for s in answer_spans(sentence, what_is_asked(question)) if s.strength >= 2] == []


@pytest.mark.parametrize(
    "sentence",
    [
        "WASHINGTON — Gov. Ada Lind named Pell Ridge in Utah a national monument on Tuesday.",
        "The vote was close.\n\nNEW YORK (AP) — Gov. Ada Lind named Pell Ridge in Utah a monument.",
        "Boise, Idaho (Reuters) — Gov. Ada Lind named Pell Ridge in Utah a monument on Tuesday.",
        "ATLANTA, Georgia – Gov. Ada Lind named Pell Ridge in Utah a monument on Tuesday.",
    ],
)
def test_a_dateline_says_where_a_report_was_filed_not_the_answer(sentence: str) -> None:
    spans = answer_spans(sentence, what_is_asked("Which state is the new monument in?"))
    assert [s.text for s in spans] == ["Utah"]


def test_a_name_opening_a_sentence_before_a_dash_is_no_dateline() -> None:
    sentence = "Ada Lind — the governor who won Utah — named the monument."
    assert "Ada Lind" in {s.text for s in answer_spans(sentence, what_is_asked("Who named the monument?"))}


@pytest.mark.parametrize(
    ("question", "sentence", "name"),
    [
        (
            "who blocked the bill",
            "Democrats cheered. Sen. Joe Manchin (D-W.Va.) — a holdout — blocked the bill.",
            "Sen. Joe Manchin",
        ),
        (
            "which company reported record iphone sales",
            "Apple (AAPL) — reported record iPhone sales.",
            "Apple",
        ),
        ("who launched the probe", "NASA — the US space agency — launched the probe on Monday.", "NASA"),
    ],
)
def test_a_name_before_a_dash_is_a_dateline_only_as_a_place_or_an_agency(
    question: str, sentence: str, name: str
) -> None:
    """A dateline opens a report's line; capitals alone are one only if a listed place
    ("NASA —" is not), a parenthesis only if a news agency ("(AAPL)", "(D-W.Va.)" are not)."""
    assert name in {s.text for s in answer_spans(sentence, what_is_asked(question))}


def test_datelines_are_read_once_from_the_line_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Capitals on every line ("NEW YORK\n" * 400) cost one pass of the dateline pattern
    from each line's start, not one pass of the whole text for every capitalised span."""
    pattern = answer_spans_module._DATELINE
    assert pattern.pattern.startswith("^") and pattern.flags & re.M
    calls = []

    class Counted:
        def finditer(self, text: str) -> Iterator[re.Match[str]]:
            calls.append(text)
            return pattern.finditer(text)

    monkeypatch.setattr(answer_spans_module, "_DATELINE", Counted())
    spans = answer_spans("NEW YORK\n" * 400, what_is_asked("which city hosted the games"))
    assert len(calls) == 1 and len(spans) == 400  # a capitalised span on every line, none a dateline


@pytest.mark.parametrize(
    "question",
    [
        "how long was the senator's speech",
        "how long is the strike",
        "how long was the astronaut up in space",
        "how long is the comet sticking around",
        # a word that only stems like a thing with a length ("training": "train")
        "how long is basic training",
        "how long is the fishing season",
    ],
)
def test_how_long_a_thing_lasts_is_a_duration(question: str) -> None:
    sentence = "It ran 3 miles from the 2 gates and went on for 25 hours."
    found = {s.text: s.strength for s in answer_spans(sentence, what_is_asked(question))}
    assert found["25"] == 3 and found["3"] == 1
