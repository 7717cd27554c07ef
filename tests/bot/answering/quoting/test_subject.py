"""A question that names what it asks about by its kind ("the new allergen") is answered
by the sentence that says what the report keeps naming (subject.py), not by the sentence
closest to the question's wording. The report is the team's own, written in the manner
of a consumer-news story."""

from __future__ import annotations

import numpy as np

from bot.answering.quoting.answerability import judge
from bot.answering.quoting.asked_for import what_is_asked
from bot.answering.quoting.extractive import Candidate
from bot.answering.quoting.subject import subjects
from vectorstore.models import ArticleRecord, Passage

CLOSEST = (
    "The agency runs spot checks of packaged foods to see that major food allergens are "
    "labeled, according to its website."
)
ANSWER = "From March 1, lupin joins the list of major food allergens that must be named on labels."
REPORT = [
    CLOSEST,
    ANSWER,
    "Bakers say lupin flour turns up in more gluten-free breads every year.",
    "Families living with a lupin allergy have long had to call manufacturers to ask.",
    "Products already on shelves before March do not need new labels, the agency said.",
    "Some makers have chosen to leave lupin out of their recipes instead.",
]
TEXT = " ".join(REPORT)
RECORD = ArticleRecord(id="r", title="Food labels change next month", hash="h", n_chunks=1, date="2026-02-20")
PASSAGE = Passage("r:0", RECORD, 0, TEXT, 0, len(TEXT), 1.0)
SCORES = [0.70, 0.66, 0.45, 0.44, 0.43, 0.40]  # the closest wording first


def ranked() -> list[Candidate]:
    out = []
    for sentence, score in zip(REPORT, SCORES, strict=True):
        start = TEXT.index(sentence)
        out.append(Candidate(PASSAGE, sentence, start, start + len(sentence), score, 0.5, score, np.zeros(2)))
    return out


def test_the_word_a_report_keeps_saying_and_the_question_does_not_is_its_subject() -> None:
    words = subjects(ranked(), what_is_asked("whats the new allergen on food labels")).words["r"]
    assert "lupin" in words
    assert not words & {"said", "agenc"}  # a reporting verb; a word of two sentences only


def test_a_question_of_no_kind_is_answered_by_the_sentence_that_says_the_subject() -> None:
    judgement = judge("whats the new allergen on food labels", ranked(), 0.3, 300)
    assert judgement.answer is not None and judgement.answer.text == ANSWER


def test_a_yes_or_no_question_has_no_subject_to_prefer() -> None:
    asked_for = what_is_asked("did they add a new allergen to food labels")
    assert not asked_for.open and subjects(ranked(), asked_for).words == {}
    judgement = judge("did they add a new allergen to food labels", ranked(), 0.3, 300)
    assert judgement.answer is not None and judgement.answer.text == CLOSEST
