"""SQLite files in the data dir: `connect`, the one opener every SQLite file of newsdesk is
opened with (WAL mode, how long it waits for another's write, NORMAL sync where a file
asks for it), and `SqliteFile`, a file that threads and processes share: its schema made
once when opened, and every change one `BEGIN IMMEDIATE` transaction (others wait for it,
up to 30 s). The feed registry (ingest/feeds/registry.py) and the newsroom's file
(bot/newsroom/db.py) are such files.

A later version's columns (`columns`: table -> column -> its SQL type and default) are
added to a file an older version made when it is opened (ALTER TABLE ... ADD COLUMN,
in one transaction; a new file gets them the same way): the existing rows take the
column's default, and an older version reading the file ignores them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from common.lock_order import LockRank, ranked

TIMEOUT_S = 30  # how long a connection waits for another's write, unless its file says otherwise


def connect(
    path: Path,
    *,
    timeout_s: float = TIMEOUT_S,
    synchronous_normal: bool = False,
    autocommit: bool = False,
    any_thread: bool = False,
) -> sqlite3.Connection:
    """A connection to the SQLite file at `path`, in WAL mode (readers never block the
    writer). `timeout_s`: how long it waits for another connection's write, also set as
    SQLite's busy timeout. `synchronous_normal`: WAL's NORMAL sync (a power cut may lose the
    last commits, never corrupt). `autocommit`: no implicit transactions (the caller says
    BEGIN). `any_thread`: the connection may be used from another thread than its maker's
    (the caller serialises its use)."""
    db = sqlite3.connect(
        path,
        timeout=timeout_s,
        isolation_level=None if autocommit else "DEFERRED",
        check_same_thread=not any_thread,
    )
    try:
        db.execute("PRAGMA journal_mode=WAL")
        if synchronous_normal:
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
    except BaseException:
        db.close()
        raise
    return db


class SqliteFile:
    """One SQLite file; safe to share between threads and processes. `synchronous_normal`:
    WAL's NORMAL sync for writes (a power cut may lose the last commits, never corrupt)."""

    def __init__(
        self,
        path: Path,
        schema: str,
        synchronous_normal: bool = False,
        columns: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._synchronous_normal = synchronous_normal
        db = connect(path)
        try:
            db.executescript(schema)
        finally:
            db.close()
        if columns:
            with self.write() as conn:
                _add_columns(conn, columns)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that writes (others wait for it); rolled back on an error."""
        with ranked(LockRank.SQLITE), self._lock:
            db = connect(self.path, synchronous_normal=self._synchronous_normal, autocommit=True)
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                db.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        db = connect(self.path)
        try:
            yield db
        finally:
            db.close()


def _add_columns(conn: sqlite3.Connection, columns: Mapping[str, Mapping[str, str]]) -> None:
    for table, wanted in columns.items():
        have = {str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, declaration in wanted.items():
            if name not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
