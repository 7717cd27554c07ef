"""BM25 in the memory of each answering process, kept current from the host's lexical rows
(replica/rows.py) by applying the rows added since it last looked.

The bulk is a sparse matrix of BM25 term scores per row (what bm25s precomputes, with its
formula: k1 1.2, b 0.75, Lucene idf; squad-dev rankings are the same as bm25s': recall
and MRR equal to the 4th decimal), built by streaming the rows from SQLite into numpy
arrays: the words themselves are never all in memory (held as Python lists, 100k chunks
took 730 MB). Rows added since are scored here with the same formula and the current
statistics. Rows of versions no longer (or not yet) visible stay until the next rebuild
and are skipped at search time (the caller says which versions are visible). The bulk is
rebuilt when the rows added since reach REBUILD_SHARE of it, so an update costs what
changed and the rare rebuild is paid once per that much change.
"""

from __future__ import annotations

import logging
import math
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterator

import numpy as np
from scipy import sparse

from vectorstore.lexical import tokenize
from vectorstore.replica.rows import ChunkRows, StoredRow

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75
REBUILD_SHARE, REBUILD_MIN = 0.1, 2000  # rows added since the bulk was built

Visible = Callable[[str, str], bool]  # (article id, version) -> searchable now
_DROPPED: list[str] = []  # the words of a row held in the bulk (never changed)


def bm25(idf: np.ndarray, tf: np.ndarray, length: np.ndarray | float, mean: float) -> np.ndarray:
    """bm25s' "lucene" term score: idf * tf / (tf + k1 * (1 - b + b * length / mean))."""
    return np.asarray(idf * tf / (tf + K1 * (1 - B + B * np.asarray(length) / mean)), dtype=np.float32)


class _Bulk:
    """Term scores of many rows as a sparse (rows x words) matrix."""

    def __init__(self, rows: Iterator[StoredRow]) -> None:
        self.rows: list[StoredRow] = []
        self.vocab: dict[str, int] = {}
        doc, term, tf, lengths = array("i"), array("i"), array("f"), array("i")
        for i, row in enumerate(rows):
            for word, count in Counter(row.tokens).items():
                doc.append(i)
                term.append(self.vocab.setdefault(word, len(self.vocab)))
                tf.append(count)
            lengths.append(len(row.tokens))
            self.rows.append(StoredRow(row.seq, row.chunk_id, row.article_id, row.hash, _DROPPED))
        n = max(len(self.rows), 1)
        df = np.bincount(np.asarray(term, dtype=np.int64), minlength=len(self.vocab))
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        docs, terms = np.asarray(doc, dtype=np.int32), np.asarray(term, dtype=np.int32)
        length = np.asarray(lengths, dtype=np.float32)
        self.length = int(length.sum())
        scores = bm25(idf[terms], np.asarray(tf, dtype=np.float32), length[docs], max(self.length / n, 1e-9))
        self.matrix = sparse.csc_matrix((scores, (docs, terms)), shape=(len(self.rows), len(self.vocab)))
        words = list(self.vocab)
        self.doc_freq: Counter[str] = Counter(dict(zip(words, df.tolist(), strict=True)))

    def scores(self, words: list[str]) -> np.ndarray:
        ids = [self.vocab[w] for w in words if w in self.vocab]
        if not ids:
            return np.zeros(len(self.rows), dtype=np.float32)
        return np.asarray(self.matrix[:, ids].sum(axis=1), dtype=np.float32).ravel()


class LiveBM25:
    def __init__(self, rows: ChunkRows) -> None:
        self._rows = rows
        self._lock = threading.Lock()
        self._seq = 0
        self._bulk: _Bulk | None = None
        self._bulk_rows: list[StoredRow] = []
        self._added: list[tuple[StoredRow, Counter[str]]] = []
        self._doc_freq: Counter[str] = Counter()
        self._length = 0  # words over all rows held

    def refresh(self) -> int:
        """Apply the rows added since the last refresh; the number applied."""
        with self._lock:
            if self._bulk is None:  # the first look: every row, streamed into the bulk once
                return self._rebuild()
            rows = self._rows.rows_since(self._seq)
            if not rows:
                return 0
            if len(self._added) + len(rows) > max(REBUILD_MIN, REBUILD_SHARE * len(self._bulk_rows)):
                self._rebuild()
            else:
                for row in rows:
                    self._added.append((row, Counter(row.tokens)))
                    self._count(row)
                self._seq = rows[-1].seq
            return len(rows)

    def _rebuild(self) -> int:
        """The bulk from every row (streamed: see the module docstring); the rows held.
        With no rows at all nothing is built."""
        bulk = _Bulk(self._rows.iter_rows())
        if not bulk.rows:
            return 0
        self._bulk, self._bulk_rows, self._added = bulk, bulk.rows, []
        self._doc_freq, self._length = bulk.doc_freq, bulk.length
        self._seq = max(self._seq, bulk.rows[-1].seq)
        log.info("lexical index rebuilt in memory: %d rows", len(bulk.rows))
        return len(bulk.rows)

    def _count(self, row: StoredRow) -> None:
        self._doc_freq.update(set(row.tokens))
        self._length += len(row.tokens)

    def __len__(self) -> int:
        return len(self._bulk_rows) + len(self._added)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency of a token over the rows held."""
        n, df = max(len(self), 1), self._doc_freq.get(token, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(self, query: str, k: int, visible: Visible) -> list[tuple[StoredRow, float]]:
        """The best k visible rows with a score above zero, best first."""
        words = tokenize(query)
        with self._lock:
            rows = _Rows(self._bulk_rows, [r for r, _ in self._added])
            scores = np.concatenate([self._bulk_scores(words), self._added_scores(words)])
        wide = k * 4
        order = np.argpartition(-scores, wide)[:wide] if len(scores) > wide else None
        out = _take(rows, scores, order, k, visible)
        if len(out) < k and order is not None:  # many invisible or filtered: look at every row
            out = _take(rows, scores, None, k, visible)
        return out

    def _bulk_scores(self, words: list[str]) -> np.ndarray:
        if self._bulk is None:
            return np.zeros(0, dtype=np.float32)
        return self._bulk.scores(words)

    def _added_scores(self, words: list[str]) -> np.ndarray:
        """BM25 of the rows added since the bulk was built, with the current statistics."""
        mean = self._length / max(len(self), 1)
        out = np.zeros(len(self._added), dtype=np.float32)
        for j, (row, tf) in enumerate(self._added):
            hit = [w for w in words if w in tf]
            if hit:
                idf = np.array([self.idf(w) for w in hit], dtype=np.float32)
                counts = np.array([tf[w] for w in hit], dtype=np.float32)
                out[j] = float(bm25(idf, counts, float(len(row.tokens)), mean).sum())
        return out


class _Rows:
    """The bulk's rows then the added ones, by position, without copying the bulk."""

    def __init__(self, bulk: list[StoredRow], added: list[StoredRow]) -> None:
        self._bulk, self._added = bulk, added

    def __getitem__(self, i: int) -> StoredRow:
        return self._bulk[i] if i < len(self._bulk) else self._added[i - len(self._bulk)]


def _take(
    rows: _Rows, scores: np.ndarray, among: np.ndarray | None, k: int, visible: Visible
) -> list[tuple[StoredRow, float]]:
    among = np.arange(len(scores)) if among is None else among
    out: list[tuple[StoredRow, float]] = []
    for i in among[np.argsort(-scores[among], kind="stable")]:
        if scores[i] <= 0 or len(out) == k:
            break
        row = rows[int(i)]
        if visible(row.article_id, row.hash):
            out.append((row, float(scores[i])))
    return out
