"""The newsroom: what the feed poller's new articles become in Discord channels and
direct messages. It runs wherever the poller runs (the bot's poll loop, `newsdesk
watch`): the poller tells it which articles each poll stored (`polled`, before the poll
is recorded, so a poll killed after it is repeated and nothing is lost), and at the end
of each round (`round_done`) it plans the deliveries (planner.py), the followed topics'
messages and the digests that are due, in one transaction with the arrivals it handled.
The bot sends what is planned (the delivery ledger, outbox.py).
"""

from __future__ import annotations

import fcntl
import json
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.answering.topics import TopicMatch, TopicMatcher
from bot.newsroom.config import Config, Follow
from bot.newsroom.db import NewsroomDB, ts
from bot.newsroom.events import EventIndex, Indexed
from bot.newsroom.history import Entry as HistoryEntry
from bot.newsroom.history import read as read_history
from bot.newsroom.messages import Body, Card
from bot.newsroom.outbox import Outbox, TargetKind, enqueue
from bot.newsroom.planner import ChannelPlanner, Item
from bot.newsroom.reading import Read, day_of, index, read
from bot.newsroom.stories import Story, digest_body, group
from common.lock_order import LockRank, ranked
from ingest.feeds import Subscription
from vectorstore.models import GLOBAL_SCOPE, ArticleRecord
from vectorstore.retrieval import Filters, Retriever

log = logging.getLogger(__name__)
DIGEST_HOURS = 24
KEEP = timedelta(days=14)  # sent deliveries and handled arrivals are kept this long


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Arrival:
    url: str
    scope: str
    article_id: str
    backlog: frozenset[int] = frozenset()  # the channels it is backlog for (backfill.py)


@dataclass(frozen=True)
class ChannelTotals:
    """What a round planned for the channels, summed."""

    posts: int = 0
    updates: int = 0
    edits: int = 0
    summarized: int = 0


@dataclass(frozen=True)
class RoundResult(ChannelTotals):
    """What a round planned: the channels' totals, and the rest."""

    arrivals: int = 0
    messages: int = 0  # followed topics' direct messages or channel posts
    digests: int = 0


class Newsroom:
    """Receives the newsroom's file and, built only when a round has work, the retriever
    and the topic matcher; `clock` tells the time (tests set a fixed one)."""

    def __init__(
        self,
        db: NewsroomDB,
        retriever: Callable[[], Retriever],
        matcher: Callable[[], TopicMatcher],
        posts_per_poll: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.config = Config(db)
        self.events = EventIndex(db)
        self.outbox = Outbox(db)
        self.posts_per_poll = posts_per_poll
        self.clock = clock
        self._retriever = retriever
        self._matcher = matcher

    # -- the poller's listener ---------------------------------------------------------
    def polled(self, subscription: Subscription, article_ids: Sequence[str]) -> None:
        """A poll read the feed and stored these articles: remember them for the round's
        planning when a channel or a followed topic may want them. For a route whose feed
        was not polled since it was added, they are its backlog (backfill.py)."""
        key = (subscription.url, subscription.scope)
        with self.db.write() as conn:
            fresh = [
                int(c)
                for (c,) in conn.execute(
                    "SELECT channel_id FROM routes WHERE url = ? AND scope = ? AND primed = 0", key
                )
            ]
            conn.execute("UPDATE routes SET primed = 1 WHERE url = ? AND scope = ? AND primed = 0", key)
            if not article_ids or not self._wanted(*key):
                return
            backlog = json.dumps(fresh) if fresh else None
            now = ts(self.clock())
            conn.executemany(
                "INSERT OR IGNORE INTO arrivals (url, scope, article_id, arrived_at, backlog)"
                " VALUES (?, ?, ?, ?, ?)",
                [(*key, a, now, backlog) for a in dict.fromkeys(article_ids)],
            )

    def round_done(self) -> RoundResult:
        """Plan what the round's articles and the clock call for; one process at a time."""
        with self._exclusive() as mine:
            if not mine:
                return RoundResult()
            result = self._plan_arrivals()
            digests = self._plan_digests()
            self.outbox.prune(self.clock() - KEEP)
            return RoundResult(**{**result.__dict__, "digests": digests})

    def _wanted(self, url: str, scope: str) -> bool:
        return bool(self.config.routes(url, scope)) or bool(
            self.config.follows(None if scope == GLOBAL_SCOPE else scope)
        )

    @contextmanager
    def _exclusive(self) -> Iterator[bool]:
        path = self.db.path.parent / "newsroom.lock"
        with ranked(LockRank.NEWSROOM_ROUND, waits=False), path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another process plans this round
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- planning ----------------------------------------------------------------------
    def _pending(self) -> list[Arrival]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT url, scope, article_id, backlog FROM arrivals WHERE done = 0 ORDER BY rowid"
            ).fetchall()
        return [Arrival(str(u), str(s), str(a), frozenset(json.loads(b) if b else ())) for u, s, a, b in rows]

    def _plan_arrivals(self) -> RoundResult:
        arrivals = self._pending()
        if not arrivals:
            return RoundResult()
        retriever = self._retriever()
        every = retriever.records()
        wanted = {a.article_id: every[a.article_id] for a in arrivals if a.article_id in every}
        now = self.clock()
        events = index(retriever, self.events, list(wanted.values()), every, now)
        texts = read(retriever, wanted.values())
        items = [
            self._item(a, texts[a.article_id], events[a.article_id])
            for a in arrivals
            if a.article_id in events
        ]
        matches = self._topic_matches(items)
        with self.db.write() as conn:
            result = self._plan_channels(conn, items, now)
            messages = sum(
                enqueue(conn, f"dm:{f.id}:{item.event_id}", _target(f), "dm", body, now, item.event_id)
                for f, item, body in matches
            )
            conn.executemany(
                "UPDATE arrivals SET done = 1 WHERE url = ? AND scope = ? AND article_id = ?",
                [(a.url, a.scope, a.article_id) for a in arrivals],
            )
        log.info("newsroom: %d arrivals -> %s", len(arrivals), result)
        return RoundResult(**result.__dict__, arrivals=len(arrivals), messages=messages)

    @staticmethod
    def _item(arrival: Arrival, text: Read, indexed: Indexed) -> Item:
        r = indexed.report
        return Item(
            r.article_id,
            indexed.event_id,
            r.day,
            r.story,
            text.card,
            text.facts,
            text.text,
            (arrival.url, arrival.scope),
            arrival.backlog,
        )

    def _plan_channels(self, conn: sqlite3.Connection, items: list[Item], now: datetime) -> ChannelTotals:
        """Each routed channel's plan. A channel blocked now (backing off) gets no posts: its
        new stories join one "and N more" line, sent when it is back, so it never gets more
        than `posts_per_poll` posts a round however long it was blocked."""
        routes = self.config.routes()
        states = self.config.channels([r.channel_id for r in routes])
        paused = self.config.paused()
        plans = []
        for channel_id in dict.fromkeys(r.channel_id for r in routes):
            mine = {(r.url, r.scope): r for r in routes if r.channel_id == channel_id}
            wanted = [i for i in items if i.feed in mine]
            state = states.get(channel_id)
            if not wanted or state is None:
                continue
            blocked = state.retry_at is not None and state.retry_at > now
            cap = 0 if blocked else self.posts_per_poll
            plans.append(ChannelPlanner(conn, state, now, cap).run(wanted, mine, paused))
        return ChannelTotals(
            posts=sum(p.posts for p in plans),
            updates=sum(p.updates for p in plans),
            edits=sum(p.edits for p in plans),
            summarized=sum(p.summarized for p in plans),
        )

    def _topic_matches(self, items: list[Item]) -> list[tuple[Follow, Item, Body]]:
        """Each follow whose topic an article of the round matches (once per story); a
        topic followed by many members of a server is matched once."""
        follows = self.config.follows()
        if not follows or not items:
            return []
        matcher = self._matcher()
        found: dict[tuple[str, str], dict[str, TopicMatch]] = {}
        out = []
        for follow in follows:
            seen = [i for i in items if i.feed[1] in (GLOBAL_SCOPE, follow.scope)]
            key = (follow.topic.casefold(), follow.scope)
            if seen and key not in found:  # among the round's articles only, dated or not
                ids = frozenset(i.article_id for i in seen)
                found[key] = matcher.match(follow.topic, ids, Filters(articles=ids))
            hits = found.get(key, {})
            done: set[str] = set()
            for item in seen:
                hit = hits.get(item.article_id)
                if hit is not None and item.event_id not in done:
                    done.add(item.event_id)
                    marker = f"{item.card.url or item.article_id}\n{follow.topic}"
                    body = Body(card=item.card, topic=follow.topic, change=hit.quote, marker=marker)
                    out.append((follow, item, body))
        return out

    def _plan_digests(self) -> int:
        now = self.clock()
        planned = 0
        for digest in self.config.digests():
            local = digest.local(now)
            due = local.replace(hour=digest.at.hour, minute=digest.at.minute, second=0, microsecond=0)
            key = f"digest:{digest.channel_id}:{local.date().isoformat()}"
            if local < due or self._exists(key):
                continue
            stories, cards = self.recent(now - timedelta(hours=DIGEST_HOURS), (GLOBAL_SCOPE, digest.scope))
            body = digest_body(stories, cards, local)
            with self.db.write() as conn:
                planned += enqueue(conn, key, (digest.channel_id, "channel"), "digest", body, now)
        return planned

    def _exists(self, key: str) -> bool:
        with self.db.read() as conn:
            return conn.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone() is not None

    # -- control and history ----------------------------------------------------------
    def test_post(self, channel_id: int, card: Card, feed: tuple[str, str]) -> None:
        """Post this card once in the channel, marked as a test (`/feeds test`)."""
        body = Body(card=card, heading="Test post", marker=card.url or card.title)
        with self.db.write() as conn:
            enqueue(conn, f"test:{channel_id}:{uuid.uuid4().hex}", (channel_id, "channel"), "test", body,
                    self.clock(), None, feed)  # fmt: skip

    def history(
        self, channels: list[int] | None = None, feeds: list[tuple[str, str]] | None = None, limit: int = 50
    ) -> list[HistoryEntry]:
        """What became of the stories of these channels or feeds, newest first (history.py)."""
        return read_history(self.db, channels, feeds, limit)

    # -- stories -----------------------------------------------------------------------
    def stories(self, since: str | None = None, scopes: tuple[str, ...] | None = None) -> list[Story]:
        """Every story with a report on or after `since`, newest first (`newsdesk stories`)."""
        retriever = self._retriever()
        every = retriever.records()
        chosen = [r for r in every.values() if (scopes is None or r.scope in scopes)]
        recent = [r for r in chosen if since is None or day_of(r) >= since]
        events = index(retriever, self.events, recent, every, self.clock())
        members = self.events.members(sorted({i.event_id for i in events.values()}))
        visible = [
            m
            for m in members
            if m.report.article_id in every and (scopes is None or m.report.scope in scopes)
        ]
        texts = read(retriever, [every[m.report.article_id] for m in visible])
        facts = {k: v.facts for k, v in texts.items()}
        return [s for s in group(visible, _dates(every), facts) if since is None or s.newest_day >= since]

    def recent(self, after: datetime, scopes: tuple[str, ...]) -> tuple[list[Story], dict[str, Card]]:
        """The stories with an article stored after `after` (the digest's day), and cards."""
        retriever = self._retriever()
        every = retriever.records()
        fresh = [r for r in every.values() if r.scope in scopes and (r.ingested_at or "") >= ts(after)]
        events = index(retriever, self.events, fresh, every, self.clock())
        members = self.events.members(sorted({i.event_id for i in events.values()}))
        visible = [m for m in members if m.report.article_id in every and m.report.scope in scopes]
        stories = group(visible, _dates(every))
        firsts = [every[s.articles[0].id] for s in stories]
        return stories, {k: v.card for k, v in read(retriever, firsts).items()}


def _dates(records: Mapping[str, ArticleRecord]) -> dict[str, str | None]:
    return {k: r.date for k, r in records.items()}


def _target(follow: Follow) -> tuple[int, TargetKind]:
    return (follow.channel_id, "channel") if follow.channel_id is not None else (follow.user_id, "user")
