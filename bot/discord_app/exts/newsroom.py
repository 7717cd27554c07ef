"""The newsroom on Discord: members follow topics (/follow), admins set daily
digests (/digest), and the delivery loop sends what the newsroom planned (new stories,
"also reported by" edits, updates in a story's thread, followed topics' messages,
digests) through the delivery ledger. Planning happens where the feeds are polled (the
feeds cog's loop, `newsdesk watch`); the loop is woken after each poll round."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord_app.client import NewsBot
from bot.discord_app.delivery import Sender
from bot.discord_app.exts.admin import is_admin
from bot.discord_app.rendering import NO_MENTIONS, clip, safe
from bot.newsroom import Digest, Follow
from bot.newsroom.config import check_topic, parse_time

log = logging.getLogger(__name__)
DELIVERY_TICK_S = 5.0  # the longest the loop sleeps between looks at the ledger


class Newsdesk(commands.Cog, name="Newsroom"):
    follow = app_commands.Group(
        name="follow", description="Topics you follow: new stories on them come to you."
    )

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.sender = Sender(bot, bot.newsroom.outbox, lambda: bot.newsroom.clock())
        self._wake = asyncio.Event()

    async def cog_unload(self) -> None:
        self.deliver_loop.cancel()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if not self.deliver_loop.is_running():
            self.deliver_loop.start()

    @commands.Cog.listener()
    async def on_newsroom_planned(self) -> None:
        """The feeds cog's poll round ended: there may be something to send."""
        self._wake.set()

    @tasks.loop(seconds=0)
    async def deliver_loop(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that comes
        # as the wait ends (the wake and a cog unload at once), and the loop would run on
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DELIVERY_TICK_S):
                await self._wake.wait()
        self._wake.clear()
        if self.bot.is_closed():
            self.deliver_loop.cancel()
            return
        await self.deliver()

    async def deliver(self) -> int:
        """One look at the ledger: send what is due; never raises."""
        try:
            return await self.sender.run_once()
        except Exception:
            log.exception("newsroom: a delivery round failed")
            return 0

    # -- /follow -----------------------------------------------------------------------
    @follow.command(
        name="add", description="Get new stories on a topic (a direct message, or an admin's channel)."
    )
    @app_commands.describe(
        topic="Words of the topic, e.g. Valdoria floods",
        channel="Admins: post the stories in this channel instead of a direct message",
    )
    @app_commands.guild_only()
    async def follow_add(
        self, interaction: discord.Interaction, topic: str, channel: discord.TextChannel | None = None
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        if channel is not None:
            is_admin(interaction)  # raises NotAllowedHere for members
        assert interaction.guild_id is not None
        target = channel.id if channel is not None else None
        follow = Follow(0, str(interaction.guild_id), interaction.user.id, check_topic(topic), target)
        limit = self.bot.settings.follow_max_topics
        now = datetime.now(UTC)
        await asyncio.to_thread(self.bot.newsroom.config.follow, follow, limit, now)
        where = f"in {channel.mention}" if channel else "in a direct message"
        await interaction.followup.send(
            f"Following “{safe(follow.topic)}”: new stories on it will come {where}.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @follow.command(name="list", description="The topics you follow here.")
    @app_commands.guild_only()
    async def follow_list(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        mine = await asyncio.to_thread(
            self.bot.newsroom.config.follows, str(interaction.guild_id), interaction.user.id
        )
        lines = [f"• {safe(f.topic)}" + (f" → <#{f.channel_id}>" if f.channel_id else "") for f in mine]
        text = "\n".join(["You follow:", *lines]) if lines else "You follow no topic here: `/follow add`."
        await interaction.followup.send(clip(text, 2000), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @follow.command(name="remove", description="Stop following a topic.")
    @app_commands.describe(topic="The topic, as /follow list shows it")
    @app_commands.guild_only()
    async def follow_remove(self, interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        config = self.bot.newsroom.config
        gone = await asyncio.to_thread(config.unfollow, str(interaction.guild_id), interaction.user.id, topic)
        text = (
            f"No longer following “{safe(topic)}”."
            if gone
            else "You do not follow that topic (`/follow list`)."
        )
        await interaction.followup.send(clip(text, 2000), ephemeral=True, allowed_mentions=NO_MENTIONS)

    # -- /digest -----------------------------------------------------------------------
    @app_commands.command(
        name="digest", description="Admins: post the day's top stories in a channel, once a day."
    )
    @app_commands.describe(
        channel="Where the digest goes",
        at="The time, HH:MM (24 h), or off",
        timezone="A time zone name, e.g. Europe/Paris (default UTC)",
    )
    @app_commands.guild_only()
    @app_commands.check(is_admin)
    async def digest(
        self, interaction: discord.Interaction, channel: discord.TextChannel, at: str, timezone: str = "UTC"
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        config = self.bot.newsroom.config
        if at.strip().lower() == "off":
            await asyncio.to_thread(config.set_digest, None, channel.id)
            text = f"No more digests in {channel.mention}."
        else:
            when, tz = parse_time(at, timezone.strip() or "UTC")
            digest = Digest(channel.id, str(interaction.guild_id), when, tz)
            await asyncio.to_thread(config.set_digest, digest, channel.id)
            text = f"The day's top stories will be posted in {channel.mention} at {when:%H:%M} ({safe(tz)})."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, NewsBot)
    await bot.add_cog(Newsdesk(bot))
