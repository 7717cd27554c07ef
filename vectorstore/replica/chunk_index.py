"""The host's approximate nearest-neighbour index over chunk vectors (usearch HNSW, int8),
one file beside the host's rows (replica/rows.py), keyed by their sequence numbers.

Why not Chroma's own index: an embedded Chroma loads a collection's whole HNSW index into
the memory of every process that reads it (at 100k chunks: 220 MB for the chunks, 1.0 GB
for the 459k sentence vectors), and reloads it whole after another process writes. This
file holds the chunk vectors quantised to int8 (53 MB at 100k chunks); answering
processes memory-map it (`view`: the pages are the kernel's page cache, shared by every
process on the host, and opening it costs milliseconds), and see a writer's change by
mapping the new file, which the writer puts in place with one rename.

Writers, and processes catching the rows up from Chroma, extend it under the rows' guard
(ChunkRows.guard): the rows after `indexed_seq` (kept in the rows' `meta` table) are
added, and the file is replaced (`catch_up`); `bring_up` does that when the file lags the
rows (a write killed between its rows and its index, a deleted or damaged file). Rows
deleted later stay in the file until it holds REBUILD_DEAD_SHARE more keys than rows;
searches look each key up in the rows and skip what is gone. A missing or unreadable file
is rebuilt from the rows' vectors.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vectorstore.replica.rows import ChunkRows

if TYPE_CHECKING:  # usearch is imported where an index is made or read (its package pulls urllib and tqdm)
    from usearch.index import Index

log = logging.getLogger(__name__)

CONNECTIVITY, EXPANSION_ADD, EXPANSION_SEARCH = 16, 128, 200  # bench/query.py measures recall
PARALLEL_ADD = 5000  # keys added at once from which the graph is built on every core
REBUILD_DEAD_SHARE = 0.25  # keys of deleted rows, as a share of the rows, before a rebuild
INDEXED_KEY = "indexed_seq"
_ADD_STEP = 20_000


def _new(ndim: int) -> Index:
    from usearch.index import Index

    return Index(
        ndim=ndim,
        metric="cos",
        dtype="i8",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


class ChunkIndex:
    """The file's current version, memory-mapped for searches, and its upkeep."""

    def __init__(self, path: Path, rows: ChunkRows) -> None:
        self.path = path
        self._rows = rows
        self._lock = threading.Lock()
        self._view: Index | None = None
        self._stamp: tuple[int, int, int] | None = None
        self.damaged = False  # the file could not be read: the next catch-up rebuilds it
        self.missing = False  # no file at the last search

    # -- answering -----------------------------------------------------------------------------

    def search(self, vector: np.ndarray, count: int) -> list[tuple[int, float]]:
        """(row sequence number, cosine similarity) of the nearest `count` chunk vectors."""
        view = self._current()
        if view is None or len(view) == 0 or count <= 0:
            return []
        found = view.search(np.asarray(vector, dtype=np.float32), min(count, len(view)))
        return [(int(k), 1.0 - float(d)) for k, d in zip(found.keys, found.distances, strict=True)]

    def _current(self) -> Index | None:
        """The mapped file, mapped again when a writer has replaced it."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:  # deleted: what is mapped still serves until it is rebuilt
            self.missing = True
            return self._view
        self.missing = False
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._view = _restore(self.path, view=True)
                except Exception:  # a damaged file: searched without it until rebuilt
                    log.exception("cannot map the chunk index %s", self.path)
                    self._view, self.damaged = None, True
                self._stamp = stamp
            return self._view

    # -- upkeep ------------------------------------------------------------------------------

    def lags(self) -> bool:
        """True when rows were added since the file was written, or it is damaged or gone."""
        rows = self._rows
        if self.damaged or rows.meta(INDEXED_KEY) < rows.last_seq():
            return True
        return not self.path.exists() and len(rows) > 0

    def bring_up(self) -> int:
        """Catch the file up with the rows when it lags them, under the rows' guard; the
        number of rows added."""
        if not self.lags():
            return 0
        with self._rows.guard():
            return self.catch_up()

    def catch_up(self) -> int:
        """Add the rows added since the file was last written (all of them when it is
        missing, unreadable or holds too many deleted keys); the number added. The caller
        holds the rows' guard."""
        rows = self._rows
        last = rows.last_seq()
        indexed = rows.meta(INDEXED_KEY)
        if indexed and last <= indexed and self.path.exists() and not self.damaged:
            return 0
        index = self._load() if indexed else None
        if index is not None and len(index) > len(rows) * (1 + REBUILD_DEAD_SHARE) + 100:
            log.info("chunk index %s: rebuilding without %d deleted rows", self.path, len(index) - len(rows))
            index = None
        index, added = self._extend(index, 0 if index is None else indexed)
        if index is not None:
            self._save(index)
        rows.set_meta(INDEXED_KEY, last)
        return added

    def _extend(self, index: Index | None, after: int) -> tuple[Index | None, int]:
        """The index with the rows after sequence number `after` added, a step at a time."""
        added = 0
        batch: list[tuple[int, np.ndarray]] = []
        for seq, vector in self._rows.vectors(after=after):
            if not len(vector):  # a row written without a vector: found by its words only
                continue
            batch.append((seq, vector))
            if len(batch) == _ADD_STEP:
                index, added = _add(index, batch), added + len(batch)
                batch = []
        if batch:
            index, added = _add(index, batch), added + len(batch)
        return index, added

    def _load(self) -> Index | None:
        try:
            return _restore(self.path, view=False) if self.path.exists() else None
        except Exception:
            log.exception("cannot read the chunk index %s; rebuilding it from the rows", self.path)
            return None

    def _save(self, index: Index) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        index.save(str(tmp))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)  # on disk before it replaces the old file: a power cut leaves one of them
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        self.damaged = False


def _restore(path: Path, view: bool) -> Index:
    """The file, loaded or mapped, with the search and build settings (the file keeps only
    its graph)."""
    from usearch.index import Index

    index = Index.restore(
        str(path), view=view, expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH
    )
    if index is None:
        raise ValueError(f"{path} is not a usearch index")
    return index


def _add(index: Index | None, batch: list[tuple[int, np.ndarray]]) -> Index:
    vectors = np.stack([v for _, v in batch])
    index = index if index is not None else _new(int(vectors.shape[1]))
    keys = np.asarray([s for s, _ in batch], dtype=np.uint64)
    fresh = ~np.asarray(index.contains(keys), dtype=bool).reshape(-1)
    if fresh.any():
        # one thread builds the same graph every time (reproducible rankings); many only pay off for a rebuild
        threads = (os.cpu_count() or 1) if fresh.sum() >= PARALLEL_ADD else 1
        index.add(keys[fresh], vectors[fresh], threads=threads)
    return index
