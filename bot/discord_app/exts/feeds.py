"""A server's admins follow feeds: /feeds add|list|remove|filter; the bot polls them while it runs.

A server's feeds are its own (scope = the server's id): their articles answer there only,
and they are fetched from public addresses only. The poll loop hands due feeds to the
ingest worker pool once a tick (a minute, or a third of POLLER_LEASE_S), in the one
process of the fleet that holds the poller lease (FeedPoller's seat); a poll never raises
(failures are recorded and backed off), and a full ingest queue just skips a tick. A feed
added with a channel posts its new stories there (the newsroom: planned in the
poll round, sent by the newsroom cog, woken after each round).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord_app.client import NewsBot
from bot.discord_app.exts.admin import is_admin
from bot.discord_app.exts.errors import NotAllowedHere
from bot.discord_app.rendering import NO_MENTIONS, clip, safe, split_message
from bot.discord_app.workers import BusyError
from bot.newsroom import ChannelState, Newsroom, Route
from bot.newsroom.config import parse_words
from ingest.feeds import FeedPoller, PollResult, Subscription
from ingest.feeds.registry import (
    DEFAULT_EVERY_MINUTES,
    MAX_EVERY_MINUTES,
    MIN_EVERY_MINUTES,
)

log = logging.getLogger(__name__)
POLL_TICK_S = 60.0  # changed to Settings.poll_tick_s when the cog is made


def _when(moment: datetime | None) -> str:
    return discord.utils.format_dt(moment, "R") if moment else "never"


def subscription_line(s: Subscription) -> str:
    state = f"⚠ {safe(clip(s.last_error, 200))}" if s.last_error else safe(s.last_result or "not polled yet")
    return (
        f"• <{safe(clip(s.url, 300))}> every {s.every_minutes} min — "
        f"last poll {_when(s.last_poll)}: {state}; "
        f"{s.articles_added} article(s) added; next {_when(s.next_due)}"
    )


def channel_line(channel: ChannelState, mention: str) -> str:
    parts = [f"• {mention}"]
    if channel.include:
        parts.append("only: " + ", ".join(safe(w) for w in channel.include))
    if channel.exclude:
        parts.append("never: " + ", ".join(safe(w) for w in channel.exclude))
    parts.append(f"last post {_when(channel.last_post_at)}")
    if channel.last_error:
        parts.append(f"⚠ {safe(clip(channel.last_error, 200))}, next try {_when(channel.retry_at)}")
    return " — ".join(parts)


def subscribe(
    poller: FeedPoller,
    newsroom: Newsroom,
    url: str,
    scope: str,
    every: int,
    channel: int | None = None,
    role: int | None = None,
) -> tuple[Subscription, bool, PollResult]:
    """In a worker: refuse a URL that is not public, follow it (posting to `channel`), and
    poll it once now."""
    subscription, new = poller.follow(url, scope, every)
    if channel is not None:
        newsroom.config.route(Route(subscription.url, scope, channel, role), datetime.now(UTC))
    result = poller.poll_one(subscription.url, scope)
    assert result is not None
    return subscription, new, result


class Feeds(commands.Cog):
    group = app_commands.Group(
        name="feeds", description="RSS/Atom feeds this server follows.", guild_only=True
    )

    def __init__(self, bot: NewsBot, poller: FeedPoller) -> None:
        self.bot = bot
        self.poller = poller
        # a third of the poller lease: a dead poller's lease is taken over within a tick
        self.poll_loop.change_interval(seconds=bot.settings.poll_tick_s)

    async def cog_unload(self) -> None:
        self.poll_loop.cancel()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if not self.poll_loop.is_running():
            self.poll_loop.start()

    @tasks.loop(seconds=POLL_TICK_S)
    async def poll_loop(self) -> None:
        await self.poll_due()

    async def poll_due(self) -> list[PollResult]:
        """One tick: the due feeds, polled in the ingest pool; never raises."""
        try:
            results = await self.bot.ingests.run(self.poller.poll_due)
            self.bot.metrics.poll_round(results, self.poller.leading)
            self.bot.newsroom_planned()
            return results
        except BusyError:
            log.info("feeds: the ingest queue is full; polling at the next tick")
        except Exception:
            log.exception("feeds: a poll round failed")
        return []

    @group.command(name="add", description="Follow an RSS/Atom feed: its articles answer in this server.")
    @app_commands.describe(
        url="The feed's URL",
        every="Minutes between polls (default 60)",
        channel="Post each new story of the feed in this channel",
        role="Ping this role at each new post (members opt into it); never @everyone",
    )
    @app_commands.check(is_admin)
    async def add(
        self,
        interaction: discord.Interaction,
        url: str,
        every: app_commands.Range[int, MIN_EVERY_MINUTES, MAX_EVERY_MINUTES] = DEFAULT_EVERY_MINUTES,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        if role is not None and (channel is None or role.is_default()):
            raise NotAllowedHere("A role is pinged at new posts in a channel: give one; never @everyone.")
        scope = str(interaction.guild_id)
        posting = (channel.id if channel else None, role.id if role else None)
        subscription, new, result = await self.bot.ingests.run(
            subscribe, self.poller, self.bot.newsroom, url, scope, every, *posting
        )
        self.bot.newsroom_planned()
        head = "Following" if new else "Already following; now polled"
        where = f", posting new stories in {channel.mention}" if channel else ""
        text = (
            f"{head} <{safe(clip(subscription.url, 300))}> every {subscription.every_minutes} min{where}.\n"
            f"First poll: {safe(clip(result.summary(), 500))}"
        )
        if result.status == "failed":
            text += " — I will try again later, less often while it fails (see `/feeds list`)."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @group.command(name="list", description="The feeds this server follows, and how their polls went.")
    @app_commands.check(is_admin)
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild = interaction.guild
        assert guild is not None
        config = self.bot.newsroom.config
        routes = [r for r in await asyncio.to_thread(config.routes) if guild.get_channel(r.channel_id)]
        subscriptions = await self.bot.answers.run(self.poller.subscriptions, None)
        feeds = [s for s in subscriptions if s.scope == str(guild.id) or any(r.url == s.url for r in routes)]
        if not feeds:
            await interaction.followup.send("No feeds yet: follow one with `/feeds add`.", ephemeral=True)
            return
        here = sorted({r.channel_id for r in routes})
        states = await asyncio.to_thread(config.channels, here)
        lines = [f"{len(feeds)} feed(s):"]
        for s in feeds:
            posting = ", ".join(f"<#{r.channel_id}>" for r in routes if (r.url, r.scope) == (s.url, s.scope))
            operator = " (followed by the bot's operator)" if s.scope != str(guild.id) else ""
            lines.append(subscription_line(s) + operator + (f"; posts in {posting}" if posting else ""))
        if states:
            lines += ["Channels:", *(channel_line(states[c], f"<#{c}>") for c in here if c in states)]
        for part in split_message("\n".join(lines)):
            await interaction.followup.send(part, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @group.command(name="remove", description="Stop following a feed (its articles stay).")
    @app_commands.describe(url="The feed's URL, as /feeds list shows it")
    @app_commands.check(is_admin)
    async def remove(self, interaction: discord.Interaction, url: str) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        removed = await self.bot.answers.run(self.poller.unfollow, url, str(interaction.guild_id))
        await asyncio.to_thread(self.bot.newsroom.config.unroute, removed.url, removed.scope)
        await interaction.followup.send(
            f"No longer following <{safe(clip(removed.url, 300))}>; the {removed.articles_added} "
            "article(s) it added stay (remove one with `/forget`).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


    @group.command(name="filter", description="Only post stories with (or without) these words in a channel.")
    @app_commands.describe(
        channel="The channel the feeds post in",
        include="Post only stories with one of these words or phrases (comma-separated; empty: all)",
        exclude="Never post stories with these words or phrases (comma-separated)",
    )
    @app_commands.check(is_admin)
    async def filter(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        include: str | None = None,
        exclude: str | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        wanted, unwanted = parse_words(include), parse_words(exclude)
        await asyncio.to_thread(self.bot.newsroom.config.set_filter, channel.id, wanted, unwanted)
        state = ChannelState(channel.id, wanted, unwanted)
        await interaction.followup.send(
            clip(channel_line(state, channel.mention), 2000), ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, NewsBot)
    await bot.add_cog(Feeds(bot, bot.feeds))
