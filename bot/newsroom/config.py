"""What admins and members set: feeds routed to channels (with an opt-in role to ping),
each channel's include/exclude words, topics members follow, daily digests."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.newsroom.cleanup import forget_unsent_posts
from bot.newsroom.db import NewsroomDB, dt, ts
from vectorstore.errors import NewsdeskError

MAX_WORDS = 20  # include/exclude entries per channel
MAX_WORD_CHARS = 60
MAX_TOPIC_CHARS = 100
MIN_TOPIC_CHARS = 3


class NewsroomError(NewsdeskError):
    """A setting that cannot be made; the text is shown to the user."""


@dataclass(frozen=True)
class Route:
    url: str
    scope: str
    channel_id: int
    role_id: int | None = None
    backfill: str | None = None  # what it posts of its feed's first poll (backfill.py)
    added_at: datetime | None = None


@dataclass(frozen=True)
class ChannelState:
    channel_id: int
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    last_post_at: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    retry_at: datetime | None = None

    def admits(self, text: str) -> bool:
        return self.refusal(text) is None

    def refusal(self, text: str) -> str | None:
        """Why the channel does not take a story, or None: include: at least one of the
        words or phrases; exclude: none of them (whole words, any case)."""
        if self.include and not any(_has(text, w) for w in self.include):
            return f"none of: {', '.join(self.include)}"
        found = next((w for w in self.exclude if _has(text, w)), None)
        return None if found is None else f"has “{found}”"


@dataclass(frozen=True)
class Follow:
    id: int
    scope: str  # the server's id
    user_id: int
    topic: str
    channel_id: int | None = None  # None: a direct message to the member


@dataclass(frozen=True)
class Digest:
    channel_id: int
    scope: str
    at: time
    tz: str

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.tz))


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is not None


def parse_words(raw: str | None) -> tuple[str, ...]:
    """ "floods, heavy rain" -> ("floods", "heavy rain"); checked against the limits."""
    words = tuple(dict.fromkeys(w.strip() for w in (raw or "").split(",") if w.strip()))
    if len(words) > MAX_WORDS or any(len(w) > MAX_WORD_CHARS for w in words):
        raise NewsroomError(
            f"Give at most {MAX_WORDS} words or phrases of at most {MAX_WORD_CHARS} characters."
        )
    return words


def parse_time(raw: str, tz: str) -> tuple[time, str]:
    m = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*", raw)
    if m is None:
        raise NewsroomError("Give the time as HH:MM, for example 08:00.")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise NewsroomError(f"{tz[:60]!r} is not a time zone; use a name like Europe/Paris or UTC.") from None
    return time(int(m.group(1)), int(m.group(2))), tz


def check_topic(topic: str) -> str:
    topic = " ".join(topic.split())
    if not MIN_TOPIC_CHARS <= len(topic) <= MAX_TOPIC_CHARS:
        raise NewsroomError(
            f"A topic is {MIN_TOPIC_CHARS} to {MAX_TOPIC_CHARS} characters, e.g. Valdoria floods."
        )
    return topic


class Config:
    """Routes, channel settings, follows and digests in the newsroom's file."""

    def __init__(self, db: NewsroomDB) -> None:
        self._db = db

    # -- routes ------------------------------------------------------------------------
    def route(self, route: Route, now: datetime, primed: bool = False) -> None:
        """Post a feed's new stories in a channel. `primed`: its feed was polled before, so
        its next poll brings only new entries; else that poll's entries are the route's
        backlog (backfill.py). A route made again keeps its backlog, takes the new role
        and backfill."""
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO routes (url, scope, channel_id, role_id, added_at, backfill, primed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url, scope, channel_id)"
                " DO UPDATE SET role_id = excluded.role_id, backfill = excluded.backfill",
                (*_key(route), route.role_id, ts(now), route.backfill, int(primed)),
            )
            conn.execute("INSERT OR IGNORE INTO channels (channel_id) VALUES (?)", (route.channel_id,))

    def unroute(self, url: str, scope: str) -> list[Route]:
        """Stop a feed's posts: its routes go, and what it had not posted yet is dropped."""
        with self._db.write() as conn:
            routes = _routes(conn, "WHERE url = ? AND scope = ?", (url, scope))
            conn.execute("DELETE FROM routes WHERE url = ? AND scope = ?", (url, scope))
            conn.execute("DELETE FROM paused WHERE feed = ?", (json.dumps([url, scope]),))
            conn.execute(
                "UPDATE outbox SET state = 'dropped' WHERE feed = ? AND state IN ('pending', 'sending')",
                (json.dumps([url, scope]),),
            )
            forget_unsent_posts(conn)
            return routes

    def routes(self, url: str | None = None, scope: str | None = None) -> list[Route]:
        where, args = ("WHERE url = ? AND scope = ?", (url, scope)) if url is not None else ("", ())
        with self._db.read() as conn:
            return _routes(conn, where, args)

    # -- paused feeds ------------------------------------------------------------------
    def pause(self, url: str, scope: str, now: datetime) -> bool:
        """Stop a feed's posts (it is still polled: its articles answer questions): what
        it brings meanwhile is not posted, what was planned waits. False if already."""
        with self._db.write() as conn:
            feed = json.dumps([url, scope])
            added = conn.execute("INSERT OR IGNORE INTO paused (feed, since) VALUES (?, ?)", (feed, ts(now)))
            return added.rowcount > 0

    def resume(self, url: str, scope: str) -> bool:
        """Its posts again, from its next new entries; False if it was not paused."""
        with self._db.write() as conn:
            gone = conn.execute("DELETE FROM paused WHERE feed = ?", (json.dumps([url, scope]),))
            return gone.rowcount > 0

    def paused(self) -> set[tuple[str, str]]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT feed FROM paused").fetchall()
        return {(str(u), str(s)) for u, s in (json.loads(str(f)) for (f,) in rows)}

    # -- channels ----------------------------------------------------------------------
    def set_filter(self, channel_id: int, include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT OR IGNORE INTO channels (channel_id) VALUES (?)", (channel_id,))
            conn.execute(
                "UPDATE channels SET include = ?, exclude = ? WHERE channel_id = ?",
                (json.dumps(include), json.dumps(exclude), channel_id),
            )

    def channels(self, ids: list[int] | None = None) -> dict[int, ChannelState]:
        with self._db.read() as conn:
            return channel_states(conn, ids)

    # -- follows -------------------------------------------------------------------------
    def follow(self, follow: Follow, limit: int, now: datetime) -> Follow:
        with self._db.write() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM follows WHERE scope = ? AND user_id = ?", (follow.scope, follow.user_id)
            ).fetchone()
            if count >= limit:
                raise NewsroomError(f"You follow {count} topics here, the most you can; remove one first.")
            conn.execute(
                "INSERT OR IGNORE INTO follows (scope, user_id, topic, channel_id, added_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (follow.scope, follow.user_id, follow.topic, follow.channel_id, ts(now)),
            )
        return follow

    def unfollow(self, scope: str, user_id: int, topic: str) -> int:
        with self._db.write() as conn:
            gone = conn.execute(
                "DELETE FROM follows WHERE scope = ? AND user_id = ? AND lower(topic) = lower(?)",
                (scope, user_id, " ".join(topic.split())),
            )
            return gone.rowcount

    def follows(self, scope: str | None = None, user_id: int | None = None) -> list[Follow]:
        clauses, args = [], []
        for column, value in (("scope", scope), ("user_id", user_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT id, scope, user_id, topic, channel_id FROM follows {where} ORDER BY id", args
            ).fetchall()
        return [
            Follow(int(i), str(s), int(u), str(t), None if c is None else int(c)) for i, s, u, t, c in rows
        ]

    # -- digests -------------------------------------------------------------------------
    def set_digest(self, digest: Digest | None, channel_id: int) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM digests WHERE channel_id = ?", (channel_id,))
            if digest is not None:
                at = digest.at.strftime("%H:%M")
                conn.execute(
                    "INSERT INTO digests VALUES (?, ?, ?, ?)", (channel_id, digest.scope, at, digest.tz)
                )

    def digests(self) -> list[Digest]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT channel_id, scope, at, tz FROM digests").fetchall()
        return [Digest(int(c), str(s), time.fromisoformat(str(a)), str(z)) for c, s, a, z in rows]


def _key(route: Route) -> tuple[str, str, int]:
    return route.url, route.scope, route.channel_id


def _routes(conn: sqlite3.Connection, where: str, args: tuple[object, ...]) -> list[Route]:
    rows = conn.execute(
        f"SELECT url, scope, channel_id, role_id, backfill, added_at FROM routes {where} ORDER BY channel_id",
        args,
    )
    return [
        Route(str(u), str(s), int(c), None if r is None else int(r), None if b is None else str(b), dt(a))
        for u, s, c, r, b, a in rows.fetchall()
    ]


def channel_states(conn: sqlite3.Connection, ids: list[int] | None = None) -> dict[int, ChannelState]:
    if ids is not None and not ids:
        return {}
    where = f"WHERE channel_id IN ({','.join('?' * len(ids))})" if ids is not None else ""
    rows = conn.execute(
        "SELECT channel_id, include, exclude, last_post_at, last_error, failures, retry_at"
        f" FROM channels {where}",
        ids or [],
    ).fetchall()
    return {
        int(c): ChannelState(
            int(c), tuple(json.loads(inc)), tuple(json.loads(exc)), dt(last), err, int(f), dt(retry)
        )
        for c, inc, exc, last, err, f, retry in rows
    }
