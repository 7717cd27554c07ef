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
from vectorstore.furniture import furniture
from vectorstore.lexical import tokenize
from vectorstore.models import Passage
from vectorstore.replica.passages import StoredSentence
from vectorstore.sentences import Sentence, split_sentences

Around = tuple[Sentence | None, Sentence | None]  # the reporting sentences before and after


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
    around: Around | None = None  # None: not known (answerability.neighbours reads them)


StoredSentences = Mapping[str, Sequence[StoredSentence]]  # chunk id -> its sentences, in order


@dataclass
class _Found:
    passage: Passage
    text: str
    start: int
    end: int
    vector: np.ndarray | None
    around: Around


def candidates(passages: Sequence[Passage], stored: StoredSentences | None) -> list[_Found]:
    """Each reporting sentence of the passages once (page furniture is never a candidate,
    nor anyone's neighbour: vectorstore/furniture.py), with its stored vector when the
    store has one."""
    stored = stored or {}
    seen: set[tuple[str, int]] = set()
    out: list[_Found] = []
    for passage in passages:
        rows = _sentences(passage, stored.get(passage.chunk_id))
        for i, (sentence, vector, flag) in enumerate(rows):
            key = (passage.article.id, sentence.start)
            if flag or key in seen or len(sentence.text) < 12:
                continue
            seen.add(key)
            around = (_reporting(rows, i - 1), _reporting(rows, i + 1))
            out.append(_Found(passage, sentence.text, sentence.start, sentence.end, vector, around))
    return out


Row = tuple[Sentence, np.ndarray | None, bool]  # a sentence, its stored vector, its furniture flag


def _reporting(rows: Sequence[Row], i: int) -> Sentence | None:
    """The sentence at `i` as a neighbour: none past the passage's ends, nor furniture."""
    return rows[i][0] if 0 <= i < len(rows) and not rows[i][2] else None


def _sentences(passage: Passage, stored: Sequence[StoredSentence] | None) -> list[Row]:
    """The passage's sentences with their stored vectors and furniture flags (a store
    without them: split and flagged now, by the rule a writer applies)."""

    def text(start: int, end: int) -> str:
        return passage.text[start - passage.start : end - passage.start]

    if stored:
        return [(Sentence(text(s.start, s.end), s.start, s.end), s.vector, s.furniture) for s in stored]
    split = split_sentences(passage.text, base=passage.start)
    flags = furniture(passage.text, [(s.start, s.end) for s in split], passage.start)
    return [(s, None, flag) for s, flag in zip(split, flags, strict=True)]


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
        out.append(Candidate(f.passage, f.text, f.start, f.end, sim, lex, score, f.vector, f.around))
    out.sort(key=lambda c: -c.score)
    return out
