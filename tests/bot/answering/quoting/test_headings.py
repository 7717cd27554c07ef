"""A report's heading that asks ("When is the next GOP debate?" on a line of its own) is
answered by the paragraph under it: when nothing else answers, that paragraph stands in
for the heading. Checked without a model, on real-shaped text."""

from __future__ import annotations

import numpy as np

from bot.answering.quoting.answerability import judge, under_heading
from bot.answering.quoting.extractive import Candidate
from vectorstore.models import ArticleRecord, Passage

FAQ = (
    "The third Republican presidential debate is set for next week.\n\n"
    "When is the next GOP debate?\n\n"
    "The third debate will be held Nov. 8 in Miami, the Republican National Committee said.\n\n"
    "Who qualified?\n\n"
    "Five candidates have qualified so far."
)
QUIZ = (
    "QUIZ TIME\n\n"
    "Which iconic landmark is reportedly riddled with rust and badly in need of repairs?\n\n"
    "A. Eiffel Tower\n\n"
    "B. Golden Gate Bridge"
)
ASIDE = "Why does it matter? The vote decides the city budget for next year, officials said."


def _sentence(text: str, article: str, score: float) -> Candidate:
    record = ArticleRecord(id=article[:8], title="News", hash="h", n_chunks=1, date="2023-11-01")
    start = article.index(text)
    passage = Passage(f"{record.id}:0", record, 0, article, 0, len(article), 1.0)
    return Candidate(passage, text, start, start + len(text), score, score, score, np.zeros(2))


def test_the_paragraph_under_a_heading_that_asks_answers_it() -> None:
    heading = _sentence("When is the next GOP debate?", FAQ, 0.62)
    answer = judge("whens the next gop debate", [heading], 0.36, 296).answer
    assert answer is not None and "Nov. 8" in answer.text and answer.candidate.score == 0.62


def test_a_quiz_question_or_a_question_inside_a_paragraph_is_no_heading() -> None:
    quiz = _sentence(
        "Which iconic landmark is reportedly riddled with rust and badly in need of repairs?", QUIZ, 0.8
    )
    assert under_heading(quiz) is None
    question = "Which iconic landmark is reportedly riddled with rust and badly in need of repairs?"
    assert judge(question, [quiz], 0.36, 296).answer is None
    assert under_heading(_sentence("Why does it matter?", ASIDE, 0.5)) is None


def test_a_sentence_that_answers_comes_before_the_paragraph_under_a_heading() -> None:
    """The heading's paragraph only stands in when no ranked sentence answers."""
    story = (
        "What happened to Damar Hamlin?\n\n"
        "Hamlin tackled Bengals wide receiver Tee Higgins after a 13-yard gain.\n\n"
        "Hamlin collapsed on the field after the tackle and was taken to hospital in critical condition."
    )
    ranked = [
        _sentence("What happened to Damar Hamlin?", story, 0.7),
        _sentence(
            "Hamlin collapsed on the field after the tackle and was taken to hospital in critical condition.",
            story,
            0.55,
        ),
    ]
    answer = judge("what happened to damar hamlin", ranked, 0.36, 296).answer
    assert answer is not None and "collapsed" in answer.text
