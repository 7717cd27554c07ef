"""The postings of a run of rows (each word's rows and counts, each row's length and
article), in memory or in a file that answering processes memory-map (bm25_files.py).

A word is found by a 64-bit hash of it (blake2b), in a sorted array: a look-up is one
binary search, and nothing is loaded to open a file. The word itself is kept too and
compared, so two words that share a hash are never confused.

File layout: 8 bytes of magic, a little-endian uint32 header length, the header (JSON:
counts, seq range, each array's offset, dtype and length), then the arrays, each at an
offset that is a multiple of 8. A file is written whole under a temporary name, synced and
renamed into place, so a reader maps either a complete file or none.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.replica.rows import StoredRow

MAGIC = b"NDBM25\x00\x01"
BLOCK_ROWS = 1024  # rows counted at once by a build: its working memory is bounded by them
_ARRAYS = (  # name, dtype
    ("seq", "<i8"),
    ("doc_len", "<f4"),
    ("doc_article", "<i4"),
    ("term_hash", "<u8"),
    ("term_start", "<i8"),
    ("text_start", "<i8"),
    ("text", "u1"),
    ("post_doc", "<i4"),
    ("post_tf", "<f4"),
    ("articles", "u1"),
)


def word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class Postings:
    """Each word's rows (positions here) and counts; each row's sequence number, length
    (in words) and article."""

    def __init__(self, arrays: dict[str, np.ndarray], length: int, keep: Any = None) -> None:
        self._a = arrays
        self.seq: np.ndarray = arrays["seq"]
        self.doc_len: np.ndarray = arrays["doc_len"]
        self.length = length  # words over all rows
        self._keep = keep  # the mapping the arrays are views of
        self._articles: list[tuple[str, str]] | None = None

    def __len__(self) -> int:
        return len(self.seq)

    def lookup(self, word: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(row positions, counts) of a word, or None when no row has it."""
        hashes = self._a["term_hash"]
        key = word_hash(word)
        i = int(np.searchsorted(hashes, np.uint64(key)))
        encoded = word.encode("utf-8")
        text, text_start, term_start = self._a["text"], self._a["text_start"], self._a["term_start"]
        while i < len(hashes) and int(hashes[i]) == key:
            if bytes(text[text_start[i] : text_start[i + 1]]) == encoded:
                a, b = int(term_start[i]), int(term_start[i + 1])
                return self._a["post_doc"][a:b], self._a["post_tf"][a:b]
            i += 1
        return None

    def article(self, position: int) -> tuple[str, str]:
        """(article id, version) of the row at this position."""
        if self._articles is None:
            self._articles = [(a, h) for a, h in json.loads(bytes(self._a["articles"]))]
        return self._articles[int(self._a["doc_article"][position])]

    # -- making them ----------------------------------------------------------------------

    @classmethod
    def build(cls, rows: Iterable[StoredRow], block: int = BLOCK_ROWS) -> Postings:
        """From rows in order of sequence number, streamed: each row's words become word
        numbers as it comes, and each `block` of rows is counted (per row and word, by
        numpy) once it is complete, so that the counting's working memory is bounded by the
        block, not by the rows; what is kept is each block's distinct (row, word) pairs,
        placed in the postings a block at a time at the end."""
        vocab = _Numbers()
        number = vocab.__getitem__
        articles: dict[tuple[str, str], int] = {}
        seqs, lengths, owner = array("q"), array("q"), array("i")
        term, counted = array("q"), _Counted()
        for row in rows:
            term.extend(map(number, row.tokens))
            seqs.append(row.seq)
            lengths.append(len(row.tokens))
            owner.append(articles.setdefault((row.article_id, row.hash), len(articles)))
            if len(lengths) - counted.rows == block:
                counted.add(term, lengths[counted.rows :], len(vocab))
                term = array("q")
        counted.add(term, lengths[counted.rows :], len(vocab))
        words = list(vocab)
        hashes = np.fromiter((word_hash(w) for w in words), dtype=np.uint64, count=len(words))
        order = np.argsort(hashes, kind="stable")  # words that share a hash: compared at look-up
        rank = np.empty(len(words), dtype=np.int32)
        rank[order] = np.arange(len(words), dtype=np.int32)
        term_start, post_doc, post_tf = counted.postings(rank)
        encoded = [words[int(t)].encode("utf-8") for t in order]
        counts = np.frombuffer(lengths, dtype=np.int64) if lengths else np.zeros(0, dtype=np.int64)
        arrays = {
            "seq": np.asarray(seqs, dtype="<i8"),
            "doc_len": counts.astype("<f4"),
            "doc_article": np.asarray(owner, dtype="<i4"),
            "term_hash": hashes[order].astype("<u8"),
            "term_start": term_start,
            "text_start": _starts(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))),
            "text": np.frombuffer(b"".join(encoded), dtype="u1"),
            "post_doc": post_doc,
            "post_tf": post_tf,
            "articles": np.frombuffer(json.dumps(list(articles)).encode("utf-8"), dtype="u1"),
        }
        return cls(arrays, int(counts.sum()))

    def save(self, path: Path) -> None:
        """Written whole under a temporary name, synced, then renamed to `path`."""
        offsets: dict[str, list[Any]] = {}
        position = 0
        for name, dtype in _ARRAYS:
            data = np.ascontiguousarray(self._a[name], dtype=dtype)
            offsets[name] = [position, dtype, len(data)]
            position += _aligned(data.nbytes)
        header = json.dumps({"length": self.length, "arrays": offsets}).encode("utf-8")
        start = _aligned(len(MAGIC) + 4 + len(header))
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(MAGIC + len(header).to_bytes(4, "little") + header)
            for name, dtype in _ARRAYS:
                data = np.ascontiguousarray(self._a[name], dtype=dtype)
                f.seek(start + offsets[name][0])
                f.write(data.tobytes())
            f.truncate(start + position)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def open(cls, path: Path) -> Postings:
        """The file memory-mapped (nothing read until searched); ValueError when it is not
        a complete postings file."""
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if mapped[: len(MAGIC)] != MAGIC:
            raise ValueError(f"{path} is not a postings file")
        size = int.from_bytes(mapped[len(MAGIC) : len(MAGIC) + 4], "little")
        header = json.loads(mapped[len(MAGIC) + 4 : len(MAGIC) + 4 + size])
        start = _aligned(len(MAGIC) + 4 + size)
        arrays = {}
        for name, (offset, dtype, count) in header["arrays"].items():
            if start + offset + count * np.dtype(dtype).itemsize > len(mapped):
                raise ValueError(f"{path} is cut short")
            arrays[name] = np.frombuffer(mapped, dtype=dtype, count=count, offset=start + offset)
        return cls(arrays, int(header["length"]), keep=mapped)


class _Counted:
    """The distinct (row, word number) pairs of the rows counted so far, with how often
    each word is in its row: a block of rows at a time, each block's pairs in order of
    row, then word."""

    def __init__(self) -> None:
        self.rows = 0  # rows counted
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # rows, words, counts

    def add(self, term: array[int], lengths: array[int], vocabulary: int) -> None:
        """Count a block: `term` its rows' word numbers, row after row, `lengths` the
        rows' lengths, every word number below `vocabulary`."""
        if not lengths:
            return
        counts = np.frombuffer(lengths, dtype=np.int64)
        rows_of = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        words_of = np.frombuffer(term, dtype=np.int64) if term else np.zeros(0, dtype=np.int64)
        width = max(vocabulary, 1)
        pairs, tf = np.unique(rows_of * width + words_of, return_counts=True)  # (row, word)
        rows = (pairs // width + self.rows).astype(np.int32)
        self._blocks.append((rows, (pairs % width).astype(np.int32), tf.astype(np.int32)))
        self.rows += len(counts)

    def postings(self, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term_start, post_doc, post_tf): each word's pairs, words in order of `rank`
        (a word number's place), rows ascending within a word. Each block's pairs are
        placed after the same word's pairs of the blocks before it (rows come in order),
        and let go of once placed."""
        per_term = np.zeros(len(rank), dtype=np.int64)
        for _, words, _ in self._blocks:
            per_term += np.bincount(rank[words], minlength=len(rank))
        term_start = _starts(per_term)
        total = int(term_start[-1])
        post_doc, post_tf = np.empty(total, dtype="<i4"), np.empty(total, dtype="<f4")
        cursor = term_start[:-1].copy()  # each word's next place
        while self._blocks:
            rows, words, tf = self._blocks.pop(0)
            terms = rank[words]
            order = np.argsort(terms, kind="stable")  # by word, rows still ascending
            placed = terms[order]
            nth = np.arange(len(placed)) - np.searchsorted(placed, placed, side="left")
            at = cursor[placed] + nth
            post_doc[at], post_tf[at] = rows[order], tf[order]
            cursor += np.bincount(terms, minlength=len(rank))
        return term_start, post_doc, post_tf


class _Numbers(dict[str, int]):
    """Each word's number, in order of first sight (looked up in C: `map(__getitem__)`)."""

    def __missing__(self, word: str) -> int:
        number = self[word] = len(self)
        return number


def _starts(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype="<i8")
    np.cumsum(counts, out=out[1:])
    return out


def _aligned(n: int) -> int:
    return (n + 7) // 8 * 8
