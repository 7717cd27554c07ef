"""The tokeniser shared by the lexical index (replica/rows.py, replica/bm25.py) and the
answering core (lower-cased words, English stop words removed, Snowball-stemmed), and an
in-memory bm25s index over a fixed list of texts (bench/baselines.py's BM25 reference).

The stop words are bm25s' English list (`bm25s.stopwords.STOPWORDS_EN`, MIT licence; a
test keeps the two equal): importing bm25s for it cost a question 0.5 s (scipy)."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import Stemmer

if TYPE_CHECKING:
    import bm25s

log = logging.getLogger(__name__)

_WORD = re.compile(r"(?u)\b\w\w+\b|\d")
# fmt: off
STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
    "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this",
    "to", "was", "will", "with",
))
# fmt: on


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


SHORT_TEXT = 1000  # a sentence or a question: tokenised once while it is asked about


def tokenize(text: str) -> list[str]:
    """Words of a text as the lexical index sees them. A short text's words are kept in
    a bounded cache: one question reads the same sentences several times (ranking, the
    anchors, the choice of the quote)."""
    if len(text) <= SHORT_TEXT:
        return list(_short(text))
    return _tokens(text)


@lru_cache(maxsize=8192)
def _short(text: str) -> tuple[str, ...]:
    return tuple(_tokens(text))


def _tokens(text: str) -> list[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    return list(_stemmer().stemWords(words))


class LexicalIndex:
    """BM25 (bm25s) over a fixed list of texts, in memory."""

    def __init__(self, ids: list[str], model: bm25s.BM25 | None, doc_freq: dict[str, int]) -> None:
        self.ids = ids
        self._model = model
        self._doc_freq = doc_freq

    @classmethod
    def build(cls, ids: list[str], texts: Sequence[str]) -> LexicalIndex:
        tokens = [tokenize(t) for t in texts]
        doc_freq: Counter[str] = Counter()
        for toks in tokens:
            doc_freq.update(set(toks))
        if not ids:
            return cls([], None, {})
        import bm25s

        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(tokens, show_progress=False)
        return cls(list(ids), model, dict(doc_freq))

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency of a token over the indexed chunks."""
        n = max(len(self.ids), 1)
        return math.log(1.0 + (n - self._doc_freq.get(token, 0) + 0.5) / (self._doc_freq.get(token, 0) + 0.5))

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(position in `ids`, BM25 score) of the best k chunks with a score above zero."""
        if self._model is None or k <= 0:
            return []
        tokens = [t for t in tokenize(query) if t in self._doc_freq]
        if not tokens:
            return []
        scores = self._model.get_scores(tokens)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
