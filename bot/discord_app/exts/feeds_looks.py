"""/feeds template, preview and webhook: how a feed's posts look (a template with
placeholders, plain or an embed; the feed's name and avatar on a channel webhook). A base
of the Feeds cog (exts/feeds.py)."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from bot.discord_app.exts.admin import is_admin
from bot.discord_app.exts.errors import NotAllowedHere
from bot.discord_app.exts.feeds_control import FeedsControl
from bot.discord_app.exts.feeds_setup import feeds_group
from bot.discord_app.newsroom_render import post_message
from bot.discord_app.rendering import NO_MENTIONS, clip, safe
from bot.discord_app.webhooks import NoWebhookError, channel_webhook
from bot.newsroom import PostState
from bot.newsroom.config import channel_key, feed_key
from bot.newsroom.posting.templates import PLACEHOLDERS, Look, check_persona, check_template, is_off
from bot.newsroom.reading import entry_card


class FeedsLooks(FeedsControl):
    """The commands; the Feeds cog (a subclass) gives them its bot and poller."""

    @feeds_group.command(name="template", description="How a feed's (or a channel's) new posts read.")
    @app_commands.describe(
        text="With placeholders: {title} {link} {outlet} {outlets} {date} {summary} {feed}; off: the default",
        url="This feed's posts (in every channel of this server)",
        channel="Or: the posts of every feed in this channel without a template of its own",
        embed="Fill an embed under the story's linked title (default), or the message's text",
    )
    @app_commands.check(is_admin)
    async def template(
        self,
        interaction: discord.Interaction,
        text: str,
        url: str | None = None,
        channel: discord.TextChannel | None = None,
        embed: bool = True,
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild = interaction.guild
        assert guild is not None
        if (url is None) == (channel is None):
            raise NotAllowedHere("Name the feed (`url:`) or the channel (`channel:`), one of them.")
        off = is_off(text)
        checked = None if off else check_template(text, embed)
        if url is not None:
            feed = await asyncio.to_thread(self._feed, guild, url, True)
            key, where = feed_key(feed.url, feed.scope), f"<{safe(clip(feed.url, 300))}>"
        else:
            assert channel is not None
            key, where = channel_key(channel.id), channel.mention
        config = self.bot.newsroom.config
        await asyncio.to_thread(config.update_look, key, template=checked, embed=embed)
        said = "the default look" if off else f"this {'embed' if embed else 'plain-text'} template"
        await self._reply(interaction, f"New posts of {where} use {said} (`/feeds preview` shows one).")

    @feeds_group.command(name="preview", description="A feed's newest entry as its posts look (for you).")
    @app_commands.describe(url="The feed's URL", text="Try this template", embed="Embed or not")
    @app_commands.check(is_admin)
    async def preview(
        self, interaction: discord.Interaction, url: str, text: str | None = None, embed: bool = True
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild = interaction.guild
        assert guild is not None
        feed = await asyncio.to_thread(self._feed, guild, url)
        look = await asyncio.to_thread(self._look, guild, feed.url, feed.scope)
        if text is not None:
            look = look.model_copy(update={"template": check_template(text), "embed": embed})
        entry = await self.bot.ingests.run(self.poller.newest_entry, feed.url, feed.scope)
        shown = post_message(PostState(card=entry_card(entry), look=look))
        known = " ".join(f"{{{p}}}" for p in PLACEHOLDERS)
        await interaction.followup.send(
            content=shown.content or f"-# Placeholders: {known}",
            embeds=shown.embeds,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @feeds_group.command(name="webhook", description="Post a feed's stories under its own name and avatar.")
    @app_commands.describe(
        url="The feed's URL",
        name="The name its posts show (default: the feed's host)",
        avatar="An https address of the image its posts show",
        off="Post as the bot again",
    )
    @app_commands.check(is_admin)
    async def webhook(
        self,
        interaction: discord.Interaction,
        url: str,
        name: str | None = None,
        avatar: str | None = None,
        off: bool = False,
    ) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild, me = interaction.guild, self.bot.user
        assert guild is not None and me is not None
        feed = await asyncio.to_thread(self._feed, guild, url, True)
        key, config = feed_key(feed.url, feed.scope), self.bot.newsroom.config
        if off:
            await asyncio.to_thread(config.update_look, key, webhook=False)
            await self._reply(interaction, "Its posts are the bot's again.")
            return
        persona = check_persona(name, avatar)
        routes = await asyncio.to_thread(config.routes, feed.url, feed.scope)
        found = [guild.get_channel(r.channel_id) for r in routes]
        channels = [c for c in found if isinstance(c, discord.TextChannel)]
        if not channels:
            raise NotAllowedHere("This feed posts in no channel here: `/feeds add` it with `channel:` first.")
        for channel in channels:  # made now, so that a missing permission is said now
            try:
                await channel_webhook(channel, me)
            except NoWebhookError as why:
                raise NotAllowedHere(f"{why}: grant it and ask again (its posts stay the bot's).") from None
        look = await asyncio.to_thread(config.update_look, key, webhook=True, **persona)
        where = ", ".join(c.mention for c in channels)
        await self._reply(interaction, f"Its posts in {where} show as **{safe(look.name or feed.url)}**.")

    def _look(self, guild: discord.Guild, url: str, scope: str) -> Look:
        """In a thread: the look of the feed's posts in this server (its first channel's)."""
        routes = [r for r in self.bot.newsroom.config.routes(url, scope) if guild.get_channel(r.channel_id)]
        if routes:
            return routes[0].look
        return self.bot.newsroom.config.look(feed_key(url, scope)) or Look()
