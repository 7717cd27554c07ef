"""Admins feed the bot from Discord: /ingest (a URL or an attached file), /articles, /forget.

Admins are members with Manage Server, or with the role named in DISCORD_ADMIN_ROLE.
What they add is scoped to their server; articles added from the CLI are global and can
only be removed from the CLI.
"""

from __future__ import annotations

import logging
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import NewsBot
from bot.discord_app.exts.errors import NotAllowedHere
from bot.discord_app.rendering import NO_MENTIONS, clip, report_text, safe, split_message
from ingest.intake import UPLOAD_NAMES
from ingest.reading.registry import UPLOAD_SUFFIXES
from vectorstore import GLOBAL_SCOPE, Filters

log = logging.getLogger(__name__)
RECENT = 10


def is_admin(interaction: discord.Interaction) -> bool:
    assert isinstance(interaction.client, NewsBot)
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    member = interaction.user
    if isinstance(member, discord.Member):
        if member.guild_permissions.manage_guild:
            return True
        role = interaction.client.settings.discord_admin_role
        if role and any(r.name == role for r in member.roles):
            return True
    raise NotAllowedHere("Only server admins (Manage Server, or the bot's admin role) can do this.")


class Admin(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="ingest", description="Add an article from a URL or an attached file.")
    @app_commands.describe(url="A news article, a PDF, or an RSS/Atom feed", file=f"A {UPLOAD_NAMES} file")
    @app_commands.guild_only()
    @app_commands.check(is_admin)
    async def ingest(
        self, interaction: discord.Interaction, url: str | None = None, file: discord.Attachment | None = None
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        assert interaction.guild_id is not None
        if (url is None) == (file is None):
            await interaction.followup.send("Give either a `url` or a `file`.", ephemeral=True)
            return
        if url is not None:
            report = await self.bot.ingests.run(
                self.bot.intake.ingest_url, url.strip(), str(interaction.guild_id)
            )
        else:
            assert file is not None
            if Path(file.filename).suffix.lower() not in UPLOAD_SUFFIXES:
                await interaction.followup.send(f"Please attach a {UPLOAD_NAMES} file.", ephemeral=True)
                return
            if file.size > self.bot.settings.discord_max_upload_bytes:
                limit = self.bot.settings.discord_max_upload_bytes / 1e6
                await interaction.followup.send(
                    f"That file is over the {limit:.0f} MB limit.", ephemeral=True
                )
                return
            data = await file.read()
            report = await self.bot.ingests.run(
                self.bot.intake.ingest_upload, file.filename, data, str(interaction.guild_id)
            )
        self.bot.metrics.ingested_counts({s: report.count(s) for s in ("added", "updated", "failed")})
        await interaction.followup.send(report_text(report), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="articles", description="The most recent articles I can answer from here.")
    @app_commands.guild_only()
    @app_commands.check(is_admin)
    async def articles(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        visible = await self.bot.answers.run(self.bot.catalog.newest, Filters.for_guild(interaction.guild_id))
        if not visible:
            await interaction.followup.send("No articles yet: add some with `/ingest`.", ephemeral=True)
            return
        lines = [
            f"• {safe(clip(r.title, 90))} ({r.date or 'undated'}"
            f"{', this server' if r.scope != GLOBAL_SCOPE else ''}) — `{safe(clip(r.id, 120))}`"
            for r in visible[:RECENT]
        ]
        head = f"{len(visible)} article(s); the {min(RECENT, len(visible))} most recent:"
        for part in split_message("\n".join([head, *lines])):  # long titles and ids: several messages
            await interaction.followup.send(part, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="forget", description="Remove an article this server added.")
    @app_commands.describe(article_id="The id shown by /articles")
    @app_commands.guild_only()
    @app_commands.check(is_admin)
    async def forget(self, interaction: discord.Interaction, article_id: str) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        records = await self.bot.answers.run(self.bot.catalog.records)
        record = records.get(article_id)
        if record is None or not Filters.for_guild(interaction.guild_id).admits(record):
            await interaction.followup.send("No such article here (see `/articles`).", ephemeral=True)
            return
        if record.scope == GLOBAL_SCOPE:
            await interaction.followup.send(
                "That article was added by the operator for every server; it can be removed with "
                "`newsdesk articles delete` only.",
                ephemeral=True,
            )
            return
        await self.bot.ingests.run(self.bot.intake.forget, article_id, str(interaction.guild_id))
        await interaction.followup.send(
            f"Forgot “{safe(clip(record.title, 200))}”.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, NewsBot)
    await bot.add_cog(Admin(bot))
