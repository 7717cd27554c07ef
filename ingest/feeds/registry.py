"""Feed subscriptions and their polling state, in SQLite in the data dir.

One row per (feed URL, scope): the CLI's subscriptions have the global scope, a Discord
server's have the server's id, so the same feed followed by two servers is two rows.
Each row keeps what the next poll needs: the validators of the last answer (ETag,
Last-Modified), when it is due (backing off after failures), and the fingerprints of the
entries already ingested, so that an unchanged entry costs nothing.

Several processes (the bot, `newsdesk watch`) may share the file: SQLite's WAL mode lets
them read while one writes, and a poller claims a due feed (moves its next_due a lease
ahead) in one transaction, so two pollers do not fetch the same feed at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from common.sqlite import SqliteFile
from ingest.errors import SourceError
from vectorstore import GLOBAL_SCOPE

DEFAULT_EVERY_MINUTES = 60
MIN_EVERY_MINUTES = 5
MAX_EVERY_MINUTES = 7 * 24 * 60
MAX_BACKOFF = timedelta(hours=24)
FEED_CLAIM_LEASE = timedelta(minutes=15)  # a poll that takes longer may be started again elsewhere
MAX_FEEDS_PER_SERVER = 25
MAX_URL_CHARS = 2000
MAX_ERROR_CHARS = 300

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT NOT NULL,
    scope TEXT NOT NULL,
    every_minutes INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_poll TEXT,
    last_result TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_due TEXT NOT NULL,
    articles_added INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (url, scope)
);
CREATE TABLE IF NOT EXISTS feed_entries (
    url TEXT NOT NULL,
    scope TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (url, scope, fingerprint)
);
"""
_COLUMNS = (
    "url, scope, every_minutes, added_at, etag, last_modified, last_poll, last_result, last_error,"
    " failures, next_due, articles_added"
)


class FeedError(SourceError):
    """A subscription that cannot be made or found; the text is shown to the user."""


@dataclass(frozen=True)
class Subscription:
    url: str
    scope: str
    every_minutes: int
    added_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    last_poll: datetime | None = None
    last_result: str | None = None
    last_error: str | None = None
    failures: int = 0
    next_due: datetime | None = None
    articles_added: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in self.__dict__.items()
        }


@dataclass(frozen=True)
class PollRecord:
    """What one successful poll changes in its subscription."""

    etag: str | None
    last_modified: str | None
    result: str
    added: int
    fingerprints: frozenset[str] | None  # None: the feed was not modified, keep the old ones


def backoff(every_minutes: int, failures: int) -> timedelta:
    """The wait before the next poll: the feed's interval, doubled by each failure in a row,
    never more than MAX_BACKOFF (nor less than the interval)."""
    every = timedelta(minutes=every_minutes)
    backed_off: timedelta = every * 2 ** min(failures, 20)
    return max(every, min(backed_off, MAX_BACKOFF))


def check_feed_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL_CHARS or parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedError("A feed is an http(s) URL.")
    return url


def check_every(every_minutes: int) -> int:
    if not MIN_EVERY_MINUTES <= every_minutes <= MAX_EVERY_MINUTES:
        raise FeedError(f"Poll every {MIN_EVERY_MINUTES} to {MAX_EVERY_MINUTES} minutes.")
    return every_minutes


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _row(row: tuple[object, ...]) -> Subscription:
    url, scope, every, added, etag, modified, last_poll, result, error, failures, due, added_n = row
    return Subscription(
        url=str(url),
        scope=str(scope),
        every_minutes=int(str(every)),
        added_at=datetime.fromisoformat(str(added)),
        etag=None if etag is None else str(etag),
        last_modified=None if modified is None else str(modified),
        last_poll=_dt(None if last_poll is None else str(last_poll)),
        last_result=None if result is None else str(result),
        last_error=None if error is None else str(error),
        failures=int(str(failures)),
        next_due=_dt(str(due)),
        articles_added=int(str(added_n)),
    )


class FeedRegistry:
    """The subscriptions in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self._file = SqliteFile(path, _SCHEMA)
        self.path = path

    def add(self, url: str, scope: str, every_minutes: int, now: datetime) -> tuple[Subscription, bool]:
        """Subscribe (due at once), or change the interval of an existing subscription.
        Returns the subscription and whether it is new."""
        url, every_minutes = check_feed_url(url), check_every(every_minutes)
        with self._file.write() as db:
            if db.execute("SELECT 1 FROM feeds WHERE url = ? AND scope = ?", (url, scope)).fetchone():
                db.execute(
                    "UPDATE feeds SET every_minutes = ? WHERE url = ? AND scope = ?",
                    (every_minutes, url, scope),
                )
                new = False
            else:
                (count,) = db.execute("SELECT COUNT(*) FROM feeds WHERE scope = ?", (scope,)).fetchone()
                if scope != GLOBAL_SCOPE and count >= MAX_FEEDS_PER_SERVER:
                    raise FeedError(f"This server follows {count} feeds, the most it can; remove one first.")
                db.execute(
                    "INSERT INTO feeds (url, scope, every_minutes, added_at, next_due)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (url, scope, every_minutes, _ts(now), _ts(now)),
                )
                new = True
            return self._get(db, url, scope), new

    def remove(self, url: str, scope: str) -> Subscription:
        with self._file.write() as db:
            subscription = self._find(db, url.strip(), scope)
            if subscription is None:
                raise FeedError("No such feed is followed here (see the feeds list).")
            db.execute("DELETE FROM feeds WHERE url = ? AND scope = ?", (subscription.url, scope))
            db.execute("DELETE FROM feed_entries WHERE url = ? AND scope = ?", (subscription.url, scope))
            return subscription

    def get(self, url: str, scope: str) -> Subscription | None:
        with self._file.write() as db:
            return self._find(db, url.strip(), scope)

    def subscriptions(self, scope: str | None = None) -> list[Subscription]:
        """Every subscription (of one scope, when given), by scope and URL."""
        where, args = ("WHERE scope = ?", (scope,)) if scope is not None else ("", ())
        with self._file.write() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM feeds {where} ORDER BY scope, url", args).fetchall()
        return [_row(r) for r in rows]

    def claim(self, now: datetime, everything: bool = False) -> list[Subscription]:
        """The feeds due at `now` (all of them when `everything`), each claimed for
        FEED_CLAIM_LEASE so that another poller does not fetch it meanwhile."""
        condition, args = ("", ()) if everything else ("WHERE next_due <= ?", (_ts(now),))
        with self._file.write() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM feeds {condition} ORDER BY next_due", args).fetchall()
            db.executemany(
                "UPDATE feeds SET next_due = ? WHERE url = ? AND scope = ?",
                [(_ts(now + FEED_CLAIM_LEASE), r[0], r[1]) for r in rows],
            )
        return [_row(r) for r in rows]

    def fingerprints(self, subscription: Subscription) -> frozenset[str]:
        with self._file.write() as db:
            rows = db.execute(
                "SELECT fingerprint FROM feed_entries WHERE url = ? AND scope = ?",
                (subscription.url, subscription.scope),
            ).fetchall()
        return frozenset(str(r[0]) for r in rows)

    def record_success(self, subscription: Subscription, now: datetime, record: PollRecord) -> None:
        """A poll that read the feed (or was told it had not changed): due again after its
        interval, failures forgotten, the entries now in the feed remembered."""
        due = now + backoff(subscription.every_minutes, 0)
        key = (subscription.url, subscription.scope)
        with self._file.write() as db:
            if self._find(db, *key) is None:  # removed while it was polled
                return
            db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_poll = ?, last_result = ?,"
                " last_error = NULL, failures = 0, next_due = ?, articles_added = articles_added + ?"
                " WHERE url = ? AND scope = ?",
                (record.etag, record.last_modified, _ts(now), record.result, _ts(due), record.added, *key),
            )
            if record.fingerprints is not None:
                db.execute("DELETE FROM feed_entries WHERE url = ? AND scope = ?", key)
                db.executemany(
                    "INSERT INTO feed_entries VALUES (?, ?, ?)", [(*key, f) for f in record.fingerprints]
                )

    def record_failure(self, subscription: Subscription, now: datetime, error: str) -> Subscription | None:
        """A poll that failed: the error kept for `feeds list`, the next poll backed off."""
        key = (subscription.url, subscription.scope)
        with self._file.write() as db:
            current = self._find(db, *key)
            if current is None:  # removed while it was polled
                return None
            failures = current.failures + 1
            due = now + backoff(current.every_minutes, failures)
            db.execute(
                "UPDATE feeds SET last_poll = ?, last_result = 'failed', last_error = ?, failures = ?,"
                " next_due = ? WHERE url = ? AND scope = ?",
                (_ts(now), error[:MAX_ERROR_CHARS], failures, _ts(due), *key),
            )
            return self._get(db, *key)

    def next_due(self) -> datetime | None:
        with self._file.write() as db:
            (due,) = db.execute("SELECT MIN(next_due) FROM feeds").fetchone()
        return _dt(due)

    def _find(self, db: sqlite3.Connection, url: str, scope: str) -> Subscription | None:
        row = db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE url = ? AND scope = ?", (url, scope)).fetchone()
        return None if row is None else _row(row)

    def _get(self, db: sqlite3.Connection, url: str, scope: str) -> Subscription:
        found = self._find(db, url, scope)
        assert found is not None
        return found


def feeds_path(data_dir: Path) -> Path:
    return data_dir / "feeds.sqlite3"
