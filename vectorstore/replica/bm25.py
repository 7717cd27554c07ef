"""BM25 over the host's lexical rows (replica/rows.py): the segments listed in the rows'
file, memory-mapped (bm25_files.py, postings.py), and the rows after the last segment
(the tail, fewer than bm25_files.SEGMENT_ROWS when upkeep keeps up), read from SQLite into memory.
Starting costs what the tail costs, not what the store holds (at 100k chunks the index
had been rebuilt in each process at start: 3-4 s).

The formula is bm25s' "lucene" one (k1 1.2, b 0.75); a word's document frequency, the
number of rows and their mean length are counted over every row held, at search time, so
a row scores the same whichever segment or tail holds it. Rows deleted since a segment was
written stay counted until it is rebuilt (bm25_files.DEAD_SHARE) and are skipped at search
time, as are rows of versions not (or no longer) visible: the caller says which are.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections.abc import Callable

import numpy as np

from vectorstore.lexical import tokenize
from vectorstore.replica import bm25_files
from vectorstore.replica.bm25_files import Bm25Files
from vectorstore.replica.postings import Postings
from vectorstore.replica.rows import ChunkRows, SegmentInfo, StoredRow

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75
TAIL_PIECES = 8  # the tail is held in pieces, one per refresh that found rows, up to this many
Visible = Callable[[str, str], bool]  # (article id, version) -> searchable now
_DROPPED: list[str] = []  # the words of a row found here are not handed back


def bm25(idf: np.ndarray, tf: np.ndarray, length: np.ndarray | float, mean: float) -> np.ndarray:
    """bm25s' "lucene" term score: idf * tf / (tf + k1 * (1 - b + b * length / mean))."""
    return np.asarray(idf * tf / (tf + K1 * (1 - B + B * np.asarray(length) / mean)), dtype=np.float32)


class _Held:
    """What one process holds: the segments' postings then the tail's, in order of rows."""

    def __init__(self, parts: list[Postings]) -> None:
        self.parts = parts
        self.starts = [0]
        for part in parts:
            self.starts.append(self.starts[-1] + len(part))
        self.length = sum(p.length for p in parts)
        self._idf: dict[str, float] = {}

    def __len__(self) -> int:
        return self.starts[-1]

    def doc_freq(self, word: str) -> int:
        return sum(len(found[0]) for p in self.parts if (found := p.lookup(word)) is not None)

    def idf(self, word: str) -> float:
        """Smoothed inverse document frequency over the rows held (remembered)."""
        value = self._idf.get(word)
        if value is None:
            n, df = max(len(self), 1), self.doc_freq(word)
            value = self._idf[word] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return value

    def scores(self, words: list[str]) -> np.ndarray:
        """Each row's BM25 score, the words summed in their order (repeats count again)."""
        out = np.zeros(len(self), dtype=np.float32)
        n = max(len(self), 1)
        mean = max(self.length / n, 1e-9)
        for word in words:
            found = [
                (start, p, hit)
                for start, p in zip(self.starts, self.parts, strict=False)
                if (hit := p.lookup(word)) is not None
            ]
            if not found:
                continue
            df = np.int64(sum(len(docs) for _, _, (docs, _) in found))
            idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
            for start, part, (docs, tf) in found:
                out[start + docs] += bm25(idf, tf, part.doc_len[docs], mean)
        return out

    def row(self, i: int) -> tuple[int, str, str]:
        """(sequence number, article id, version) of the row at position i."""
        k = bisect.bisect_right(self.starts, i) - 1
        part, at = self.parts[k], i - self.starts[k]
        article, version = part.article(at)
        return int(part.seq[at]), article, version


class LiveBM25:
    def __init__(self, rows: ChunkRows) -> None:
        self._rows = rows
        self._files = Bm25Files(rows)
        self._lock = threading.Lock()
        self._mapped: dict[str, Postings] = {}
        self._tail: list[Postings] = []  # the rows after the last segment, in pieces
        self._seq = 0  # the last row held
        self._held = _Held([])

    def refresh(self) -> int:
        """Map the segments listed now and read the rows after them; the number of rows
        newly held. A tail grown past twice SEGMENT_ROWS (rows no upkeep has seen: a
        catch-up's, an older version's) is written as segments first, unless another
        process is at it."""
        with self._lock:
            listed = self._listed()
            last = listed[-1].hi if listed else 0
            before = self._seq
            segments = [self._segment(info) for info in listed]
            fresh = sum(int(np.count_nonzero(p.seq > before)) for p in segments)
            tail = [p for p in self._tail if len(p) and int(p.seq[0]) > last]
            new = self._rows.rows_since(max(last, before))
            if new:
                tail.append(Postings.build(new))
            if len(tail) > TAIL_PIECES:  # one piece again: a word is looked up in each
                tail = [Postings.build(self._rows.rows_between(last, int(tail[-1].seq[-1])))]
            self._mapped = {info.name: part for info, part in zip(listed, segments, strict=True)}
            self._tail = tail
            self._held = _Held(segments + tail)
            self._seq = max(before, last, *(int(p.seq[-1]) for p in tail[-1:]))
            return fresh + len(new)

    def _listed(self) -> list[SegmentInfo]:
        listed = self._rows.segments()
        last = listed[-1].hi if listed else 0
        grown = self._rows.count_between(last, 1 << 62) >= 2 * bm25_files.SEGMENT_ROWS
        if grown and self._files.bring_up(wait=False):
            listed = self._rows.segments()
        return listed

    def _segment(self, info: SegmentInfo) -> Postings:
        """A listed segment, mapped once; one whose file cannot be read is built from its
        rows in memory (and rebuilt on disk by the next upkeep)."""
        mapped = self._mapped.get(info.name)
        if mapped is not None:
            return mapped
        try:
            return Postings.open(self._files.path(info.name))
        except (OSError, ValueError):
            log.warning("BM25 segment %s is unreadable: using its rows", info.name)
            return Postings.build(self._rows.rows_between(info.lo, info.hi))

    def __len__(self) -> int:
        return len(self._held)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency of a token over the rows held."""
        return self._held.idf(token)

    def search(self, query: str, k: int, visible: Visible) -> list[tuple[StoredRow, float]]:
        """The best k visible rows with a score above zero, best first."""
        words = tokenize(query)
        with self._lock:
            held = self._held
        scores = held.scores(words)
        wide = k * 4
        order = np.argpartition(-scores, wide)[:wide] if len(scores) > wide else None
        out = self._take(held, scores, order, k, visible)
        if len(out) < k and order is not None:  # many invisible or filtered: look at every row
            out = self._take(held, scores, None, k, visible)
        return out

    def _take(
        self, held: _Held, scores: np.ndarray, among: np.ndarray | None, k: int, visible: Visible
    ) -> list[tuple[StoredRow, float]]:
        """The best k rows of `among` that are visible and still exist (a row deleted since
        its segment was written is not)."""
        among = np.arange(len(scores)) if among is None else among
        out: list[tuple[StoredRow, float]] = []
        if k <= 0:
            return out
        batch: list[tuple[int, str, str, float]] = []
        for i in among[np.argsort(-scores[among], kind="stable")]:
            if scores[i] <= 0:
                break
            seq, article, version = held.row(int(i))
            if visible(article, version):
                batch.append((seq, article, version, float(scores[i])))
            if len(batch) == k - len(out):
                out += self._existing(batch)
                batch = []
                if len(out) == k:
                    return out
        return out + self._existing(batch)

    def _existing(self, batch: list[tuple[int, str, str, float]]) -> list[tuple[StoredRow, float]]:
        ids = self._rows.chunk_ids([seq for seq, *_ in batch]) if batch else {}
        return [(StoredRow(s, ids[s], a, v, _DROPPED), score) for s, a, v, score in batch if s in ids]
