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
    similarity: float = 0.55
    overlap: float = 0.35
    rank: float = 0.10


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    text: str
    start: int  # offsets into the article's clean text
    end: int
    similarity: float
    overlap: float
    score: float


def candidates(passages: Sequence[Passage], max_passages: int) -> list[tuple[Passage, int, str, int, int]]:
    """(passage, rank, sentence, start, end) for each sentence of the top passages, no repeats."""
    seen: set[tuple[str, int]] = set()
    out = []
    for rank, passage in enumerate(passages[:max_passages]):
        for sentence in split_sentences(passage.text, base=passage.start):
            key = (passage.article.id, sentence.start)
            if key in seen or len(sentence.text) < 12:
                continue
            seen.add(key)
            out.append((passage, rank, sentence.text, sentence.start, sentence.end))
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
    weights: Weights = Weights(),
    max_passages: int = 5,
) -> list[Candidate]:
    found = candidates(passages, max_passages)
    if not found:
        return []
    vectors = embedder.embed([text for _, _, text, _, _ in found])
    similarities = vectors @ query_vector
    q_tokens = tokenize(question)
    out = []
    for (passage, rank, text, start, end), sim in zip(found, similarities, strict=True):
        lex = overlap_score(q_tokens, text, idf)
        score = weights.similarity * float(sim) + weights.overlap * lex + weights.rank / (1 + rank)
        out.append(Candidate(passage, text, start, end, float(sim), lex, score))
    out.sort(key=lambda c: -c.score)
    return out


def trim(text: str, limit: int) -> str:
    """Cut a quote at a word boundary to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
