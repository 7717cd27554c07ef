"""What the host's rows keep of a chunk besides its words (replica/rows.py): its place in
the article, its text, its vector and its sentences' offsets and vectors, encoded as
SQLite blobs; and the same sentences as a string in the chunk's Chroma metadata (store
format 4), from which a host's rows are read back.

Vectors are kept as float16: a cosine similarity moves by less than 0.001 (unit vectors
of 384 dimensions), and the rows of a 100k-chunk store stay on disk, not in memory.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

Sentences = list[tuple[int, int, np.ndarray]]  # (start, end, vector) of each sentence, in order
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
    offsets = np.asarray([(s, e) for s, e, _ in sentences], dtype="<i4").reshape(-1)
    vectors = np.stack([v for _, _, v in sentences]).astype("<f2") if sentences else np.zeros(0, dtype="<f2")
    head = np.asarray([len(sentences)], dtype="<i4")
    return head.tobytes() + offsets.tobytes() + vectors.tobytes()


def sentences_field(sentences: Sentences) -> str:
    """A chunk's sentences as its Chroma metadata holds them (base64 of the blob)."""
    return base64.b64encode(sentences_blob(sentences)).decode("ascii")


def from_field(value: object) -> Sentences | None:
    """The sentences of a chunk's metadata field; None when it has none (format 3 or older)."""
    if not isinstance(value, str):
        return None
    return decode_sentences(base64.b64decode(value))


def decode_vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f2").astype(np.float32)


def decode_sentences(blob: bytes) -> Sentences:
    if len(blob) < 4:
        return []
    n = int(np.frombuffer(blob[:4], dtype="<i4")[0])
    if n == 0:
        return []
    offsets = np.frombuffer(blob[4 : 4 + 8 * n], dtype="<i4").reshape(n, 2)
    vectors = np.frombuffer(blob[4 + 8 * n :], dtype="<f2").astype(np.float32).reshape(n, -1)
    return [(int(s), int(e), v) for (s, e), v in zip(offsets, vectors, strict=True)]


def best_similarity(vector: np.ndarray, sentences: Sentences) -> float | None:
    """The cosine similarity of a unit query vector to the closest sentence; None when no
    sentence vector is stored."""
    if not sentences:
        return None
    return float(np.max(np.stack([v for _, _, v in sentences]) @ vector))


def sentence_rows(
    sentences: Sequence[tuple[int, int]], vectors: np.ndarray | Sequence[np.ndarray]
) -> Sentences:
    """A chunk's sentence offsets paired with their vectors (none when none were made)."""
    if not len(vectors):
        return []
    return [(s, e, np.asarray(v, dtype=np.float32)) for (s, e), v in zip(sentences, vectors, strict=True)]
