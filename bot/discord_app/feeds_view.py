"""What /feeds shows admins, as lines: a server's feeds with where they post and whom they
ping, its channels (filters, last post, errors), digests and topics posted in channels.
Every value from a feed or a member goes through `safe`; the replies ping no one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import discord

from bot.discord_app.rendering import clip, safe
from bot.newsroom import ChannelState, Digest, Follow, Route
from bot.newsroom.history import Entry as HistoryEntry
from ingest.feeds import Subscription


def when(moment: datetime | None) -> str:
    return discord.utils.format_dt(moment, "R") if moment else "never"


def subscription_line(s: Subscription) -> str:
    result = safe(clip(s.last_result or "not polled yet", 400))
    state = f"⚠ {safe(clip(s.last_error, 200))}" if s.last_error else result
    return (
        f"• <{safe(clip(s.url, 300))}> every {s.every_minutes} min — "
        f"last poll {when(s.last_poll)}: {state}; "
        f"{s.articles_added} article(s) added; next {when(s.next_due)}"
    )


def route_text(route: Route) -> str:
    """Where a feed posts and whom it pings: "<#1> (pings <@&2>)"."""
    pings = f" (pings {' '.join(f'<@&{r}>' for r in route.roles)})" if route.roles else ""
    return f"<#{route.channel_id}>{pings}"


def channel_line(channel: ChannelState, mention: str) -> str:
    parts = [f"• {mention}"]
    if channel.include:
        parts.append("only: " + ", ".join(safe(w) for w in channel.include))
    if channel.exclude:
        parts.append("never: " + ", ".join(safe(w) for w in channel.exclude))
    parts.append(f"last post {when(channel.last_post_at)}")
    if channel.last_error:
        parts.append(f"⚠ {safe(clip(channel.last_error, 200))}, next try {when(channel.retry_at)}")
    return " — ".join(parts)


@dataclass
class Listing:
    """A server's newsroom, as /feeds list shows it."""

    guild_id: int
    feeds: list[Subscription]
    routes: list[Route]
    channels: dict[int, ChannelState]
    digests: list[Digest] = field(default_factory=list)
    follows: list[Follow] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"{len(self.feeds)} feed(s):"]
        for s in self.feeds:
            posting = ", ".join(route_text(r) for r in self.routes if (r.url, r.scope) == (s.url, s.scope))
            operator = " (followed by the bot's operator)" if s.scope != str(self.guild_id) else ""
            lines.append(subscription_line(s) + operator + (f"; posts in {posting}" if posting else ""))
        here = sorted({r.channel_id for r in self.routes} & set(self.channels))
        if here:
            lines += ["Channels:", *(channel_line(self.channels[c], f"<#{c}>") for c in here)]
        if self.digests:
            lines.append("Digests:")
            lines += [f"• <#{d.channel_id}> daily at {d.at:%H:%M} ({safe(d.tz)})" for d in self.digests]
        posted = [f for f in self.follows if f.channel_id is not None]
        if posted:
            lines.append("Topics posted in channels:")
            for channel_id in sorted({f.channel_id for f in posted if f.channel_id is not None}):
                topics = ", ".join(f"“{safe(f.topic)}”" for f in posted if f.channel_id == channel_id)
                lines.append(f"• <#{channel_id}>: {topics}")
        return lines


def history_lines(entries: list[HistoryEntry]) -> list[str]:
    """Each delivery and decision, newest first: when, where, what became of which story,
    and why."""
    lines = []
    for e in entries:
        title = f" “{safe(clip(e.title, 120))}”" if e.title else ""
        reason = f" — {safe(clip(e.reason, 200))}" if e.reason else ""
        lines.append(f"{when(e.at)} <#{e.channel_id}> **{e.outcome}**{title}{reason}")
    return lines
