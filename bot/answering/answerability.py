"""Does a passage answer the question, or only resemble it?

Between ranking and the answer: the best-ranked sentence (of the first few above the
evidence threshold) whose immediate context - the sentence, its neighbours, the article's
title and date - meets every anchor of the question (anchors.py) is the answer. When the
passages are on topic but none meets the anchors, the question is a near miss: refused,
with the nearest sentence quoted as what the articles do say. The quote takes in the
neighbouring sentence when the chosen one leans on it ("She won this by only 129 votes").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answering.anchors import Anchor, ContextWords, Kind, anchors_of, met
from bot.answering.extractive import Candidate
from vectorstore.models import Passage
from vectorstore.sentences import Sentence, split_sentences

# Ranked sentences tried for one that meets the anchors; 0 turns the check off. Chosen from
# bench/refusal_curve.py: 1 refuses the most near misses but also many answerable questions.
SEARCH_DEPTH = 5
_LEANS = re.compile(r"(?:he|she|it|they|this|that|these|those|his|her|its|their|there|the latter)\b", re.I)
_WANTS_NUMBER = re.compile(
    r"^\s*(?:how (?:many|much|long|old|far|big|large|tall|high)|what (?:percentage|number))\b", re.I
)
_WANTS_TIME = re.compile(r"^\s*(?:when|(?:in )?what year|on what date|what date)\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b", re.I
)
_TIME = re.compile(
    r"\b(?:1\d\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|"
    r"yesterday|tomorrow|century|decade)\b",
    re.I,
)


@dataclass(frozen=True)
class Quote:
    """What is quoted for an answer: a sentence, or it and the neighbour it leans on."""

    candidate: Candidate
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Judgement:
    anchors: list[Anchor]
    answer: Quote | None  # None: a near miss
    nearest: Candidate  # the best-ranked sentence: what the articles do say
    missing: list[Anchor] = field(default_factory=list)  # of the nearest, for a near miss


def neighbours(passage: Passage, start: int) -> tuple[Sentence | None, Sentence | None]:
    """The sentences just before and after the one at `start` (an article offset) in its passage."""
    sentences = split_sentences(passage.text, base=passage.start)
    for i, s in enumerate(sentences):
        if s.start <= start < s.end:
            before = sentences[i - 1] if i > 0 else None
            after = sentences[i + 1] if i + 1 < len(sentences) else None
            return before, after
    return None, None


def context_text(passage: Passage, sentence: str, around: Sequence[Sentence | None]) -> str:
    """A sentence's immediate context: itself, its neighbours, the article's title and date."""
    record = passage.article
    parts = [sentence, *(s.text for s in around if s is not None), record.title, record.date or ""]
    return " ".join(parts)


def window(passage: Passage, sentence: str, start: int) -> str:
    """The context of the sentence at `start` in `passage` (see context_text)."""
    return context_text(passage, sentence, neighbours(passage, start))


def unmet(anchors: Sequence[Anchor], context: str, sentence: str) -> list[Anchor]:
    """The anchors a context does not meet; a negation must be in the sentence itself."""
    words = ContextWords.of(context, sentence)
    return [a for a in anchors if not met(a, words)]


def judge(
    question: str,
    ranked: Sequence[Candidate],
    min_evidence: float,
    max_chars: int,
    depth: int = SEARCH_DEPTH,
) -> Judgement:
    """The answer among the first `depth` ranked sentences, or the near miss (see the
    module docstring). `ranked[0]` must already clear `min_evidence`."""
    anchors = anchors_of(question) if depth > 0 else []
    first_missing: list[Anchor] | None = None
    for candidate in ranked[: max(depth, 1)]:
        if candidate.score < min_evidence:
            break
        around = neighbours(candidate.passage, candidate.start)
        missing = unmet(anchors, context_text(candidate.passage, candidate.text, around), candidate.text)
        if not missing:
            return Judgement(anchors, quote_of(question, candidate, around, max_chars), ranked[0])
        if first_missing is None:
            first_missing = missing
    return Judgement(anchors, None, ranked[0], first_missing or [])


def quote_of(
    question: str, candidate: Candidate, around: tuple[Sentence | None, Sentence | None], max_chars: int
) -> Quote:
    """The sentence, joined to a neighbour (when both fit in `max_chars`): to the next one
    when that one leans on it ("She won this by only 129 votes."), to the one holding the
    number or time the question asks for when the sentence has none, and to the previous
    one when the sentence itself opens by leaning on it."""
    before, after = around
    wanted = _NUMBER if _WANTS_NUMBER.search(question) else _TIME if _WANTS_TIME.search(question) else None
    if wanted is not None and not wanted.search(candidate.text):
        if after is not None and wanted.search(after.text):
            return _joined(candidate, candidate.start, after.end, max_chars)
        if before is not None and wanted.search(before.text):
            return _joined(candidate, before.start, candidate.end, max_chars)
    if after is not None and _LEANS.match(after.text):
        return _joined(candidate, candidate.start, after.end, max_chars)
    if before is not None and _LEANS.match(candidate.text):
        return _joined(candidate, before.start, candidate.end, max_chars)
    return Quote(candidate, candidate.text, candidate.start, candidate.end)


def _joined(candidate: Candidate, start: int, end: int, max_chars: int) -> Quote:
    p = candidate.passage
    text = p.text[start - p.start : end - p.start]
    if len(text) > max_chars:
        return Quote(candidate, candidate.text, candidate.start, candidate.end)
    return Quote(candidate, text, start, end)


def describe(missing: Sequence[Anchor], question: str) -> str:
    """What the articles lack, in the question's words: "2005 Nobel Peace Prize"."""
    if not missing:
        return "what this question asks"
    anchor = missing[0]
    if anchor.kind is Kind.NAME or anchor.kind is Kind.QUOTE:
        return anchor.text
    words = question.strip().rstrip("?.! ").split()
    start = next((i for i, w in enumerate(words) if anchor.text.lower() in w.lower()), None)
    if start is None:
        return anchor.text
    if anchor.kind is Kind.NEGATION:
        return " ".join(words[start:])
    phrase = [words[start]]
    for w in words[start + 1 : start + 4]:
        if not w[:1].isupper() and not w[:1].isdigit():
            break
        phrase.append(w)
    return " ".join(phrase).strip(",;:")
