"""What a channel gets for the new articles of a poll round: one post per story, "also
reported by" edits, updates in the story's thread, and flood control.

For each channel, the round's new articles that pass its filters are grouped by story
(events.py). A story the channel has not seen gets a post (the first report: title,
outlet, date, lead, link); at most `cap` new stories a round do (the newest), the rest
are listed in one "and N more stories" message after them. An article of a story already
posted is
- a copy when it is a wire copy of what the post holds, or adds no fact and is not dated
  later: the post is edited to add "also reported by <outlet>";
- an update when it is dated later or adds a fact (changes.new_facts: a changed or new
  figure, a development of a new kind such as "put out" or "resigned", a name the story
  never named): it goes into the post's thread ("Update, 7 Mar — 58 dead (was 35) —
  Coastal Times") and the post shows "updated".
A story only listed in a "more" line gets a post of its own at its first update.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

from bot.newsroom.backfill import allowed
from bot.newsroom.changes import Facts, merged, new_facts, new_figures
from bot.newsroom.config import ChannelState, Route
from bot.newsroom.db import ts
from bot.newsroom.history import Entry, Outcome, record
from bot.newsroom.messages import Body, Card, PostState
from bot.newsroom.outbox import TargetKind, enqueue, pending_edit, post_state, rewrite, save_post, unsent_more

Role = Literal["copy", "update", "same"]
Feed = tuple[str, str]  # a feed's URL and scope
Routes = dict[Feed, Route]  # a channel's routes, by their feed


@dataclass(frozen=True)
class Item:
    """A new article of the round, as a channel's plan sees it."""

    article_id: str
    event_id: str
    day: str
    story: str  # wire-copy story id
    card: Card
    facts: Facts
    text: str  # headline and opening: what the channel's filters read
    feed: tuple[str, str]  # (url, scope) of the feed it came from
    backlog: frozenset[int] = frozenset()  # the channels it is backlog for (backfill.py)


@dataclass
class ChannelPlan:
    posts: int = 0
    edits: int = 0
    updates: int = 0
    summarized: int = 0
    events: list[str] = field(default_factory=list)


def day_label(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.day} {d:%b}"


def role_of(item: Item, state: PostState) -> Role:
    if item.article_id in state.articles:
        return "same"
    news = new_facts(Facts(state.figures, frozenset(state.outcomes), frozenset(state.names)), item.facts)
    if item.story in state.stories and not news:
        return "copy"
    if item.day > state.newest_day or (news and item.day >= state.newest_day):
        return "update"
    return "copy"


def new_state(item: Item, route: Route | None) -> PostState:
    return PostState(
        card=item.card,
        role_ids=list(route.roles) if route else [],
        look=route.look if route else None,
        figures=dict(item.facts.figures),
        outcomes=sorted(item.facts.outcomes),
        names=sorted(item.facts.names),
        newest_day=item.day,
        articles=[item.article_id],
        stories=[item.story],
    )


class ChannelPlanner:
    """Plans one channel's deliveries in the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, channel: ChannelState, now: datetime, cap: int) -> None:
        self.conn = conn
        self.channel = channel
        self.now = now
        self.cap = cap
        self.plan = ChannelPlan()

    def run(self, items: Sequence[Item], routes: Routes, paused: Collection[Feed] = ()) -> ChannelPlan:
        """The channel's plan for these items of its routes' feeds."""
        groups: dict[str, list[Item]] = {}
        for item in sorted(self._admitted(items, routes, paused), key=lambda i: i.day):
            groups.setdefault(item.event_id, []).append(item)
        states = {e: self._state(e) for e in groups}
        fresh: dict[str, list[Item]] = {}
        for event, members in groups.items():
            state = states[event]
            if state is None:
                fresh[event] = members
            elif state[0] == "summary":  # listed only: its first update gets a post
                later = [m for m in members if role_of(m, state[1]) == "update"]
                if later:
                    fresh[event] = later
        newest = sorted(fresh, key=lambda e: max(m.day for m in fresh[e]), reverse=True)[: self.cap]
        listed = [e for e in fresh if e not in newest]
        for event in sorted(newest, key=lambda e: fresh[e][0].day):
            first = fresh[event][0]
            posted = new_state(first, routes.get(first.feed))
            self._post(event, first, posted)
            self._follow_up(event, posted, fresh[event][1:])
        for event, members in groups.items():
            known = states[event]
            if event not in fresh and known is not None and known[0] == "post":
                self._follow_up(event, known[1], members)
        if listed:
            self._more([fresh[e][0] for e in sorted(listed, key=lambda e: fresh[e][0].day)])
        return self.plan

    def _admitted(self, items: Sequence[Item], routes: Routes, paused: Collection[Feed]) -> list[Item]:
        """The items the channel takes: not of a paused feed, not of what a new feed held
        (unless its backfill asks: backfill.py), passing the channel's filters. The others
        are noted in the history with the reason."""
        channel = self.channel.channel_id
        kept: set[str] = set()
        for feed, route in routes.items():
            backlog = [i for i in items if i.feed == feed and channel in i.backlog]
            kept |= allowed(route.backfill, route.added_at, backlog)
        out = []
        for item in items:
            if item.feed in paused:
                self._note(item, "filtered", "its feed is paused")
            elif channel in item.backlog and item.article_id not in kept:
                self._note(item, "filtered", "published before its feed was added here (no backfill asked)")
            elif (refusal := self.channel.refusal(item.text)) is not None:
                self._note(item, "filtered", refusal)
            else:
                out.append(item)
        return out

    def _note(self, item: Item, outcome: Outcome, reason: str) -> None:
        url, scope = item.feed
        entry = Entry(self.now, self.channel.channel_id, outcome, item.card.title, reason, url, scope)
        record(self.conn, replace(entry, event_id=item.event_id, article_id=item.article_id))

    def _state(self, event_id: str) -> tuple[str, PostState] | None:
        return post_state(self.conn, self.channel.channel_id, event_id)

    def _save(self, event_id: str, kind: str, state: PostState) -> None:
        save_post(self.conn, self.channel.channel_id, event_id, kind, state)

    def _post(self, event_id: str, item: Item, state: PostState) -> None:
        self._save(event_id, "post", state)
        body = Body(card=item.card, marker=item.card.url or item.article_id)
        key = f"post:{self.channel.channel_id}:{event_id}:{item.article_id}"
        target: tuple[int, TargetKind] = (self.channel.channel_id, "channel")
        if enqueue(self.conn, key, target, "post", body, self.now, event_id, item.feed, revive=True):
            self.plan.posts += 1
            self.plan.events.append(event_id)

    def _follow_up(self, event_id: str, state: PostState, items: Sequence[Item]) -> None:
        """Copies and updates of a posted story, in order of their dates."""
        edited = False
        for item in items:
            role = role_of(item, state)
            if role == "same":
                continue
            if role == "update":
                self._update(event_id, item, state)
            elif item.card.source and item.card.source not in (state.card.source, *state.also):
                state.also.append(item.card.source)
            state.articles.append(item.article_id)
            state.stories = sorted({*state.stories, item.story})
            state.outcomes = sorted({*state.outcomes, *item.facts.outcomes})
            state.names = sorted({*state.names, *item.facts.names})
            edited = True
        if edited:
            self._save(event_id, "post", state)
            self._edit(event_id)

    def _update(self, event_id: str, item: Item, state: PostState) -> None:
        news = new_figures(state.figures, item.facts)
        parts = [f"Update, {day_label(item.day)}", ", ".join(news), item.card.source or ""]
        body = Body(
            card=item.card, change=" — ".join(p for p in parts if p), marker=item.card.url or item.article_id
        )
        key = f"update:{self.channel.channel_id}:{event_id}:{item.article_id}"
        if enqueue(
            self.conn,
            key,
            (self.channel.channel_id, "channel"),
            "update",
            body,
            self.now,
            event_id,
            item.feed,
        ):
            self.plan.updates += 1
        state.figures = merged(state.figures, item.facts.figures)
        state.newest_day = max(state.newest_day, item.day)
        state.updated_at = ts(self.now)

    def _edit(self, event_id: str) -> None:
        channel = self.channel.channel_id
        if pending_edit(self.conn, channel, event_id):
            return
        key = f"edit:{channel}:{event_id}:{uuid.uuid4().hex}"
        known = self._state(event_id)  # its title names it in the history
        body = Body(heading=known[1].card.title if known else None)
        enqueue(self.conn, key, (channel, "channel"), "edit", body, self.now, event_id)
        self.plan.edits += 1

    def _more(self, items: list[Item]) -> None:
        """The stories over the cap: listed, oldest first, in one message after the posts.
        A round that posts nothing (its channel is blocked) adds them to the channel's
        "more" line still waiting to be sent, if any: one line when the channel is back."""
        why = "more new stories than a round posts" if self.cap else "the channel was refusing the bot"
        for item in items:
            self._save(item.event_id, "summary", new_state(item, None))
            self._note(item, "folded into more", why)
        cards = [i.card for i in items]
        self.plan.summarized += len(items)
        if self.plan.posts == 0 and self._fold(cards):
            return
        first = items[0]
        body = Body(heading=more_heading(len(cards)), items=cards, marker=first.card.url or first.article_id)
        key = f"more:{self.channel.channel_id}:{first.event_id}:{first.article_id}"
        enqueue(
            self.conn, key, (self.channel.channel_id, "channel"), "more", body, self.now, None, first.feed
        )

    def _fold(self, cards: list[Card]) -> bool:
        """Add these to the channel's unsent "more" line (not claimed, never tried)."""
        unsent = unsent_more(self.conn, self.channel.channel_id)
        if unsent is None:
            return False
        delivery_id, body = unsent
        known = {c.article_id for c in body.items}
        items = [*body.items, *(c for c in cards if c.article_id not in known)]
        folded = body.model_copy(update={"items": items, "heading": more_heading(len(items))})
        rewrite(self.conn, delivery_id, folded)
        return True


def more_heading(count: int) -> str:
    return f"…and {count} more {'story' if count == 1 else 'stories'}"
