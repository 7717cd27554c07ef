"""The host's rows of each chunk: its words (as `lexical.tokenize` makes them) for BM25,
and what a question reads back (its text, offsets, vector and its sentences' offsets and
vectors, passages.py), in a SQLite file in the data dir, kept per host. Answering reads
chunks from here and from the chunk index beside it (chunk_index.py), never from Chroma's
vector collections, so that a process answering from a big store does not hold Chroma's
in-memory indexes (bench/README.md).

SQLite because an update must cost what changed: a writer inserts its new chunks' rows in
one transaction, and other processes see committed rows at once (WAL mode; readers never
block the writer). The BM25 replica (bm25.py) maps the segments listed here
(bm25_files.py) and reads the rows after them (by an increasing sequence number); SQLite's
own FTS5 bm25() was measured too slow to rank at 100k chunks (bench/README.md).

Tables: `chunk` (each row's sequence number, chunk id, article, version, its words, and
the passage), `meta` (the last row the chunk index holds; the mirror's marks), `article`
(the version of each article that is visible), `record` and `store_meta` (the manifest's
mirror: mirror.py), `bm25_segment`. A writer on this host updates the file as it writes
Chroma; a process that finds it behind the manifest (another host wrote to a Chroma
server, or the store predates it) catches up from Chroma, article by article (catch_up.py).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from common import sqlite
from common.lock_order import LockRank, ranked, released, taking
from common.per_process import PerProcess
from vectorstore.lexical import tokenize
from vectorstore.models import ArticleRecord
from vectorstore.replica import layout, mirror
from vectorstore.replica.mirror import MirrorState, StoreMeta
from vectorstore.replica.passages import (
    PassageRow,
    Sentences,
    decode_sentences,
    decode_vector,
    encode,
)
from vectorstore.settings import StoreSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 60_000
_GUARDS: PerProcess[str, threading.Lock] = PerProcess()  # one per index file and process


@dataclass(frozen=True)
class SegmentInfo:
    """A BM25 segment as the rows' file lists it: the rows (lo, hi] (bm25_files.py)."""

    name: str
    lo: int
    hi: int
    docs: int
    level: int


@dataclass(frozen=True)
class StoredRow:
    """A row read back: its sequence number and words."""

    seq: int
    chunk_id: str
    article_id: str
    hash: str
    tokens: list[str]


def rows_file(settings: StoreSettings) -> str:
    """The name of this host's rows file for a store (the chunk index is beside it)."""
    name = settings.chroma_collection
    if settings.chroma_host:
        return f"lexical-{settings.chroma_host}-{settings.chroma_port}-{name}.sqlite3"
    return "lexical.sqlite3" if name == "newsdesk" else f"lexical-{name}.sqlite3"


class ChunkRows:
    """The rows of one SQLite file, updated incrementally; a connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._guard_path = path.with_name(path.name + ".lock")
        self._local = threading.local()
        self._guard_lock = _GUARDS.get(str(path.resolve()), threading.Lock)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self._db()
        if layout.current(db):
            return  # nothing to write: a reader opens the file without the write lock
        with _Transaction(db):
            layout.bring_up(db)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite.connect(
                self.path, timeout_s=BUSY_TIMEOUT_MS / 1000, synchronous_normal=True, autocommit=True
            )
            self._local.db = db
        return db

    # -- writing -----------------------------------------------------------------------

    def add(self, rows: Sequence[PassageRow]) -> None:
        """Index chunks (not yet visible: `publish` makes a version visible). Chunk ids
        name their content, so a chunk already indexed is left as it is."""
        if not rows:
            return
        values = [  # tokenised and encoded outside the transaction
            (
                r.chunk_id,
                r.article_id,
                r.hash,
                " ".join(tokenize(r.text)),
                r.index,
                r.start,
                r.end,
                r.text,
                *encode(r.vector, r.sentences),
            )
            for r in rows
        ]
        db = self._db()
        with _Transaction(db):
            db.executemany(
                "INSERT OR IGNORE INTO chunk(chunk_id, article_id, hash, tokens, idx, start, end, text,"
                " vector, sentences) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )

    def publish(
        self,
        versions: Iterable[tuple[str, str | None]],
        sweep: bool = False,
        records: Mapping[str, ArticleRecord] | None = None,
    ) -> None:
        """Make each (article id, hash) the visible version and drop the rows of the version
        visible before (rows of versions being written stay); a hash of None removes the
        article. The store's writer (`sweep`) drops every other version's rows: those a
        killed run left behind, never published. Callers hold `guard()` from the manifest
        change (or read) to this call. With `records` (the manifest's records of these
        articles, as written), the manifest's mirror follows in the same transaction
        (mirror.py); without, the mirror no longer counts as current."""
        versions = list(versions)
        db = self._db()
        with _Transaction(db):
            for article_id, version in versions:
                row = db.execute("SELECT hash FROM article WHERE article_id = ?", (article_id,)).fetchone()
                if sweep:
                    others = "DELETE FROM chunk WHERE article_id = ? AND hash IS NOT ?"
                    db.execute(others, (article_id, version))
                elif row is not None and row[0] != version:
                    db.execute("DELETE FROM chunk WHERE article_id = ? AND hash = ?", (article_id, row[0]))
                if version is None:
                    db.execute("DELETE FROM article WHERE article_id = ?", (article_id,))
                else:
                    db.execute("INSERT OR REPLACE INTO article VALUES (?, ?)", (article_id, version))
            if records is not None:
                mirror.update(db, {a: records[a] if v is not None else None for a, v in versions})

    # -- the manifest's mirror (mirror.py) ------------------------------------------------------

    def mark_pending(self) -> None:
        """Before a change of the manifest, under `guard()`: the mirror is not current
        until the publish that follows it."""
        db = self._db()
        with _Transaction(db):
            mirror.mark_pending(db)

    def mirror_all(self, records: Mapping[str, ArticleRecord], store: StoreMeta) -> None:
        """The whole manifest copied into the mirror; under `guard()`."""
        db = self._db()
        with _Transaction(db):
            mirror.replace_all(db, records, store)

    def mirror_state(self) -> MirrorState:
        return self.mirrored(None)[0]

    def mirrored(self, since: int | None) -> tuple[MirrorState, dict[str, str], list[str]]:
        """(the mirror's state, records changed since version `since` as JSON
        (mirror.Records decodes them), ids removed since; none for None), read in one
        transaction."""
        db = self._db()
        db.execute("BEGIN")
        try:
            now = mirror.state(db)
            fetch = now.current and since is not None
            changed, removed = mirror.records_since(db, since or 0) if fetch else ({}, [])
        finally:
            db.execute("COMMIT")
        return now, changed, removed

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Exclusive on this host (threads and processes) while the manifest and this index
        are brought to the same version: a writer between its manifest flip and `publish`,
        a reader catching up between its manifest read and `publish`. Without it a reader
        that read the manifest just before a flip could publish the old version after it."""
        with ranked(LockRank.ROWS_GUARD), self._guard_lock:
            fd = os.open(self._guard_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock

    # -- reading -----------------------------------------------------------------------

    def versions(self) -> dict[str, str]:
        """The visible version of each indexed article."""
        return dict(self._db().execute("SELECT article_id, hash FROM article").fetchall())

    def behind(self, manifest: dict[str, str]) -> tuple[list[str], list[str]]:
        """Articles to (re)index and articles to remove for this index to match the manifest."""
        mine = self.versions()
        stale = [a for a, h in manifest.items() if mine.get(a) != h]
        gone = [a for a in mine if a not in manifest]
        return stale, gone

    def rows_since(self, seq: int) -> list[StoredRow]:
        """The rows added after sequence number `seq` (0: all), in order."""
        return list(self._stored("seq > ? ORDER BY seq", (seq,)))

    def _stored(self, condition: str, args: tuple[int, ...]) -> Iterator[StoredRow]:
        query = f"SELECT seq, chunk_id, article_id, hash, tokens FROM chunk WHERE {condition}"
        for q, c, a, h, t in self._db().execute(query, args):
            yield StoredRow(q, c, a, h, t.split())

    def __len__(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM chunk").fetchone()[0])

    # -- the BM25 segments' list and their rows (bm25_files.py) ----------------------------------

    def segments(self) -> list[SegmentInfo]:
        rows = self._db().execute("SELECT name, lo, hi, docs, level FROM bm25_segment ORDER BY lo")
        return [SegmentInfo(*row) for row in rows]

    def replace_segments(self, old: Sequence[str], new: SegmentInfo) -> None:
        db = self._db()
        with _Transaction(db):
            db.executemany("DELETE FROM bm25_segment WHERE name = ?", [(n,) for n in old])
            db.execute("INSERT INTO bm25_segment VALUES (?, ?, ?, ?, ?)", astuple(new))

    def seq_after(self, after: int, count: int) -> int | None:
        """The sequence number of the `count`-th row after `after`; None when there are fewer."""
        query = "SELECT seq FROM chunk WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?"
        row = self._db().execute(query, (after, count - 1)).fetchone()
        return None if row is None else int(row[0])

    def rows_between(self, lo: int, hi: int) -> Iterator[StoredRow]:
        """The rows (lo, hi], in order, streamed."""
        return self._stored("seq > ? AND seq <= ? ORDER BY seq", (lo, hi))

    def count_between(self, lo: int, hi: int) -> int:
        query = "SELECT count(*) FROM chunk WHERE seq > ? AND seq <= ?"
        return int(self._db().execute(query, (lo, hi)).fetchone()[0])

    def chunk_ids(self, seqs: Sequence[int]) -> dict[int, str]:
        """The chunk id of each of these rows that still exists."""
        return dict(self._where_in("seq, chunk_id", "seq", seqs))

    # -- passages: what a question reads back (passages.py) -----------------------------------

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, StoredPassage]:
        """The rows of these chunks (their texts, offsets and sentences), by chunk id."""
        return {row[1]: _passage(row) for row in self._where_in(_PASSAGE, "chunk_id", chunk_ids)}

    def passages_at(self, seqs: Sequence[int]) -> list[StoredPassage]:
        """The rows of these sequence numbers (the chunk index's keys) that still exist."""
        return [_passage(row) for row in self._where_in(_PASSAGE, "seq", seqs)]

    def openings(self, versions: Sequence[tuple[str, str]]) -> dict[str, StoredPassage]:
        """The first row of each (article, version), by article id."""
        wanted = dict(versions)
        rows = (_passage(row) for row in self._where_in(_PASSAGE, "article_id", list(wanted), "idx = 0"))
        return {p.article_id: p for p in rows if wanted[p.article_id] == p.hash}

    def sentence_blobs_at(self, seqs: Sequence[int]) -> Iterator[tuple[StoredRow, bytes]]:
        """(the row without its words, its sentences' blob: passages.sentence_vectors) of
        these sequence numbers that still exist: what a dense search compares, no text."""
        for seq, cid, aid, version, blob in self._where_in(
            "seq, chunk_id, article_id, hash, sentences", "seq", seqs
        ):
            yield StoredRow(seq, cid, aid, version, _NO_WORDS), blob

    def owners(self, seqs: Sequence[int]) -> list[tuple[int, str, str]]:
        """(sequence number, article, version) of the rows of these numbers that exist."""
        return list(self._where_in("seq, article_id, hash", "seq", seqs))

    def vectors(
        self, after: int = 0, articles: Sequence[str] | None = None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(sequence number, chunk vector) of the rows after `after`, in order, or of some
        articles'."""
        rows = (
            self._db().execute("SELECT seq, vector FROM chunk WHERE seq > ? ORDER BY seq", (after,))
            if articles is None
            else self._where_in("seq, vector", "article_id", articles)
        )
        for seq, blob in rows:
            yield seq, decode_vector(blob)

    def vector_matrix(self, articles: Sequence[str]) -> tuple[list[int], np.ndarray]:
        """(sequence numbers, their chunk vectors as the rows of one float32 matrix) of
        these articles' rows: the blobs joined and converted at once."""
        seqs: list[int] = []
        blobs: list[bytes] = []
        for seq, blob in self._where_in("seq, vector", "article_id", articles):
            if blob:  # a row written without a vector is found by its words only
                seqs.append(seq)
                blobs.append(blob)
        if not seqs:
            return [], np.zeros((0, 0), dtype=np.float32)
        return seqs, decode_vector(b"".join(blobs)).reshape(len(seqs), -1)

    def _where_in(self, columns: str, key: str, values: Sequence[object], also: str = "1") -> Iterator[Any]:
        """The `columns` of the rows whose `key` is one of `values` (and that meet `also`),
        a bounded IN (...) at a time."""
        for part in _parts(list(values)):
            marks = ",".join("?" * len(part))
            yield from self._db().execute(
                f"SELECT {columns} FROM chunk WHERE {key} IN ({marks}) AND {also}", part
            )

    def last_seq(self) -> int:
        return int(self._db().execute("SELECT coalesce(max(seq), 0) FROM chunk").fetchone()[0])

    def meta(self, key: str) -> int:
        row = self._db().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def set_meta(self, key: str, value: int) -> None:
        self._db().execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


_NO_WORDS: list[str] = []  # a row read for its vectors: its words are not read
_PASSAGE = "seq, chunk_id, article_id, hash, idx, start, end, text, sentences"
_IN_LIMIT = 500  # values bound in one IN (...) clause


@dataclass(frozen=True)
class StoredPassage:
    """A chunk's row read back for a question: its place, text and sentences."""

    seq: int
    chunk_id: str
    article_id: str
    hash: str
    index: int
    start: int
    end: int
    text: str
    sentences: Sentences


def _passage(row: tuple[int, str, str, str, int, int, int, str, bytes]) -> StoredPassage:
    seq, cid, aid, version, index, start, end, text, blob = row
    return StoredPassage(seq, cid, aid, version, index, start, end, text, decode_sentences(blob, text, start))


def _parts(values: list[T]) -> Iterator[list[T]]:
    for first in range(0, len(values), _IN_LIMIT):
        yield values[first : first + _IN_LIMIT]


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        taking(LockRank.SQLITE)
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            released(LockRank.SQLITE)
            raise

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            released(LockRank.SQLITE)
