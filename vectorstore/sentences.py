"""Sentence boundaries with character offsets, for chunking and for quoting.

A rule-based segmenter: fast enough to run on every retrieved chunk at question time
(microseconds a chunk), and it keeps exact offsets so a quote can be located in the
article. It does not split after common abbreviations, initials or decimal points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# End punctuation, optional closing quotes/brackets, whitespace, then what starts a sentence.
_BOUNDARY = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])|[。！？]+""")
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*[-*•])")
# Words after which a period ends no sentence ("Gov. Gavin Newsom", "Jan. 6", "Acme Ltd.
# said", "Fifth Ave. and"): titles, name parts, company and address words, months, Latin.
# The one list: ingest's splitter, the asking sentence of a question (quoting/asked_for.py)
# and the end of a capitalised run (quoting/answer_spans.py) all read it.
_ABBREVIATED = """mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt gov sen rep rev hon pres inc ltd co
    corp bros no nos vs etc al fig approx dept est ave jan feb mar apr jun jul aug sep sept oct
    nov dec"""
ABBREVIATIONS = frozenset(_ABBREVIATED.split())
# letters with periods: "U.S", "e.g", "a.m" (the last period is the one asked about)
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]", re.I)

# A separator for LangChain's splitter: whitespace after a sentence end.
SENTENCE_SEPARATOR = r"(?<=[.!?])\s+(?=[\"“(]?[A-Z0-9])"


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def is_abbreviation(word: str) -> bool:
    """Whether a period right after `word` ends no sentence: a listed abbreviation (any
    case), an initial ("J") or letters with periods ("U.S", "e.g"). `word` is given
    without that period."""
    return (
        word.lower() in ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or bool(_DOTTED.fullmatch(word))
    )


def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the '.' at `dot` the end of an abbreviation or an initial?"""
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in '("“':
        word_start -= 1
    return is_abbreviation(text[word_start:dot])


def split_sentences(text: str, base: int = 0) -> list[Sentence]:
    """Sentences of `text` with offsets (plus `base`) such that text[start:end] == sentence."""
    out: list[Sentence] = []
    for para_start, para_end in _paragraphs(text):
        cursor = para_start
        para = text[para_start:para_end]
        for match in _BOUNDARY.finditer(para):
            end = para_start + match.end()
            if match.group().startswith(".") and _is_abbreviation(text, para_start + match.start()):
                continue
            _append(out, text, cursor, end, base)
            cursor = end
        _append(out, text, cursor, para_end, base)
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans = []
    cursor = 0
    for match in _PARAGRAPH.finditer(text):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    return spans


def _append(out: list[Sentence], text: str, start: int, end: int, base: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    s = start + lead
    out.append(Sentence(stripped, s + base, s + len(stripped) + base))
