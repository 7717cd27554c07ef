"""The delivery history: what became of each new article for each channel, and of each
message the ledger sent, with the reason (`newsdesk feeds history`, `/feeds history`).

Outcomes:
- posted, edited ("also reported by", "updated"), thread update, listed (a "more" line),
  message (a followed topic's), digest, test (a `/feeds test` post): a message Discord
  accepted, written when it is sent (outbox.py);
- filtered (a channel's words, a paused feed, what a new feed held: backfill.py),
  folded into "more" (over the round's cap): written when the round is planned;
- dropped (Discord refused it for good, with its HTTP status), refused (the channel
  refuses the bot; it is tried again after its back-off): written when it happened.
Kept as long as the ledger keeps its deliveries (service.KEEP).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal

from bot.newsroom.db import NewsroomDB, dt, ts

Outcome = Literal[
    "posted", "edited", "thread update", "listed", "message", "digest", "test",
    "filtered", "folded into more", "dropped", "refused",
]  # fmt: skip
SENT: dict[str, Outcome] = {
    "post": "posted",
    "edit": "edited",
    "update": "thread update",
    "more": "listed",
    "dm": "message",
    "digest": "digest",
    "test": "test",
}
MAX_SHOWN = 200


@dataclass(frozen=True)
class Entry:
    at: datetime
    channel_id: int
    outcome: Outcome
    title: str = ""  # the story's (its article's headline)
    reason: str = ""
    url: str | None = None  # the feed's
    scope: str | None = None
    event_id: str | None = None
    article_id: str | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self) | {"at": self.at.isoformat()}


def record(conn: sqlite3.Connection, entry: Entry) -> None:
    """Add an entry, in the caller's transaction."""
    conn.execute(
        "INSERT INTO history (at, channel_id, outcome, title, reason, url, scope, event_id, article_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ts(entry.at),
            entry.channel_id,
            entry.outcome,
            entry.title[:300],
            entry.reason[:300],
            entry.url,
            entry.scope,
            entry.event_id,
            entry.article_id,
        ),
    )


def feed_of(raw: object) -> tuple[str | None, str | None]:
    """A ledger row's feed (JSON [url, scope]) as (url, scope)."""
    if not raw:
        return None, None
    url, scope = json.loads(str(raw))
    return str(url), str(scope)


def read(
    db: NewsroomDB,
    channels: list[int] | None = None,
    feeds: list[tuple[str, str]] | None = None,
    limit: int = 50,
) -> list[Entry]:
    """The newest entries first, of these channels or feeds (all when None)."""
    clauses: list[str] = []
    args: list[object] = []
    if channels is not None:
        clauses.append(f"channel_id IN ({','.join('?' * len(channels))})" if channels else "0")
        args += channels
    if feeds is not None:
        pairs = " OR ".join("(url = ? AND scope = ?)" for _ in feeds) or "0"
        clauses.append(f"({pairs})")
        args += [v for feed in feeds for v in feed]
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with db.read() as conn:
        rows = conn.execute(
            "SELECT at, channel_id, outcome, title, reason, url, scope, event_id, article_id FROM history"
            f" {where} ORDER BY id DESC LIMIT ?",
            [*args, min(limit, MAX_SHOWN)],
        ).fetchall()
    return [
        Entry(dt(at) or datetime.min, int(c), o, str(t), str(r), u, s, e, a)
        for at, c, o, t, r, u, s, e, a in rows
    ]


def prune(conn: sqlite3.Connection, before: datetime) -> None:
    conn.execute("DELETE FROM history WHERE at < ?", (ts(before),))
