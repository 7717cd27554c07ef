"""Votes on answers (👍/👎), kept in SQLite in the data folder so they survive restarts."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from common import sqlite

Vote = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    message_id INTEGER PRIMARY KEY,
    guild_id INTEGER,
    channel_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    article_ids TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    message_id INTEGER NOT NULL REFERENCES answers(message_id),
    user_id INTEGER NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    voted_at TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
"""


@dataclass(frozen=True)
class FeedbackRow:
    message_id: int
    guild_id: int | None
    channel_id: int | None
    question: str
    answer: str
    article_ids: list[str]
    user_id: int
    vote: Vote
    voted_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite.connect(self._path)
            try:
                with db:
                    yield db
            finally:
                db.close()

    def record_answer(
        self,
        message_id: int,
        guild_id: int | None,
        channel_id: int | None,
        question: str,
        answer: str,
        article_ids: list[str],
    ) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message_id, guild_id, channel_id, question, answer, json.dumps(article_ids), _now()),
            )

    def vote(self, message_id: int, user_id: int, vote: Vote) -> bool:
        """Store (or change) a user's vote; False when the message is not a known answer."""
        with self._connect() as db:
            known = db.execute("SELECT 1 FROM answers WHERE message_id = ?", (message_id,)).fetchone()
            if not known:
                return False
            db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?)", (message_id, user_id, vote, _now())
            )
            return True

    def rows(self) -> list[FeedbackRow]:
        with self._connect() as db:
            found = db.execute(
                "SELECT a.message_id, a.guild_id, a.channel_id, a.question, a.answer, a.article_ids,"
                " v.user_id, v.vote, v.voted_at FROM votes v JOIN answers a USING (message_id)"
                " ORDER BY v.voted_at, v.message_id, v.user_id"
            ).fetchall()
        return [FeedbackRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8]) for r in found]

    def export_jsonl(self, out: Path) -> int:
        rows = self.rows()
        with out.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row.__dict__, ensure_ascii=False) + "\n")
        return len(rows)


def feedback_path(data_dir: Path) -> Path:
    return data_dir / "feedback.sqlite3"
