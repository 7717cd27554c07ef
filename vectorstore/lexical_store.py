"""The lexical index: SQLite FTS5 with its bm25() ranking, in a file in the data dir.

Why FTS5 (stdlib sqlite3) and not an in-memory bm25s index: an update costs what changed
(a writer inserts its new chunks' rows in one transaction; nothing is rebuilt), and other
processes see committed rows at once (WAL mode: readers never block the writer). Memory
of an answering process no longer grows with the store. Texts are stored already
tokenised by `lexical.tokenize` (the stemmed words the answering core also uses), so the
index ranks the same words bm25s did; FTS5's bm25 has the same k1 1.2 and b 0.75, and a
slightly different idf (log((N-n+0.5)/(n+0.5)) against Lucene's log(1+...)).

Tables: `fts` (the tokens, by rowid), `chunk` (each row's chunk id, article, version and
the fields filters read), `article` (the version of each article that is visible, a
mirror of the manifest). Rows of versions not yet (or no longer) named by `article` are
never returned. The file is kept per host: a writer on this host updates it as it writes
Chroma; a process that finds it behind the manifest (another host wrote to a Chroma
server, or the store predates it) catches up from Chroma, article by article (`behind`).
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
_GUARDS: dict[str, threading.Lock] = {}  # one per index file and process
_GUARDS_LOCK = threading.Lock()

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS fts
    USING fts5(tokens, tokenize="unicode61 remove_diacritics 0 tokenchars '_'");
CREATE TABLE IF NOT EXISTS chunk(
    rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL,
    hash TEXT NOT NULL, scope TEXT, source TEXT, date_ts INTEGER);
CREATE INDEX IF NOT EXISTS chunk_article ON chunk(article_id);
CREATE TABLE IF NOT EXISTS article(article_id TEXT PRIMARY KEY, hash TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(fts, 'row');
"""

_SEARCH = """
SELECT c.chunk_id, c.article_id, c.hash, -bm25(fts) AS score
FROM fts JOIN chunk c ON c.rowid = fts.rowid
JOIN article a ON a.article_id = c.article_id AND a.hash = c.hash
WHERE fts MATCH ? {where}
ORDER BY bm25(fts) LIMIT ?
"""


@dataclass(frozen=True)
class LexicalRow:
    """One chunk as the lexical index stores it."""

    chunk_id: str
    article_id: str
    hash: str
    text: str
    scope: str
    source: str | None = None
    date_ts: int | None = None


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: str
    article_id: str
    hash: str
    score: float


@dataclass(frozen=True)
class SqlFilter:
    """A condition on the `chunk` table (alias c), with its parameters."""

    clause: str = ""
    params: tuple[object, ...] = ()


class FtsIndex:
    """BM25 search and incremental updates over one SQLite file; a connection per thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._guard_path = path.with_name(path.name + ".lock")
        self._local = threading.local()
        with _GUARDS_LOCK:
            self._guard_lock = _GUARDS.setdefault(str(path.resolve()), threading.Lock())
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

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
                cur = db.execute(
                    "INSERT OR IGNORE INTO chunk(chunk_id, article_id, hash, scope, source, date_ts) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (row.chunk_id, row.article_id, row.hash, row.scope, row.source, row.date_ts),
                )
                if cur.rowcount:
                    db.execute("INSERT INTO fts(rowid, tokens) VALUES (?, ?)", (cur.lastrowid, text))

    def publish(self, versions: Iterable[tuple[str, str | None]]) -> None:
        """Make each (article id, hash) the visible version and drop the rows of the version
        visible before (rows of versions being written stay); a hash of None removes the
        article. Callers hold `guard()` from the manifest change (or read) to this call."""
        db = self._db()
        with _Transaction(db):
            for article_id, version in versions:
                row = db.execute("SELECT hash FROM article WHERE article_id = ?", (article_id,)).fetchone()
                if row is not None and row[0] != version:
                    old = "SELECT rowid FROM chunk WHERE article_id = ? AND hash = ?"
                    db.execute(f"DELETE FROM fts WHERE rowid IN ({old})", (article_id, row[0]))
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

    def search(self, query: str, k: int, where: SqlFilter | None = None) -> list[LexicalHit]:
        """The best k visible chunks for the words of `query`, best first."""
        words = tokenize(query)
        if not words or k <= 0:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        where = where or SqlFilter()
        sql = _SEARCH.format(where=f"AND ({where.clause})" if where.clause else "")
        rows = self._db().execute(sql, (match, *where.params, k)).fetchall()
        return [LexicalHit(str(c), str(a), str(h), float(s)) for c, a, h, s in rows]

    def doc_freq(self, token: str) -> int:
        row = self._db().execute("SELECT doc FROM vocab WHERE term = ?", (token,)).fetchone()
        return int(row[0]) if row else 0

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
