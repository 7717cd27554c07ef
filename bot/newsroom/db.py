"""The newsroom's SQLite file in the data dir: routes, channel settings, follows, digests,
the story (event) index, each channel's posts, the delivery ledger (the outbox), the
delivery history (history.py) and the paused feeds (`feed`: JSON [url, scope], as the
ledger's rows name their feed).

Several processes may share it (the bot sends; `newsdesk watch` or the bot plans): WAL
mode, and every change in one `BEGIN IMMEDIATE` transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from common.sqlite import SqliteFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS routes (
    url TEXT NOT NULL, scope TEXT NOT NULL, channel_id INTEGER NOT NULL, role_id INTEGER,
    added_at TEXT NOT NULL, PRIMARY KEY (url, scope, channel_id)
);
CREATE TABLE IF NOT EXISTS channels (
    channel_id INTEGER PRIMARY KEY, include TEXT NOT NULL DEFAULT '[]', exclude TEXT NOT NULL DEFAULT '[]',
    last_post_at TEXT, last_error TEXT, failures INTEGER NOT NULL DEFAULT 0, retry_at TEXT
);
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, user_id INTEGER NOT NULL,
    topic TEXT NOT NULL, channel_id INTEGER, added_at TEXT NOT NULL,
    UNIQUE (scope, user_id, topic, channel_id)
);
CREATE TABLE IF NOT EXISTS digests (
    channel_id INTEGER PRIMARY KEY, scope TEXT NOT NULL, at TEXT NOT NULL, tz TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS arrivals (
    url TEXT NOT NULL, scope TEXT NOT NULL, article_id TEXT NOT NULL, arrived_at TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (url, scope, article_id)
);
CREATE INDEX IF NOT EXISTS arrivals_pending ON arrivals (done);
CREATE TABLE IF NOT EXISTS events (
    article_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, day TEXT NOT NULL, seen_at TEXT NOT NULL,
    title TEXT NOT NULL, url TEXT, source TEXT, scope TEXT NOT NULL, story TEXT NOT NULL,
    names TEXT NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_day ON events (day);
CREATE INDEX IF NOT EXISTS events_event ON events (event_id);
CREATE TABLE IF NOT EXISTS posts (
    channel_id INTEGER NOT NULL, event_id TEXT NOT NULL, state TEXT NOT NULL, message_id INTEGER,
    body TEXT NOT NULL, PRIMARY KEY (channel_id, event_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, target INTEGER NOT NULL,
    target_kind TEXT NOT NULL, kind TEXT NOT NULL, event_id TEXT, feed TEXT, body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', tries INTEGER NOT NULL DEFAULT 0, claimed_by TEXT,
    claimed_until TEXT, created_at TEXT NOT NULL, sent_at TEXT, message_id INTEGER, error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_open ON outbox (state, target, id);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, channel_id INTEGER NOT NULL,
    outcome TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
    url TEXT, scope TEXT, event_id TEXT, article_id TEXT
);
CREATE INDEX IF NOT EXISTS history_channel ON history (channel_id, id);
CREATE TABLE IF NOT EXISTS paused (feed TEXT PRIMARY KEY, since TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS looks (key TEXT PRIMARY KEY, look TEXT NOT NULL);
"""
# columns added since the first version (an older file gets them when opened: SqliteFile)
_COLUMNS = {
    "routes": {
        "backfill": "TEXT",  # what a new route posts of its feed's first poll (backfill.py)
        "primed": "INTEGER NOT NULL DEFAULT 1",  # its feed polled since it was added
        "roles": "TEXT",  # the roles its posts ping: a JSON list (role_id: the first)
    },
    "arrivals": {"backlog": "TEXT"},  # the channels it is backlog for: a JSON list
}


def newsroom_path(data_dir: Path) -> Path:
    return data_dir / "newsroom.sqlite3"


def ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def dt(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


class NewsroomDB(SqliteFile):
    """The newsroom's file (its schema above); safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, synchronous_normal=True, columns=_COLUMNS)
