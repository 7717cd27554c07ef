"""Features of a candidate answer sentence, for the learned sentence ranker.

Each is cheap to compute at question time from what retrieval already has: the
embedder's similarity, IDF-weighted overlap, the passage's rank, and cues that the
sentence holds the kind of thing the question asks for (a person, a date, a number,
a place) beyond the words of the question itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from vectorstore.lexical import tokenize

NAMES = (
    "bias",
    "similarity",
    "overlap",
    "passage_rank",
    "dense_similarity",
    "lexical_hit",
    "novelty",
    "length",
    "first_in_passage",
    "bigram_overlap",
    "asks_when",
    "has_date",
    "asks_number",
    "has_number",
    "asks_who",
    "asks_where",
    "new_capitals",
)
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b",
    re.I,
)
_CAPITAL = re.compile(r"\b[A-Z][a-zA-Z'’-]+")


def question_type(question: str) -> dict[str, float]:
    q = question.lower()
    return {
        "asks_when": float(bool(re.search(r"\bwhen\b|\bwhat (year|date|day|month|century|decade)\b", q))),
        "asks_number": float(
            bool(
                re.search(
                    r"\bhow (many|much|long|old|far|large|big|tall|often)\b|\bwhat (percentage|number|amount)\b",
                    q,
                )
            )
        ),
        "asks_who": float(bool(re.search(r"\bwho(m|se)?\b", q))),
        "asks_where": float(bool(re.search(r"\bwhere\b|\bwhat (city|country|state|place|region)\b", q))),
    }


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def sentence_features(
    question: str,
    q_tokens: list[str],
    sentence: str,
    similarity: float,
    overlap: float,
    passage_rank: int,
    dense_similarity: float | None,
    lexical_hit: bool,
    first_in_passage: bool,
    qtype: dict[str, float],
    idf: Callable[[str], float],
) -> np.ndarray:
    s_tokens = tokenize(sentence)
    q_set = set(q_tokens)
    novel = [t for t in s_tokens if t not in q_set]
    novelty = sum(idf(t) for t in novel) / (sum(idf(t) for t in s_tokens) or 1.0)
    q_bigrams = _bigrams(q_tokens)
    bigram = len(q_bigrams & _bigrams(s_tokens)) / len(q_bigrams) if q_bigrams else 0.0
    q_words = set(question.split())
    new_capitals = sum(1 for w in _CAPITAL.findall(sentence) if w not in q_words)
    values = {
        "bias": 1.0,
        "similarity": similarity,
        "overlap": overlap,
        "passage_rank": 1.0 / (1 + passage_rank),
        "dense_similarity": dense_similarity or 0.0,
        "lexical_hit": float(lexical_hit),
        "novelty": novelty,
        "length": min(len(sentence), 400) / 400,
        "first_in_passage": float(first_in_passage),
        "bigram_overlap": bigram,
        "has_date": float(bool(_YEAR.search(sentence) or _MONTH.search(sentence))),
        "has_number": float(bool(_NUMBER.search(sentence))),
        "new_capitals": min(new_capitals, 5) / 5,
        **qtype,
    }
    base = np.array([values[n] for n in NAMES], dtype=np.float32)
    cross = np.array(
        [
            values["asks_when"] * values["has_date"],
            values["asks_number"] * values["has_number"],
            (values["asks_who"] + values["asks_where"]) * values["new_capitals"],
        ],
        dtype=np.float32,
    )
    return np.concatenate([base, cross])


FEATURE_NAMES = (*NAMES, "when_x_date", "number_x_number", "whowhere_x_capitals")
