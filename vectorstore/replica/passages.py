"""What the host's rows keep of a chunk besides its words (replica/rows.py): its place in
the article, its text, its vector and its sentences' offsets, vectors and furniture flags
(vectorstore/furniture.py), encoded as SQLite blobs; and the same sentences as a string in
the chunk's Chroma metadata (store format 4 and on), from which a host's rows are read back.

Vectors are kept as float16: a cosine similarity moves by less than 0.001 (unit vectors
of 384 dimensions), and the rows of a 100k-chunk store stay on disk, not in memory.

The blob: a count, then (start, end) of each sentence, then the vectors. Since store
format 5 the count carries FLAGGED and each sentence (start, end, flags): a blob written
before (format 4, a host's rows before their upgrade) has its flags read from the chunk's
text (`decode_sentences`), by the same rule a writer applies.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

import numpy as np

from vectorstore.furniture import furniture


class StoredSentence(NamedTuple):
    """A sentence of a chunk as stored: its offsets in the article, its in-context vector,
    and whether it is page furniture (never quoted, never a lead)."""

    start: int
    end: int
    vector: np.ndarray
    furniture: bool = False


Sentences = list[StoredSentence]  # each sentence of a chunk, in order
FLAGGED = 1 << 30  # in a blob's count: the blob carries each sentence's flags (format 5)
_FURNITURE = 1  # the flag bit of a furniture sentence
_NO_VECTOR = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class PassageRow:
    """One chunk as a writer (or a catch-up from Chroma) hands it to the host's rows."""

    chunk_id: str
    article_id: str
    hash: str
    text: str
    index: int = 0
    start: int = 0
    end: int = 0
    vector: np.ndarray = field(default_factory=lambda: _NO_VECTOR, repr=False)
    sentences: Sentences = field(default_factory=list, repr=False)


def encode(vector: np.ndarray, sentences: Sentences) -> tuple[bytes, bytes]:
    """(the chunk's vector, its sentences: their offsets then their vectors) as blobs."""
    return np.asarray(vector, dtype="<f2").tobytes(), sentences_blob(sentences)


def sentences_blob(sentences: Sentences) -> bytes:
    flags = [(s.start, s.end, _FURNITURE * s.furniture) for s in sentences]
    rows = np.asarray(flags, dtype="<i4").reshape(-1)
    vectors = np.stack([s.vector for s in sentences]).astype("<f2") if sentences else np.zeros(0, dtype="<f2")
    head = np.asarray([len(sentences) | FLAGGED], dtype="<i4")
    return head.tobytes() + rows.tobytes() + vectors.tobytes()


def sentences_field(sentences: Sentences) -> str:
    """A chunk's sentences as its Chroma metadata holds them (base64 of the blob)."""
    return base64.b64encode(sentences_blob(sentences)).decode("ascii")


def from_field(value: object, text: str, base: int) -> Sentences | None:
    """The sentences of a chunk's metadata field (the chunk's `text` starts at `base`);
    None when it has none (format 3 or older)."""
    if not isinstance(value, str):
        return None
    return decode_sentences(base64.b64decode(value), text, base)


def field_flagged(value: object) -> bool:
    """Whether a chunk's metadata field carries its sentences' flags (format 5)."""
    return isinstance(value, str) and blob_flagged(base64.b64decode(value[:8]))


def blob_flagged(blob: bytes) -> bool:
    return len(blob) >= 4 and bool(int(np.frombuffer(blob[:4], dtype="<i4")[0]) & FLAGGED)


def decode_vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f2").astype(np.float32)


def decode_sentences(blob: bytes, text: str, base: int) -> Sentences:
    """The sentences of a blob; one written before the flags (format 4) has them read from
    the chunk's `text` (which starts at `base` in the article)."""
    n, width = _head(blob)
    if n == 0:
        return []
    rows = np.frombuffer(blob[4 : 4 + 4 * width * n], dtype="<i4").reshape(n, width)
    vectors = sentence_vectors(blob).astype(np.float32)
    if width == 2:
        return flagged([(int(s), int(e)) for s, e in rows], vectors, text, base)
    return [
        StoredSentence(int(s), int(e), v, bool(f & _FURNITURE))
        for (s, e, f), v in zip(rows, vectors, strict=True)
    ]


def _head(blob: bytes) -> tuple[int, int]:
    """(sentences, int32 fields per sentence: 3 with flags, 2 before) of a blob."""
    if len(blob) < 4:
        return 0, 2
    head = int(np.frombuffer(blob[:4], dtype="<i4")[0])
    return (head & ~FLAGGED, 3) if head & FLAGGED else (head, 2)


def sentence_vectors(blob: bytes) -> np.ndarray:
    """The sentence vectors of a blob as float16 rows, a view of the blob (nothing decoded
    but the count: a search that only compares vectors skips offsets and flags)."""
    n, width = _head(blob)
    if n == 0:
        return np.zeros((0, 0), dtype="<f2")
    return np.frombuffer(blob, dtype="<f2", offset=4 + 4 * width * n).reshape(n, -1)


def best_similarity(vector: np.ndarray, blob: bytes) -> float | None:
    """The cosine similarity of a unit query vector to a chunk's closest sentence (its
    sentences' blob); None when no sentence vector is stored. The vectors are compared in
    float32, as `decode_sentences` hands them out."""
    rows = sentence_vectors(blob)
    if not len(rows):
        return None
    return float((rows.astype(np.float32) @ vector).max())


def flagged(
    spans: Sequence[tuple[int, int]], vectors: np.ndarray | Sequence[np.ndarray], text: str, base: int
) -> Sentences:
    """A chunk's sentence offsets paired with their vectors and their furniture flags, read
    from `text` (which starts at `base` in the article): the article's whole text when
    known, since a line of the page may be longer than a chunk; none when no vectors were
    made."""
    if not len(vectors):
        return []
    flags = furniture(text, spans, base)
    return [
        StoredSentence(s, e, np.asarray(v, dtype=np.float32), f)
        for (s, e), v, f in zip(spans, vectors, flags, strict=True)
    ]


def flag_chunks(
    spans: Sequence[Sequence[tuple[int, int]]],
    vectors: Sequence[np.ndarray | Sequence[np.ndarray]],
    text: str,
    base: int,
) -> list[Sentences]:
    """`flagged` for each chunk of one article (its spans and vectors), the article's
    `text` read once."""
    flags = iter(furniture(text, [span for chunk in spans for span in chunk], base))
    out = []
    for chunk, vecs in zip(spans, vectors, strict=True):
        mine = [next(flags) for _ in chunk]
        out.append(
            [
                StoredSentence(s, e, np.asarray(v, np.float32), f)
                for (s, e), v, f in zip(chunk, vecs, mine, strict=True)
            ]
            if len(vecs)
            else []
        )
    return out


K = TypeVar("K")


def covered(pieces: Iterable[tuple[K, int, str]]) -> dict[K, tuple[str, int]]:
    """The text that the chunks of each article cover ((article, start, text) of each
    chunk, overlapping or not) and where it starts; a gap (a chunk not read) is line
    breaks, so that no line of the page is made up across it."""
    by: dict[K, list[tuple[int, str]]] = {}
    for key, start, text in pieces:
        by.setdefault(key, []).append((start, text))
    out = {}
    for key, found in by.items():
        found.sort(key=lambda p: p[0])
        base = end = found[0][0]
        parts = []
        for start, text in found:
            if start > end:
                parts.append("\n" * (start - end))
                end = start
            if start + len(text) > end:
                parts.append(text[end - start :])
                end = start + len(text)
        out[key] = ("".join(parts), base)
    return out
