"""/feeds history, pause, resume and test: an admin's view of what became of a feed's
stories and control of its posts. A base of the Feeds cog (exts/feeds.py), which holds
the `/feeds` group these commands belong to (made in exts/feeds_setup.py)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime

import discord
from discord import app_commands

from bot.discord_app.exts.admin import is_admin
from bot.discord_app.exts.errors import NotAllowedHere
from bot.discord_app.exts.feeds_setup import FeedsSetup, feeds_group
from bot.discord_app.feeds_view import history_lines
from bot.discord_app.rendering import NO_MENTIONS, clip, safe, split_message
from bot.newsroom.reading import entry_card
from ingest.feeds import Subscription

MAX_HISTORY = 50
MAX_ROLES = 5


def roles_named(guild: discord.Guild, raw: str) -> tuple[int, ...]:
    """The server's roles a text names (<@&id> mentions or ids), never @everyone; at most
    MAX_ROLES. A NotAllowedHere names what is not one."""
    chosen: list[int] = []
    for token in raw.replace(",", " ").split():
        m = re.fullmatch(r"<@&(\d{1,20})>|(\d{1,20})", token)
        role = guild.get_role(int(m.group(1) or m.group(2))) if m else None
        if role is None:
            raise NotAllowedHere(f"{safe(clip(token, 40))} is not a role of this server: mention it (@Role).")
        if role.is_default():
            raise NotAllowedHere("A role pinged at new posts is one members opt into: never @everyone.")
        chosen.append(role.id)
    if len(set(chosen)) > MAX_ROLES:
        raise NotAllowedHere(f"At most {MAX_ROLES} roles per feed and channel.")
    return tuple(dict.fromkeys(chosen))


class FeedsControl(FeedsSetup):
    """The commands; the Feeds cog (a subclass) gives them its bot and poller."""

    def _feed(self, guild: discord.Guild, url: str, own: bool = False) -> Subscription:
        """In a thread: the feed this server follows at `url`, or the operator's feed that
        posts in its channels (unless `own`)."""
        url = url.strip()
        found = self.poller.registry.get(url, str(guild.id))
        if found is None and not own:
            routed = {r.url for r in self.bot.newsroom.config.routes() if guild.get_channel(r.channel_id)}
            found = self.poller.registry.get(url, "global") if url in routed else None
        if found is None:
            raise NotAllowedHere("This server follows no such feed (see `/feeds list`).")
        return found

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        for part in split_message(text):
            await interaction.followup.send(part, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @feeds_group.command(
        name="history", description="What became of the newest stories: posted, filtered, dropped, and why."
    )
    @app_commands.describe(
        url="Only this feed's stories", channel="Only this channel's", limit="How many (at most 50)"
    )
    @app_commands.check(is_admin)
    async def history(
        self,
        interaction: discord.Interaction,
        url: str | None = None,
        channel: discord.TextChannel | None = None,
        limit: app_commands.Range[int, 1, MAX_HISTORY] = 20,
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild = interaction.guild
        assert guild is not None
        channels = [channel.id] if channel else [c.id for c in guild.text_channels]
        feeds = None
        if url:
            feed = await asyncio.to_thread(self._feed, guild, url)
            feeds = [(feed.url, feed.scope)]
        entries = await asyncio.to_thread(self.bot.newsroom.history, channels, feeds, limit)
        lines = history_lines(entries) or ["Nothing delivered or filtered yet."]
        await self._reply(interaction, "\n".join(lines))

    @feeds_group.command(name="pause", description="Stop a feed's posts for now (still read for questions).")
    @app_commands.describe(url="The feed's URL, as /feeds list shows it")
    @app_commands.check(is_admin)
    async def pause(self, interaction: discord.Interaction, url: str) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        assert interaction.guild is not None
        feed = await asyncio.to_thread(self._feed, interaction.guild, url, True)
        config = self.bot.newsroom.config
        done = await asyncio.to_thread(config.pause, feed.url, feed.scope, datetime.now(UTC))
        head = "Paused" if done else "Already paused"
        await self._reply(
            interaction,
            f"{head}: <{safe(clip(feed.url, 300))}> posts nothing until `/feeds resume`; what it brings "
            "meanwhile is stored, not posted.",
        )

    @feeds_group.command(name="resume", description="Post a paused feed's new stories again.")
    @app_commands.describe(url="The feed's URL, as /feeds list shows it")
    @app_commands.check(is_admin)
    async def resume(self, interaction: discord.Interaction, url: str) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        assert interaction.guild is not None
        feed = await asyncio.to_thread(self._feed, interaction.guild, url, True)
        done = await asyncio.to_thread(self.bot.newsroom.config.resume, feed.url, feed.scope)
        self.bot.newsroom_planned()  # what waited goes out
        text = "Resumed: its new stories are posted again." if done else "It was not paused."
        await self._reply(interaction, f"<{safe(clip(feed.url, 300))}>: {text}")

    @feeds_group.command(name="roles", description="The roles a feed's new posts in a channel ping.")
    @app_commands.describe(
        url="The feed's URL",
        channel="The channel it posts in",
        roles="The roles to ping, e.g. @Floods @Weather (members opt into them); empty: none",
    )
    @app_commands.check(is_admin)
    async def roles(
        self, interaction: discord.Interaction, url: str, channel: discord.TextChannel, roles: str = ""
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild = interaction.guild
        assert guild is not None
        chosen = roles_named(guild, roles)
        feed = await asyncio.to_thread(self._feed, guild, url)
        config = self.bot.newsroom.config
        routes = await asyncio.to_thread(config.routes, feed.url, feed.scope)
        route = next((r for r in routes if r.channel_id == channel.id), None)
        if route is None:
            raise NotAllowedHere(f"This feed posts nothing in {channel.mention}: `/feeds add` it there.")
        await asyncio.to_thread(config.route, replace(route, roles=chosen), datetime.now(UTC))
        pinged = " ".join(f"<@&{r}>" for r in chosen) or "no role"
        await self._reply(interaction, f"Its new posts in {channel.mention} ping {pinged}.")

    @feeds_group.command(name="test", description="Post a feed's newest entry once, marked as a test.")
    @app_commands.describe(url="The feed's URL", channel="Where (default: a channel the feed posts in)")
    @app_commands.check(is_admin)
    async def test(
        self, interaction: discord.Interaction, url: str, channel: discord.TextChannel | None = None
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild = interaction.guild
        assert guild is not None
        feed = await asyncio.to_thread(self._feed, guild, url)
        routes = await asyncio.to_thread(self.bot.newsroom.config.routes, feed.url, feed.scope)
        here = [r.channel_id for r in routes if guild.get_channel(r.channel_id)]
        target = channel.id if channel else next(iter(here), None)
        if target is None:
            raise NotAllowedHere("This feed posts in no channel here: name one (`channel:`).")
        entry = await self.bot.ingests.run(self.poller.newest_entry, feed.url, feed.scope)
        card = entry_card(entry)
        await asyncio.to_thread(self.bot.newsroom.test_post, target, card, (feed.url, feed.scope))
        self.bot.newsroom_planned()
        await self._reply(interaction, f"A test post of “{safe(clip(card.title, 200))}” goes to <#{target}>.")
