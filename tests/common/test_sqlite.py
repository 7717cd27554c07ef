"""The one SQLite opener (common/sqlite.py): every file newsdesk keeps in SQLite is opened in
WAL mode with the wait its owner asks for, and SqliteFile's transactions commit or roll back
as one."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.feedback import FeedbackStore
from common import sqlite
from common.sqlite import SqliteFile
from ingest.identity.neardup import StoryIndex


def _journal(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])


def test_connect_opens_in_wal_with_the_wait_asked_for(tmp_path: Path) -> None:
    db = sqlite.connect(tmp_path / "a.sqlite3", timeout_s=2.5, synchronous_normal=True, autocommit=True)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        db.execute("CREATE TABLE t (x)")
        assert not db.in_transaction  # autocommit: no implicit transaction
    finally:
        db.close()


def test_a_connection_for_any_thread_is_usable_from_another(tmp_path: Path) -> None:
    db = sqlite.connect(tmp_path / "b.sqlite3", any_thread=True)
    errors: list[BaseException] = []

    def use() -> None:
        try:
            db.execute("SELECT 1").fetchone()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    db.close()
    assert not errors


def test_the_files_of_every_layer_are_wal(tmp_path: Path) -> None:
    FeedbackStore(tmp_path / "feedback.sqlite3").record_answer(1, None, None, "q", "a", [])
    StoryIndex(tmp_path / "stories.sqlite3").assign([])
    SqliteFile(tmp_path / "file.sqlite3", "CREATE TABLE IF NOT EXISTS t (x);")
    for name in ("feedback.sqlite3", "stories.sqlite3", "file.sqlite3"):
        assert _journal(tmp_path / name) == "wal", name


def test_a_sqlite_file_write_is_one_transaction(tmp_path: Path) -> None:
    file = SqliteFile(tmp_path / "f.sqlite3", "CREATE TABLE IF NOT EXISTS t (x);")
    with pytest.raises(RuntimeError), file.write() as db:
        db.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("stop")
    with file.write() as db:
        db.execute("INSERT INTO t VALUES (2)")
    with file.read() as db:
        assert db.execute("SELECT x FROM t").fetchall() == [(2,)]
