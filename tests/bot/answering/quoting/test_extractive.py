"""Sentence ranking with hand-made vectors: no model is loaded."""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.answering.quoting.extractive import rank_sentences
from bot.answering.rules import EVIDENCE
from vectorstore.models import ArticleRecord, Passage
from vectorstore.replica.passages import StoredSentence

TEXT = "Rain fell all week in the city. The office opens in London next year. Staff are hiring now."
RECORD = ArticleRecord(id="a1", title="OpenAI goes abroad", hash="h", n_chunks=1, date="2023-06-28")
PASSAGE = Passage("a1:0", RECORD, 0, TEXT, 0, len(TEXT), 1.0)


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


class NoModel:
    """Ranking must not embed anything when the store has every sentence's vector."""

    def embed(self, texts: Any) -> Any:
        raise AssertionError("embedded sentences the store already had")


def lookup_with(vectors: list[np.ndarray]) -> Any:
    spans = [(0, 31), (32, 69), (70, len(TEXT))]

    return {"a1:0": [StoredSentence(s, e, v) for (s, e), v in zip(spans, vectors, strict=True)]}


def test_the_sentence_with_the_question_words_and_meaning_ranks_first() -> None:
    query = unit(1, 0, 0)
    lookup = lookup_with([unit(0, 1, 0), unit(1, 0.2, 0), unit(0.3, 0, 1)])
    ranked = rank_sentences("where will the office open?", query, [PASSAGE], NoModel(), lambda t: 1.0, lookup)  # type: ignore[arg-type]

    best = ranked[0]
    assert best.text == "The office opens in London next year."
    assert TEXT[best.start : best.end] == best.text
    assert best.overlap == 2 / 3  # "offic" and "open" present, "where" not
    assert best.score == EVIDENCE.combine(best.similarity, best.overlap)
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)


def test_overlap_can_outweigh_a_slightly_closer_vector() -> None:
    query = unit(1, 0, 0)
    # the rain sentence is a little closer in vector space, but shares no question word
    lookup = lookup_with([unit(1, 0.1, 0), unit(1, 0.3, 0), unit(0, 0, 1)])
    ranked = rank_sentences("where will the office open?", query, [PASSAGE], NoModel(), lambda t: 1.0, lookup)  # type: ignore[arg-type]
    assert ranked[0].text.startswith("The office opens")
    assert ranked[1].text.startswith("Rain fell") and ranked[1].similarity > ranked[0].similarity
