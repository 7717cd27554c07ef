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
    def build(cls, rows: Iterable[StoredRow]) -> Postings:
        """From rows in order of sequence number (streamed: each row's words become word
        numbers as it comes; the counts per row and word are made at once, by numpy)."""
        vocab = _Numbers()
        number = vocab.__getitem__
        articles: dict[tuple[str, str], int] = {}
        term, seqs, lengths, owner = array("q"), array("q"), array("q"), array("i")
        for row in rows:
            term.extend(map(number, row.tokens))
            seqs.append(row.seq)
            lengths.append(len(row.tokens))
            owner.append(articles.setdefault((row.article_id, row.hash), len(articles)))
        counts = np.frombuffer(lengths, dtype=np.int64) if lengths else np.zeros(0, dtype=np.int64)
        rows_of = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        words_of = np.frombuffer(term, dtype=np.int64) if term else np.zeros(0, dtype=np.int64)
        pairs, tf = np.unique(rows_of * max(len(vocab), 1) + words_of, return_counts=True)  # (row, word)
        words = list(vocab)
        hashes = np.fromiter((word_hash(w) for w in words), dtype=np.uint64, count=len(words))
        order = np.argsort(hashes, kind="stable")  # words that share a hash: compared at look-up
        rank = np.empty(len(words), dtype=np.int64)
        rank[order] = np.arange(len(words))
        terms = rank[pairs % max(len(vocab), 1)]
        docs = (pairs // max(len(vocab), 1)).astype(np.int32)
        by_term = np.lexsort((docs, terms))
        encoded = [words[int(t)].encode("utf-8") for t in order]
        arrays = {
            "seq": np.asarray(seqs, dtype="<i8"),
            "doc_len": counts.astype("<f4"),
            "doc_article": np.asarray(owner, dtype="<i4"),
            "term_hash": hashes[order].astype("<u8"),
            "term_start": _starts(np.bincount(terms, minlength=len(words))),
            "text_start": _starts(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))),
            "text": np.frombuffer(b"".join(encoded), dtype="u1"),
            "post_doc": docs[by_term].astype("<i4"),
            "post_tf": tf[by_term].astype("<f4"),
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
