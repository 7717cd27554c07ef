"""The answering core's rules, each defined once: how evidence is weighed, how much of a
question's wording a text covers, how a quote is cut, how much history a follow-up sees,
what a refusal says.

Recalibrating MIN_EVIDENCE or SUPPORT_THRESHOLD means changing the weights here only:
the extractive ranking, the engine's refusal and the LLM verifier all read them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from vectorstore.lexical import tokenize

HISTORY_TURNS = 3  # earlier questions of a conversation a follow-up is read with
NOT_FOUND = "I could not find this in the articles I have."  # the refusal (near misses: nearmiss.py)


class Question(str):
    """A question that passed AnswerEngine.check_question: a door that checks it before it
    acts (Discord, before deferring) hands it on, and the engine does not check it again."""


def recent(history: Sequence[str]) -> list[str]:
    """The earlier questions a follow-up is read with: the last HISTORY_TURNS. Every door
    hands its whole conversation to the engine, which keeps these (doors that store a
    conversation keep no more)."""
    return list(history[-HISTORY_TURNS:]) if HISTORY_TURNS else []


@dataclass(frozen=True)
class EvidenceWeights:
    """How the embedder's similarity and the IDF-weighted word overlap combine into one
    evidence score (chosen on squad-dev; bench/calibrate_support.py for the verifier)."""

    similarity: float = 0.6
    overlap: float = 0.4

    def combine(self, similarity: float, overlap: float) -> float:
        return self.similarity * similarity + self.overlap * overlap


EVIDENCE = EvidenceWeights()


def coverage(wanted_tokens: Iterable[str], text: str, idf: Callable[[str], float]) -> float:
    """Share of the wanted tokens' IDF mass whose words occur in `text` (0 when none)."""
    wanted = set(wanted_tokens)
    total = sum(idf(t) for t in wanted)
    if not total:
        return 0.0
    present = set(tokenize(text))
    return sum(idf(t) for t in wanted & present) / total


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary (in the second half of the text
    kept) with an ellipsis; a cut does not end on a comma, semicolon or colon."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
