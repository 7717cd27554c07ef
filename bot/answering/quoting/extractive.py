"""The offline answer: the sentence from the retrieved passages that best answers the
question, chosen by the embedder's similarity and IDF-weighted word overlap (combined by
rules.EVIDENCE, the same mix the engine's refusal and the verifier use); quoted as it
stands in the article, with its offsets. The passage's retrieval rank does not count:
every sentence of the passages retrieved competes on its own wording."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.answering.rules import EVIDENCE, EvidenceWeights, coverage
from vectorstore.embedding import Embedder
from vectorstore.lexical import tokenize
from vectorstore.models import Passage
from vectorstore.sentences import split_sentences


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    text: str
    start: int  # offsets into the article's clean text
    end: int
    similarity: float
    overlap: float
    score: float  # the evidence: EVIDENCE.combine(similarity, overlap)
    vector: np.ndarray


StoredSentences = Mapping[str, Sequence[tuple[int, int, np.ndarray]]]  # chunk id -> (start, end, vector)


@dataclass
class _Found:
    passage: Passage
    text: str
    start: int
    end: int
    vector: np.ndarray | None


def candidates(passages: Sequence[Passage], stored: StoredSentences | None) -> list[_Found]:
    """Each sentence of the passages once, with its stored vector when the store has one."""
    stored = stored or {}
    seen: set[tuple[str, int]] = set()
    out: list[_Found] = []
    for passage in passages:
        rows: list[tuple[int, int, np.ndarray | None]] = list(stored.get(passage.chunk_id) or []) or [
            (s.start, s.end, None) for s in split_sentences(passage.text, base=passage.start)
        ]
        for start, end, vector in rows:
            text = passage.text[start - passage.start : end - passage.start]
            key = (passage.article.id, start)
            if key in seen or len(text) < 12:
                continue
            seen.add(key)
            out.append(_Found(passage, text, start, end, vector))
    return out


def embed_unstored(found: Sequence[_Found], embedder: Embedder) -> None:
    """Sentences the store has no vectors for (a store older than sentence vectors) are
    embedded now. To be deleted once every store carries them (the store format version)."""
    missing = [f for f in found if f.vector is None]
    if missing:
        for f, vector in zip(missing, embedder.embed([f.text for f in missing]), strict=True):
            f.vector = vector


def rank_sentences(
    question: str,
    query_vector: np.ndarray,
    passages: Sequence[Passage],
    embedder: Embedder,
    idf: Callable[[str], float],
    stored: StoredSentences | None = None,
    weights: EvidenceWeights = EVIDENCE,
) -> list[Candidate]:
    found = candidates(passages, stored)
    embed_unstored(found, embedder)
    q_tokens = tokenize(question)
    out = []
    for f in found:
        assert f.vector is not None
        sim = float(f.vector @ query_vector)
        lex = coverage(q_tokens, f.text, idf)
        score = weights.combine(sim, lex)
        out.append(Candidate(f.passage, f.text, f.start, f.end, sim, lex, score, f.vector))
    out.sort(key=lambda c: -c.score)
    return out
