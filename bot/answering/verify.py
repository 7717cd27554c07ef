"""Check every sentence of a generated answer against the sources it cites.

A sentence is kept when a cited source supports it: every name and number in it occurs
in the source, and the embedder's similarity to the closest source sentence and the share
of the sentence's (IDF-weighted) words found in the source, combined as the extractive
path's evidence is, reach the support threshold (bench/calibrate_support.py).
Citations to sources that do not exist are removed; a kept sentence without a valid
citation is given the source that supports it best.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

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


def coverage(claim_tokens: list[str], source_text: str, idf: Callable[[str], float]) -> float:
    """Share of the claim's IDF mass whose words occur in the source."""
    wanted = set(claim_tokens)
    total = sum(idf(t) for t in wanted)
    if not total:
        return 0.0
    present = set(tokenize(source_text))
    return sum(idf(t) for t in wanted & present) / total


def verify(
    answer: str,
    passages: Sequence[Passage],
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    idf: Callable[[str], float],
    threshold: float,
) -> Verification:
    claims: list[tuple[str, list[int]]] = []
    removed = 0
    for sentence in split_sentences(_MARKUP.sub("", answer)):
        cited = [int(n) for n in _CITE.findall(sentence.text)]
        valid = [n for n in cited if 1 <= n <= len(passages)]
        removed += len(cited) - len(valid)
        text = " ".join(_CITE.sub(" ", sentence.text).split()).replace(" .", ".")
        if len(text) >= 3:
            claims.append((text, valid))
    if not claims:
        return Verification([], [], removed)
    vectors = embedder.embed([c for c, _ in claims])
    kept, dropped = [], []
    for (text, valid), vector in zip(claims, vectors, strict=True):
        best = _best_support(text, vector, valid or list(range(1, len(passages) + 1)), passages, sources, idf)
        if best is not None and best[1] >= threshold:
            kept.append(Verified(text, best[0].source, best[0], best[1]))
        else:
            dropped.append(text)
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
        support = 0.6 * float(s.vector @ vector) + 0.4 * lexical[s.source]
        if best is None or support > best[1]:
            best = (s, support)
    return best
