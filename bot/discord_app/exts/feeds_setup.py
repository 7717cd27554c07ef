"""/feeds add|list|remove|filter: a server's admins follow feeds and say where and how they
post. A base of the Feeds cog (exts/feeds.py); the `/feeds` group is made here, once per
process (an extension's module may be loaded more than once: its commands are not)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import NewsBot
from bot.discord_app.exts.admin import is_admin
from bot.discord_app.exts.errors import NotAllowedHere
from bot.discord_app.feeds_view import Listing, channel_line
from bot.discord_app.rendering import NO_MENTIONS, clip, safe, split_message
from bot.newsroom import Newsroom, Route
from bot.newsroom.backfill import backfill_text, parse_backfill
from bot.newsroom.posting.filters import parse_filter
from ingest.feeds import FeedPoller, PollResult, Subscription
from ingest.feeds.registry import (
    DEFAULT_EVERY_MINUTES,
    MAX_EVERY_MINUTES,
    MIN_EVERY_MINUTES,
)

feeds_group = app_commands.Group(
    name="feeds", description="RSS/Atom feeds this server follows.", guild_only=True
)


def subscribe(
    poller: FeedPoller,
    newsroom: Newsroom,
    url: str,
    scope: str,
    every: int,
    channel: int | None = None,
    role: int | None = None,
    backfill: str | None = None,
) -> tuple[Subscription, bool, PollResult]:
    """In a worker: refuse a URL that is not public, follow it (posting to `channel`, with
    its backfill: backfill.py), and poll it once now."""
    subscription, new = poller.follow(url, scope, every)
    if channel is not None:
        route = Route(subscription.url, scope, channel, () if role is None else (role,), backfill)
        newsroom.config.route(route, datetime.now(UTC), primed=poller.read_before(subscription))
    result = poller.poll_one(subscription.url, scope)
    assert result is not None
    return subscription, new, result


class FeedsSetup(commands.Cog):
    """The commands; the Feeds cog (a subclass) gives them its bot and poller."""

    bot: NewsBot
    poller: FeedPoller

    @feeds_group.command(
        name="add", description="Follow an RSS/Atom feed: its articles answer in this server."
    )
    @app_commands.describe(
        url="The feed's URL",
        every="Minutes between polls (default 60)",
        channel="Post each new story of the feed in this channel",
        role="Ping this role at each new post (members opt into it); never @everyone",
        backfill="Also post what it holds now: its N newest entries (5), or the last days/hours (2d, 12h)",
    )
    @app_commands.check(is_admin)
    async def add(
        self,
        interaction: discord.Interaction,
        url: str,
        every: app_commands.Range[int, MIN_EVERY_MINUTES, MAX_EVERY_MINUTES] = DEFAULT_EVERY_MINUTES,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        backfill: str | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        if (role is not None or backfill is not None) and channel is None:
            raise NotAllowedHere("A role and a backfill are about a channel's posts: give the channel.")
        if role is not None and role.is_default():
            raise NotAllowedHere("A role pinged at new posts is one members opt into: never @everyone.")
        spec = parse_backfill(backfill)
        scope = str(interaction.guild_id)
        posting = (channel.id if channel else None, role.id if role else None, spec)
        subscription, new, result = await self.bot.ingests.run(
            subscribe, self.poller, self.bot.newsroom, url, scope, every, *posting
        )
        self.bot.newsroom_planned()
        head = "Following" if new else "Already following; now polled"
        where = f", posting new stories in {channel.mention} ({backfill_text(spec)})" if channel else ""
        text = (
            f"{head} <{safe(clip(subscription.url, 300))}> every {subscription.every_minutes} min{where}.\n"
            f"First poll: {safe(clip(result.summary(), 500))}"
        )
        if result.status == "failed":
            text += " — I will try again later, less often while it fails (see `/feeds list`)."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @feeds_group.command(name="list", description="The feeds this server follows, and how their polls went.")
    @app_commands.check(is_admin)
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild = interaction.guild
        assert guild is not None
        listing = await asyncio.to_thread(self._listing, guild)
        if not listing.feeds:
            await interaction.followup.send("No feeds yet: follow one with `/feeds add`.", ephemeral=True)
            return
        for part in split_message("\n".join(listing.lines())):
            await interaction.followup.send(part, ephemeral=True, allowed_mentions=NO_MENTIONS)

    def _listing(self, guild: discord.Guild) -> Listing:
        """In a thread: the server's feeds, routes to its channels, digests, topics."""
        config = self.bot.newsroom.config
        routes = [r for r in config.routes() if guild.get_channel(r.channel_id)]
        mine = {r.url for r in routes}
        feeds = [s for s in self.poller.subscriptions() if s.scope == str(guild.id) or s.url in mine]
        digests = [d for d in config.digests() if d.scope == str(guild.id)]
        states = config.channels(sorted({r.channel_id for r in routes}))
        return Listing(guild.id, feeds, routes, states, digests, config.follows(str(guild.id)))

    @feeds_group.command(name="remove", description="Stop following a feed (its articles stay).")
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

    @feeds_group.command(
        name="filter", description="Only post stories with (or without) these words in a channel."
    )
    @app_commands.describe(
        channel="The channel the feeds post in",
        include='Only stories with one of: words, "phrases", re:/pattern/; not: sport (comma-separated)',
        exclude="Never stories with these words, phrases or re:/patterns/ (comma-separated)",
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
        wanted, unwanted = parse_filter(include, exclude)
        config = self.bot.newsroom.config
        await asyncio.to_thread(config.set_filter, channel.id, wanted, unwanted)
        state = (await asyncio.to_thread(config.channels, [channel.id]))[channel.id]  # its last post too
        await interaction.followup.send(
            clip(channel_line(state, channel.mention), 2000), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
