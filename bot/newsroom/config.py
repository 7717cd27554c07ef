"""What admins and members set: feeds routed to channels (with an opt-in role to ping),
each channel's include/exclude words, topics members follow, daily digests."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.newsroom.cleanup import forget_unsent_posts
from bot.newsroom.db import NewsroomDB, dt, ts
from bot.newsroom.posting.filters import refusal
from bot.newsroom.posting.templates import Look
from common.errors import NewsdeskError

MAX_TOPIC_CHARS = 100
MIN_TOPIC_CHARS = 3


class NewsroomError(NewsdeskError):
    """A setting that cannot be made; the text is shown to the user."""


@dataclass(frozen=True)
class Route:
    url: str
    scope: str
    channel_id: int
    roles: tuple[int, ...] = ()  # opt-in roles pinged by its new posts
    backfill: str | None = None  # what it posts of its feed's first poll (backfill.py)
    added_at: datetime | None = None
    look: Look = field(default_factory=Look)  # the feed's template, name, avatar (or the channel's)


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
        terms; exclude: none of them (posting/filters.py)."""
        return refusal(text, self.include, self.exclude)


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
                "INSERT INTO routes (url, scope, channel_id, role_id, roles, added_at, backfill, primed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url, scope, channel_id)"
                " DO UPDATE SET role_id = excluded.role_id, roles = excluded.roles,"
                " backfill = excluded.backfill",
                (
                    *_key(route),
                    next(iter(route.roles), None),
                    json.dumps(route.roles),
                    ts(now),
                    route.backfill,
                    int(primed),
                ),
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

    # -- looks: templates, names, avatars, webhooks --------------------------------------
    def update_look(self, key: str, **changes: object) -> Look:
        """Change some of a look's fields (a feed's, key: feed_key, or a channel's:
        channel_key); returns the new look."""
        with self._db.write() as conn:
            row = conn.execute("SELECT look FROM looks WHERE key = ?", (key,)).fetchone()
            old = Look() if row is None else Look.model_validate_json(str(row[0]))
            look = Look.model_validate(old.model_dump() | changes)
            conn.execute(
                "INSERT INTO looks (key, look) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET look = excluded.look",
                (key, look.model_dump_json(exclude_defaults=True)),
            )
        return look

    def look(self, key: str) -> Look | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT look FROM looks WHERE key = ?", (key,)).fetchone()
        return None if row is None else Look.model_validate_json(str(row[0]))

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
        "SELECT url, scope, channel_id, role_id, roles, backfill, added_at FROM routes"
        f" {where} ORDER BY channel_id",
        args,
    )
    routes = [
        Route(str(u), str(s), int(c), _roles(r, rs), None if b is None else str(b), dt(a))
        for u, s, c, r, rs, b, a in rows.fetchall()
    ]
    looks = {str(k): Look.model_validate_json(str(v)) for k, v in conn.execute("SELECT key, look FROM looks")}
    return [replace(r, look=_look(r, looks)) for r in routes]


def feed_key(url: str, scope: str) -> str:
    return json.dumps([url, scope])


def channel_key(channel_id: int) -> str:
    return f"channel:{channel_id}"


def _look(route: Route, looks: dict[str, Look]) -> Look:
    """A route's look: its feed's, with the channel's template when the feed has none; its
    name: the feed's, else its host."""
    mine = looks.get(feed_key(route.url, route.scope), Look())
    channel = looks.get(channel_key(route.channel_id))
    if mine.template is None and channel is not None:
        mine = mine.model_copy(update={"template": channel.template, "embed": channel.embed})
    return mine.model_copy(update={"name": mine.name or urlsplit(route.url).hostname or route.url})


def _roles(role_id: object, roles: object) -> tuple[int, ...]:
    """A route's roles: its list, else (a file from before several roles) its one role."""
    if roles is not None:
        return tuple(int(r) for r in json.loads(str(roles)))
    return () if role_id is None else (int(str(role_id)),)


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
