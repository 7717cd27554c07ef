"""A SQLite file in the data dir that threads and processes share: WAL mode, its schema
made once when opened, and every change one `BEGIN IMMEDIATE` transaction (others wait
for it, up to 30 s). The feed registry (ingest/feeds/registry.py) and the newsroom's file
(bot/newsroom/db.py) are such files."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vectorstore.lock_order import LockRank, ranked

TIMEOUT_S = 30  # how long a connection waits for another's write


class SqliteFile:
    """One SQLite file; safe to share between threads and processes. `synchronous_normal`:
    WAL's NORMAL sync for writes (a power cut may lose the last commits, never corrupt)."""

    def __init__(self, path: Path, schema: str, synchronous_normal: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._synchronous_normal = synchronous_normal
        db = sqlite3.connect(path, timeout=TIMEOUT_S)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(schema)
        finally:
            db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that writes (others wait for it); rolled back on an error."""
        with ranked(LockRank.SQLITE), self._lock:
            db = sqlite3.connect(self.path, timeout=TIMEOUT_S, isolation_level=None)
            try:
                if self._synchronous_normal:
                    db.execute("PRAGMA synchronous=NORMAL")
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
        db = sqlite3.connect(self.path, timeout=TIMEOUT_S)
        try:
            yield db
        finally:
            db.close()
