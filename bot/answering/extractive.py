"""The offline answer: the sentence from the retrieved passages that best answers the
question, chosen by the embedder's similarity, IDF-weighted word overlap, and the
passage's retrieval rank; quoted as it stands in the article, with its offsets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vectorstore.embedding import Embedder
from vectorstore.lexical import tokenize
from vectorstore.models import Passage
from vectorstore.sentences import split_sentences


@dataclass(frozen=True)
class Weights:
    similarity: float = 0.6
    overlap: float = 0.4
    rank: float = 0.0


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    text: str
    start: int  # offsets into the article's clean text
    end: int
    similarity: float
    overlap: float
    score: float
    vector: np.ndarray


SentenceLookup = Callable[[list[str]], dict[str, list[tuple[int, int, np.ndarray]]]]


@dataclass
class _Found:
    passage: Passage
    rank: int
    text: str
    start: int
    end: int
    vector: np.ndarray | None


def candidates(passages: Sequence[Passage], lookup: SentenceLookup | None) -> list[_Found]:
    """Each sentence of the passages once, with its stored vector when the store has one."""
    stored = lookup([p.chunk_id for p in passages]) if lookup else {}
    seen: set[tuple[str, int]] = set()
    out: list[_Found] = []
    for rank, passage in enumerate(passages):
        rows: list[tuple[int, int, np.ndarray | None]] = list(stored.get(passage.chunk_id) or []) or [
            (s.start, s.end, None) for s in split_sentences(passage.text, base=passage.start)
        ]
        for start, end, vector in rows:
            text = passage.text[start - passage.start : end - passage.start]
            key = (passage.article.id, start)
            if key in seen or len(text) < 12:
                continue
            seen.add(key)
            out.append(_Found(passage, rank, text, start, end, vector))
    return out


def overlap_score(question_tokens: list[str], sentence: str, idf: Callable[[str], float]) -> float:
    """Share of the question's IDF mass whose words appear in the sentence."""
    wanted = set(question_tokens)
    if not wanted:
        return 0.0
    present = set(tokenize(sentence))
    total = sum(idf(t) for t in wanted)
    return sum(idf(t) for t in wanted & present) / total if total else 0.0


def rank_sentences(
    question: str,
    query_vector: np.ndarray,
    passages: Sequence[Passage],
    embedder: Embedder,
    idf: Callable[[str], float],
    lookup: SentenceLookup | None = None,
    weights: Weights = Weights(),
) -> list[Candidate]:
    found = candidates(passages, lookup)
    missing = [f for f in found if f.vector is None]
    if missing:  # sentences the store has no vectors for (an older store): embed them now
        for f, vector in zip(missing, embedder.embed([f.text for f in missing]), strict=True):
            f.vector = vector
    q_tokens = tokenize(question)
    out = []
    for f in found:
        assert f.vector is not None
        sim = float(f.vector @ query_vector)
        lex = overlap_score(q_tokens, f.text, idf)
        score = weights.similarity * sim + weights.overlap * lex + weights.rank / (1 + f.rank)
        out.append(Candidate(f.passage, f.text, f.start, f.end, sim, lex, score, f.vector))
    out.sort(key=lambda c: -c.score)
    return out


def trim(text: str, limit: int) -> str:
    """Cut a quote at a word boundary to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
