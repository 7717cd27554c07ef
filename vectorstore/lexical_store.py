"""The lexical index's rows: each chunk's words (as `lexical.tokenize` makes them), in a
SQLite file in the data dir, kept per host.

SQLite because an update must cost what changed: a writer inserts its new chunks' rows in
one transaction, and other processes see committed rows at once (WAL mode; readers never
block the writer). Each answering process keeps a BM25 replica in memory
(lexical.LiveLexical) and applies the rows added since it last looked (`rows_since`, by
an increasing sequence number); SQLite's own FTS5 bm25() was measured too slow to rank
at 100k chunks (p50 118 ms against 1.6 ms for bm25s in memory; bench/README.md).

Tables: `chunk` (each row's sequence number, chunk id, article, version, the fields
filters read, and its words), `article` (the version of each article that is visible, a
mirror of the manifest). A writer on this host updates the file as it writes Chroma; a
process that finds it behind the manifest (another host wrote to a Chroma server, or the
store predates it) catches up from Chroma, article by article (catch_up.py).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vectorstore.lexical import tokenize

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 60_000
SCHEMA_VERSION = 2
_GUARDS: dict[str, threading.Lock] = {}  # one per index file and process
_GUARDS_LOCK = threading.Lock()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL,
    hash TEXT NOT NULL, tokens TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunk_article ON chunk(article_id);
CREATE TABLE IF NOT EXISTS article(article_id TEXT PRIMARY KEY, hash TEXT NOT NULL);
"""


@dataclass(frozen=True)
class LexicalRow:
    """One chunk as the lexical index stores it."""

    chunk_id: str
    article_id: str
    hash: str
    text: str


@dataclass(frozen=True)
class StoredRow:
    """A row read back: its sequence number and words."""

    seq: int
    chunk_id: str
    article_id: str
    hash: str
    tokens: list[str]


class LexicalStore:
    """The rows of one SQLite file, updated incrementally; a connection per thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._guard_path = path.with_name(path.name + ".lock")
        self._local = threading.local()
        with _GUARDS_LOCK:
            self._guard_lock = _GUARDS.setdefault(str(path.resolve()), threading.Lock())
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self._db()
        with _Transaction(db):
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                # an older layout: dropped, and rebuilt from the store by catch_up.py
                for table in ("fts", "vocab", "chunk", "article"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _SCHEMA.split(";"):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._local.db = db
        return db

    # -- writing -----------------------------------------------------------------------

    def add(self, rows: Sequence[LexicalRow]) -> None:
        """Index chunks (not yet visible: `publish` makes a version visible). Chunk ids
        name their content, so a chunk already indexed is left as it is."""
        if not rows:
            return
        tokens = [" ".join(tokenize(r.text)) for r in rows]  # outside the transaction
        db = self._db()
        with _Transaction(db):
            for row, text in zip(rows, tokens, strict=True):
                db.execute(
                    "INSERT OR IGNORE INTO chunk(chunk_id, article_id, hash, tokens) VALUES (?, ?, ?, ?)",
                    (row.chunk_id, row.article_id, row.hash, text),
                )

    def publish(self, versions: Iterable[tuple[str, str | None]]) -> None:
        """Make each (article id, hash) the visible version and drop the rows of the version
        visible before (rows of versions being written stay); a hash of None removes the
        article. Callers hold `guard()` from the manifest change (or read) to this call."""
        db = self._db()
        with _Transaction(db):
            for article_id, version in versions:
                row = db.execute("SELECT hash FROM article WHERE article_id = ?", (article_id,)).fetchone()
                if row is not None and row[0] != version:
                    db.execute("DELETE FROM chunk WHERE article_id = ? AND hash = ?", (article_id, row[0]))
                if version is None:
                    db.execute("DELETE FROM article WHERE article_id = ?", (article_id,))
                else:
                    db.execute("INSERT OR REPLACE INTO article VALUES (?, ?)", (article_id, version))

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Exclusive on this host (threads and processes) while the manifest and this index
        are brought to the same version: a writer between its manifest flip and `publish`,
        a reader catching up between its manifest read and `publish`. Without it a reader
        that read the manifest just before a flip could publish the old version after it."""
        with self._guard_lock:
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
        rows = self._db().execute(
            "SELECT seq, chunk_id, article_id, hash, tokens FROM chunk WHERE seq > ? ORDER BY seq", (seq,)
        )
        return [StoredRow(q, c, a, h, t.split()) for q, c, a, h, t in rows]

    def iter_rows(self) -> Iterator[StoredRow]:
        """Every row, in order, streamed (one row's words in memory at a time)."""
        db = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000)  # its own read snapshot
        try:
            for q, c, a, h, t in db.execute(
                "SELECT seq, chunk_id, article_id, hash, tokens FROM chunk ORDER BY seq"
            ):
                yield StoredRow(q, c, a, h, t.split())
        finally:
            db.close()

    def __len__(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM chunk").fetchone()[0])


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
