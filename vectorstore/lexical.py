"""Lexical search over the visible chunks with bm25s, and the tokeniser shared with the
answering core (lower-cased words, English stop words removed, Snowball-stemmed)."""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

log = logging.getLogger(__name__)

_WORD = re.compile(r"(?u)\b\w\w+\b|\d")
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Words of a text as the lexical index sees them."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return list(_stemmer().stemWords(words))


class LexicalIndex:
    """BM25 over a fixed list of chunk texts; rebuilt when the store's content changes."""

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

    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._model is not None:
            self._model.save(str(tmp), show_progress=False)
        (tmp / "newsdesk.json").write_text(
            json.dumps({"ids": self.ids, "doc_freq": self._doc_freq}), encoding="utf-8"
        )
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        meta_path = folder / "newsdesk.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            model = bm25s.BM25.load(str(folder)) if meta["ids"] else None
        except (OSError, ValueError, KeyError) as exc:
            log.warning("lexical index in %s is unreadable (%s); rebuilding", folder, exc)
            return None
        return cls(list(meta["ids"]), model, dict(meta["doc_freq"]))
