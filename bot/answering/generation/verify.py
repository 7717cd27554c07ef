"""Check every sentence of a generated answer against the sources it cites.

A sentence is kept when a cited source supports it: every name and number in it occurs
in the source, and the embedder's similarity to the closest source sentence and the share
of the sentence's (IDF-weighted) words found in the source, combined as the extractive
path's evidence is (rules.EVIDENCE), reach the support threshold (bench/calibrate_support.py).
Citations to sources that do not exist are removed; a kept sentence without a valid
citation is given the source that supports it best.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.answering.rules import EVIDENCE, coverage
from vectorstore.embedding import Embedder
from vectorstore.lexical import tokenize
from vectorstore.models import Passage
from vectorstore.sentences import split_sentences

_CITE = re.compile(r"\[(\d{1,2})\]")
_SALIENT = re.compile(r"(?<!^)(?<![.!?]\s)\b(?:[A-Z][\w'’-]*|\d[\d,.]*)")
_MARKUP = re.compile(r"[*_`#>]+")


@dataclass(frozen=True)
class SourceSentence:
    source: int  # 1-based number of the passage in the prompt
    text: str
    start: int
    end: int
    vector: np.ndarray


@dataclass(frozen=True)
class Verified:
    text: str  # without citation marks
    source: int
    quote: SourceSentence
    support: float


@dataclass(frozen=True)
class Verification:
    kept: list[Verified]
    dropped: list[str]
    removed_citations: int


def salient_tokens(claim: str) -> set[str]:
    """Names and numbers of a claim (capitalised words not opening it, and figures):
    a generated sentence may paraphrase, but these must come from its source."""
    return {t for word in _SALIENT.findall(claim.strip()) for t in tokenize(word)}


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence without markup and citation marks
    cited: list[int]  # the valid source numbers it cites


def claims_of(answer: str, n_sources: int) -> tuple[list[Claim], int]:
    """The sentences of a generated answer with the sources they cite, and how many
    citations named a source that does not exist (those are removed)."""
    claims: list[Claim] = []
    removed = 0
    for sentence in split_sentences(_MARKUP.sub("", answer)):
        cited = [int(n) for n in _CITE.findall(sentence.text)]
        valid = [n for n in cited if 1 <= n <= n_sources]
        removed += len(cited) - len(valid)
        text = " ".join(_CITE.sub(" ", sentence.text).split()).replace(" .", ".")
        if len(text) >= 3:
            claims.append(Claim(text, valid))
    return claims, removed


def verify(
    answer: str,
    passages: Sequence[Passage],
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    idf: Callable[[str], float],
    threshold: float,
) -> Verification:
    claims, removed = claims_of(answer, len(passages))
    if not claims:
        return Verification([], [], removed)
    vectors = embedder.embed([c.text for c in claims])
    kept, dropped = [], []
    for claim, vector in zip(claims, vectors, strict=True):
        allowed = claim.cited or list(range(1, len(passages) + 1))
        best = _best_support(claim.text, vector, allowed, passages, sources, idf)
        if best is not None and best[1] >= threshold:
            kept.append(Verified(claim.text, best[0].source, best[0], best[1]))
        else:
            dropped.append(claim.text)
    return Verification(kept, dropped, removed)


def _best_support(
    text: str,
    vector: np.ndarray,
    allowed: list[int],
    passages: Sequence[Passage],
    sources: Sequence[SourceSentence],
    idf: Callable[[str], float],
) -> tuple[SourceSentence, float] | None:
    tokens = tokenize(text)
    salient = salient_tokens(text)
    best: tuple[SourceSentence, float] | None = None
    lexical = {
        n: coverage(tokens, passages[n - 1].text, idf)
        for n in allowed
        if salient <= set(tokenize(passages[n - 1].text))  # no name or number from nowhere
    }
    for s in sources:
        if s.source not in lexical:
            continue
        support = EVIDENCE.combine(float(s.vector @ vector), lexical[s.source])
        if best is None or support > best[1]:
            best = (s, support)
    return best
