"""The honest reply to a near miss: refused, saying what is missing and quoting what the
articles do say, in `Answer.nearest` and never as an answer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.models import Answer, Citation
from bot.answering.quoting.extractive import Candidate
from vectorstore.models import Passage

NEAR_MISS = "I could not find anything on “{missing}” in the articles I have. The closest they come:"
NOT_IN_SOURCES = "The articles I have do not say this. The closest they come:"
_SHORTEST_QUOTE = 80


def near_miss(
    question: str,
    lead: str,
    nearest: Candidate,
    evidence: float,
    passages: Sequence[Passage],
    max_answer_chars: int,
) -> Answer:
    """A refusal that says what is missing (`lead`) and quotes the nearest sentence, the
    whole reply within `max_answer_chars` (the quote keeps at least 80 characters)."""
    room = max(max_answer_chars - len(lead) - 5, _SHORTEST_QUOTE)
    citation = Citation.of(1, nearest.passage.article, nearest.text, nearest.start, max_chars=room)
    return Answer(
        question=question,
        text=f"{lead} {citation.quote} [1]",
        refused=True,
        mode="refused",
        evidence=evidence,
        passages=list(passages),
        nearest=citation,
    )


def missing_lead(missing: str) -> str:
    return NEAR_MISS.format(missing=missing)
