from __future__ import annotations

import pytest

from bot.answering.engine import NOT_FOUND, AnswerEngine, AnswerOptions, standalone_question
from bot.answering.errors import QuestionError
from bot.settings import Settings
from tests.helpers import REPO_SAMPLE_QUESTION
from vectorstore.inspection import chunks_of

OPENAI_URL = "https://newsdesk.example/2023/06/openai-london-office"


def test_demo_question_is_answered_with_london_and_cited(sample_engine: AnswerEngine) -> None:
    answer = sample_engine.answer(REPO_SAMPLE_QUESTION)

    assert not answer.refused and answer.mode == "extractive"
    assert "London" in answer.text
    assert len(answer.text) <= 300
    [citation] = answer.citations
    assert citation.url == OPENAI_URL and citation.article_id == OPENAI_URL
    assert citation.date == "2023-06-28" and answer.as_of == "2023-06-28"
    assert "London" in citation.quote and citation.quote in answer.text


def test_quote_offsets_locate_the_sentence_in_the_article(sample_engine: AnswerEngine) -> None:
    answer = sample_engine.answer("how much will the bridge repairs cost?")
    [citation] = answer.citations
    [first] = [c for c in chunks_of(sample_engine.retriever.store, citation.article_id) if c.start == 0]
    text = first.text
    assert "14 million euros" in citation.quote
    assert text[citation.start : citation.end] == citation.quote


EDGE = 0.03  # how near the threshold the two questions score (a change of scoring moves them)


def test_a_question_scoring_just_under_the_threshold_is_refused_and_one_just_over_is_answered(
    sample_engine: AnswerEngine, settings: Settings
) -> None:
    """MIN_EVIDENCE sits between two questions the sample articles answer: "where is the
    new office?" (London, said without the words asked) is refused just under it, "how
    long is the crossing closed?" (six weeks) answered just over it. The same threshold
    whether the engine is the App's (Settings) or built with AnswerOptions' default."""
    threshold = settings.min_evidence
    plain = AnswerEngine(sample_engine.retriever, AnswerOptions())
    for engine in (sample_engine, plain):
        under = engine.answer("where is the new office?")
        over = engine.answer("how long is the crossing closed?")
        assert under.refused and under.text == NOT_FOUND and under.nearest is None, (
            f"evidence {under.evidence:.3f}, threshold {threshold}: {under.text}"
        )
        assert not over.refused and "six weeks" in over.text, (
            f"evidence {over.evidence:.3f}, threshold {threshold}"
        )
        assert threshold - EDGE <= under.evidence < threshold <= over.evidence <= threshold + EDGE, (
            f"no longer near the edge: {under.evidence:.3f} and {over.evidence:.3f} around {threshold}"
        )


@pytest.mark.parametrize(
    "question",
    ["who won the 1998 football world cup?", "what is the boiling point of mercury?", "best pizza recipe"],
)
def test_unrelated_question_is_refused(sample_engine: AnswerEngine, question: str) -> None:
    answer = sample_engine.answer(question)
    assert answer.refused and answer.text == NOT_FOUND and not answer.citations


def test_empty_and_overlong_questions_get_clear_errors(sample_engine: AnswerEngine) -> None:
    with pytest.raises(QuestionError, match="Ask a question"):
        sample_engine.answer("   \n ")
    with pytest.raises(QuestionError, match="under 500"):
        sample_engine.answer("why " * 200)


def test_empty_store_refuses_instead_of_failing(engine: AnswerEngine) -> None:
    answer = engine.answer(REPO_SAMPLE_QUESTION)
    assert answer.refused and not answer.passages


def test_follow_up_uses_the_previous_question(sample_engine: AnswerEngine) -> None:
    history = [REPO_SAMPLE_QUESTION]
    assert standalone_question("and who runs it?", history).startswith(REPO_SAMPLE_QUESTION)
    assert standalone_question("How many runners took part in the autumn marathon race?", history).startswith(
        "How"
    )
    answer = sample_engine.answer("and who is its chief executive?", history=history)
    assert answer.citations and answer.citations[0].url == OPENAI_URL
    assert "Sam Altman" in answer.text, "the sentence is chosen by the follow-up itself"


def test_a_latest_question_the_articles_do_not_answer_is_refused(sample_engine: AnswerEngine) -> None:
    """The recency preference has nothing to prefer when the best sentence is below the bar."""
    answer = sample_engine.answer("what is the latest news on the colony on Mars?")
    assert answer.refused and not answer.citations
