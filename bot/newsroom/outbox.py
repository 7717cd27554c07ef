"""The delivery ledger: every message the newsroom will send, recorded before it is sent.

Exactly once, across kill -9 and restarts:
1. Planning writes each delivery (a post, an edit, an update in a story's thread, the
   "and 37 more stories" line, a direct message, a digest) as a row with a unique key, in
   the same transaction that marks its cause handled: planning again adds nothing.
2. A sender claims rows for a lease (CLAIM_LEASE; a dead claimer's rows on this host are
   taken over at once), then records its intent (`begin`: tries + 1) before the request.
3. The request carries the row's nonce (Discord's `nonce` + `enforce_nonce`: a repeat
   within minutes returns the first message instead of a second one).
4. The message id is recorded (`sent`). A row found with tries > 0 was perhaps sent by a
   process that died before step 4: the sender first looks for its message among the
   target's recent messages (by its marker: the article's link, or the digest's footer),
   and records that one instead of sending again.

A target that refuses the bot (403, unknown channel, closed DMs) is blocked: its error is
kept for `/feeds list`, and it is tried again after BLOCK_BACKOFF, doubled per failure up
to MAX_BLOCK, never in a loop. Edits are idempotent (they render the post's current
state), so they are simply done again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.newsroom.cleanup import GONE_AFTER, forget_target, forget_unsent_posts
from bot.newsroom.db import NewsroomDB, dt, ts
from bot.newsroom.history import SENT, Entry, Outcome, feed_of, record
from bot.newsroom.history import prune as prune_history
from bot.newsroom.messages import Body, PostState

log = logging.getLogger(__name__)
Kind = Literal["post", "edit", "update", "more", "dm", "digest", "test"]
TargetKind = Literal["channel", "user"]
CLAIM_LEASE = timedelta(minutes=2)
BLOCK_BACKOFF = timedelta(minutes=5)
MAX_BLOCK = timedelta(hours=24)
CLAIM_PER_TARGET = 25
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class Delivery:
    id: int
    key: str
    target: int
    target_kind: TargetKind
    kind: Kind
    event_id: str | None
    body: Body
    tries: int
    created_at: datetime
    feed: str | None = None  # JSON [url, scope] of the feed it is from

    def entry(self, outcome: Outcome, reason: str, now: datetime) -> Entry:
        """Its line in the delivery history."""
        card = self.body.card
        url, scope = feed_of(self.feed)
        title = card.title if card else self.body.heading or ""
        article = card.article_id if card else None
        return Entry(now, self.target, outcome, title, reason, url, scope, self.event_id, article)

    @property
    def nonce(self) -> str:
        """At most 25 characters, as Discord allows."""
        return f"newsdesk-{self.id}"


@dataclass(frozen=True)
class Posted:
    """A post's state and its message, for an edit or an update in its thread."""

    state: PostState
    message_id: int | None
    dropped: bool = False  # never sent and never will be (its delivery was dropped)


def backoff(failures: int) -> timedelta:
    doubled: timedelta = BLOCK_BACKOFF * 2 ** min(max(failures - 1, 0), 20)
    return min(doubled, MAX_BLOCK)


def claimer_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _free(claimer: str | None, me: str) -> bool:
    """Unclaimed, claimed by this sender (a round that gave up), or by a process of this
    host that is gone (killed, restarted): its lease need not run out."""
    if not claimer or claimer == me:
        return True
    host, _, rest = claimer.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def enqueue(
    conn: sqlite3.Connection,
    key: str,
    target: tuple[int, TargetKind],
    kind: Kind,
    body: Body,
    now: datetime,
    event_id: str | None = None,
    feed: tuple[str, str] | None = None,
    revive: bool = False,
) -> bool:
    """Record a delivery (once per key); True when it is new, or, with `revive`, when the
    same delivery had been dropped unsent (its feed was removed, another feed brings the
    same article) and is due again."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO outbox (key, target, target_kind, kind, event_id, feed, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            key,
            target[0],
            target[1],
            kind,
            event_id,
            json.dumps(list(feed)) if feed else None,
            body.model_dump_json(),
            ts(now),
        ),
    )
    if cursor.rowcount > 0 or not revive:
        return cursor.rowcount > 0
    revived = conn.execute(
        "UPDATE outbox SET state = 'pending', tries = 0, error = NULL, claimed_by = NULL"
        " WHERE key = ? AND state = 'dropped' AND message_id IS NULL",
        (key,),
    )
    return revived.rowcount > 0


def pending_edit(conn: sqlite3.Connection, channel_id: int, event_id: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM outbox WHERE kind = 'edit' AND target = ? AND event_id = ? AND state = 'pending'"
        " AND claimed_by IS NULL",
        (channel_id, event_id),
    ).fetchone()
    return row is not None


def post_state(conn: sqlite3.Connection, channel_id: int, event_id: str) -> tuple[str, PostState] | None:
    """A story's post in a channel: "post" or "summary" (only listed in a "more" line), and its state."""
    row = conn.execute(
        "SELECT state, body FROM posts WHERE channel_id = ? AND event_id = ?", (channel_id, event_id)
    ).fetchone()
    return None if row is None else (str(row[0]), PostState.model_validate_json(str(row[1])))


def save_post(conn: sqlite3.Connection, channel_id: int, event_id: str, kind: str, state: PostState) -> None:
    conn.execute(
        "INSERT INTO posts (channel_id, event_id, state, body) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (channel_id, event_id) DO UPDATE SET state = excluded.state, body = excluded.body",
        (channel_id, event_id, kind, state.model_dump_json()),
    )


def unsent_more(conn: sqlite3.Connection, channel_id: int) -> tuple[int, Body] | None:
    """The channel's "more" line still to be sent (not claimed, never tried): its id and body."""
    row = conn.execute(
        "SELECT id, body FROM outbox WHERE target = ? AND kind = 'more' AND state = 'pending'"
        " AND tries = 0 AND claimed_by IS NULL ORDER BY id DESC LIMIT 1",
        (channel_id,),
    ).fetchone()
    return None if row is None else (int(row[0]), Body.model_validate_json(str(row[1])))


def rewrite(conn: sqlite3.Connection, delivery_id: int, body: Body) -> None:
    """A delivery not yet sent says `body` instead."""
    conn.execute("UPDATE outbox SET body = ? WHERE id = ?", (body.model_dump_json(), delivery_id))


_KINDS: dict[str, Kind] = {k: k for k in ("post", "edit", "update", "more", "dm", "digest", "test")}
_ROW = "id, key, target, target_kind, kind, event_id, body, tries, created_at, feed"


def _delivery(row: tuple[object, ...]) -> Delivery:
    id_, key, target, target_kind, kind, event_id, body, tries, created, feed = row
    return Delivery(
        int(str(id_)),
        str(key),
        int(str(target)),
        "user" if target_kind == "user" else "channel",
        _KINDS[str(kind)],
        None if event_id is None else str(event_id),
        Body.model_validate_json(str(body)),
        int(str(tries)),
        dt(created) or datetime.min,
        None if feed is None else str(feed),
    )


class Outbox:
    """The ledger's operations for senders (the bot)."""

    def __init__(self, db: NewsroomDB) -> None:
        self._db = db
        self.me = claimer_id()

    def claim(self, now: datetime, per_target: int = CLAIM_PER_TARGET) -> list[Delivery]:
        """Open deliveries, oldest first, for targets not blocked; each claimed for CLAIM_LEASE."""
        with self._db.write() as conn:
            rows = conn.execute(
                f"SELECT {_ROW}, claimed_by, claimed_until FROM outbox o"
                " WHERE state IN ('pending', 'sending')"
                " AND NOT EXISTS (SELECT 1 FROM channels c WHERE c.channel_id = o.target AND c.retry_at > ?)"
                " AND NOT EXISTS (SELECT 1 FROM paused p WHERE p.feed = o.feed)"
                " ORDER BY target, id",
                (ts(now),),
            ).fetchall()
            taken: list[Delivery] = []
            counts: dict[int, int] = {}
            for row in rows:
                claimer, until = row[-2], row[-1]
                free = (dt(until) or now) <= now or _free(None if claimer is None else str(claimer), self.me)
                delivery = _delivery(row[:-2])
                if not free or counts.get(delivery.target, 0) >= per_target:
                    counts[delivery.target] = per_target  # keep a target's order: stop at a busy row
                    continue
                counts[delivery.target] = counts.get(delivery.target, 0) + 1
                taken.append(delivery)
            conn.executemany(
                "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                [(self.me, ts(now + CLAIM_LEASE), d.id) for d in taken],
            )
        return sorted(taken, key=lambda d: d.id)

    def begin(self, delivery: Delivery) -> None:
        """The intent, recorded before the request: a later claimer will look for it first."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'sending', tries = tries + 1 WHERE id = ?", (delivery.id,)
            )

    def sent(self, delivery: Delivery, message_id: int, now: datetime) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, claimed_by = NULL,"
                " error = NULL WHERE id = ?",
                (message_id, ts(now), delivery.id),
            )
            if delivery.kind == "post" and delivery.event_id is not None:
                conn.execute(
                    "UPDATE posts SET message_id = ? WHERE channel_id = ? AND event_id = ?",
                    (message_id, delivery.target, delivery.event_id),
                )
            record(conn, delivery.entry(SENT[delivery.kind], "", now))
            conn.execute("INSERT OR IGNORE INTO channels (channel_id) VALUES (?)", (delivery.target,))
            conn.execute(
                "UPDATE channels SET last_post_at = ?, last_error = NULL, failures = 0, retry_at = NULL"
                " WHERE channel_id = ?",
                (ts(now), delivery.target),
            )

    def release(self, deliveries: list[Delivery]) -> None:
        """Give back claimed rows not sent (the next round takes them)."""
        with self._db.write() as conn:
            conn.executemany(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND state != 'sent'",
                [(d.id,) for d in deliveries],
            )

    def drop(self, delivery: Delivery, error: str, now: datetime) -> None:
        """A delivery that can never be made (its post is gone, Discord refuses its form)."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'dropped', error = ?, claimed_by = NULL WHERE id = ?",
                (error[:MAX_ERROR_CHARS], delivery.id),
            )
            record(conn, delivery.entry("dropped", error, now))
            forget_unsent_posts(conn)

    def block(
        self, target: int, error: str, now: datetime, gone: bool = False, delivery: Delivery | None = None
    ) -> datetime:
        """The target refuses the bot (at `delivery`): back off (doubling), keep the error;
        returns when it is tried again. Its claimed rows are released. A target `gone`
        (unknown channel or member) GONE_AFTER times in a row is forgotten
        (cleanup.forget_target)."""
        with self._db.write() as conn:
            refused = Entry(now, target, "refused", "", error)
            record(conn, delivery.entry("refused", error, now) if delivery else refused)
            conn.execute("INSERT OR IGNORE INTO channels (channel_id) VALUES (?)", (target,))
            (failures,) = conn.execute(
                "SELECT failures FROM channels WHERE channel_id = ?", (target,)
            ).fetchone()
            retry = now + backoff(int(failures) + 1)
            conn.execute(
                "UPDATE channels SET last_error = ?, failures = failures + 1, retry_at = ?"
                " WHERE channel_id = ?",
                (error[:MAX_ERROR_CHARS], ts(retry), target),
            )
            conn.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
                " WHERE target = ? AND state != 'sent'",
                (target,),
            )
            if gone and int(failures) + 1 >= GONE_AFTER:
                removed = forget_target(conn, target)
                log.warning("newsroom: %s stays gone: %d settings of it removed", target, removed)
        return retry

    def posted(self, channel_id: int, event_id: str) -> Posted | None:
        """A story's post in a channel; `dropped` when it has no message and no open delivery."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT body, message_id FROM posts WHERE channel_id = ? AND event_id = ? AND state = 'post'",
                (channel_id, event_id),
            ).fetchone()
            if row is None:
                return None
            message_id = None if row[1] is None else int(row[1])
            waiting = (
                message_id is None
                and conn.execute(
                    "SELECT 1 FROM outbox WHERE kind = 'post' AND target = ? AND event_id = ?"
                    " AND state IN ('pending', 'sending')",
                    (channel_id, event_id),
                ).fetchone()
                is not None
            )
        state = PostState.model_validate_json(str(row[0]))
        return Posted(state, message_id, dropped=message_id is None and not waiting)

    def story_articles(self, channel_id: int, message_id: int) -> list[str]:
        """The articles of the story whose post is this message (a story's thread has the
        post's id), first report first; [] for any other message."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT body FROM posts WHERE channel_id = ? AND message_id = ? AND state = 'post'",
                (channel_id, message_id),
            ).fetchone()
        return [] if row is None else PostState.model_validate_json(str(row[0])).articles

    def thread_started(self, channel_id: int, event_id: str) -> None:
        self._mark(channel_id, event_id, thread=True)

    def thread_gone(self, channel_id: int, event_id: str) -> None:
        """Its thread was deleted or locked: the story's updates go to the channel."""
        self._mark(channel_id, event_id, thread_gone=True)

    def _mark(self, channel_id: int, event_id: str, **fields: bool) -> None:
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT body FROM posts WHERE channel_id = ? AND event_id = ?", (channel_id, event_id)
            ).fetchone()
            if row is not None:
                state = PostState.model_validate_json(str(row[0])).model_copy(update=fields)
                conn.execute(
                    "UPDATE posts SET body = ? WHERE channel_id = ? AND event_id = ?",
                    (state.model_dump_json(), channel_id, event_id),
                )

    def prune(self, before: datetime) -> None:
        """Forget deliveries done (sent or dropped) and arrivals handled before `before`."""
        with self._db.write() as conn:
            done = ("sent", "dropped", ts(before))
            conn.execute("DELETE FROM outbox WHERE state IN (?, ?) AND created_at < ?", done)
            conn.execute("DELETE FROM arrivals WHERE done = 1 AND arrived_at < ?", (ts(before),))
            prune_history(conn, before)

    def open_count(self) -> int:
        with self._db.read() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')"
            ).fetchone()
        return int(count)
