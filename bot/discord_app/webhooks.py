"""A feed's posts under its own name and avatar: one webhook per channel, made by the bot
(it needs Manage Webhooks there) and executed with the feed's name and avatar on each
message (`discord.Webhook.send(username=, avatar_url=, wait=True)`); its posts are edited
through it (a webhook's message is not the bot's to edit). The ledger finds such a post
again by the webhook's id on the message (`Message.webhook_id`)."""

from __future__ import annotations

import logging

import discord

from bot.discord_app.newsroom_render import Outgoing
from bot.discord_app.rendering import clip

log = logging.getLogger(__name__)
WEBHOOK_NAME = "newsdesk feeds"
NAME_CHARS = 80  # Discord's limit on a webhook's (and an execution's) username


class NoWebhookError(Exception):
    """The channel has no webhook of the bot and it may not make one; the text says why."""


async def channel_webhook(channel: discord.abc.GuildChannel, me: discord.ClientUser) -> discord.Webhook:
    """The bot's webhook in a text channel: found among the channel's, else made."""
    if not isinstance(channel, discord.TextChannel):
        raise NoWebhookError(f"#{channel.name} is not a text channel")
    if not channel.permissions_for(channel.guild.me).manage_webhooks:
        raise NoWebhookError(f"I need Manage Webhooks in #{channel.name} to post as the feed")
    hooks = await channel.webhooks()
    found = next((h for h in hooks if h.user is not None and h.user.id == me.id and h.token), None)
    if found is None:
        found = await channel.create_webhook(name=WEBHOOK_NAME, reason="newsdesk: feeds under their names")
        log.info("newsroom: made a webhook in channel %s", channel.id)
    return found


class ChannelWebhooks:
    """The bot's webhooks by channel, looked up (or made) once per process."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._hooks: dict[int, discord.Webhook] = {}

    async def get(self, channel_id: int) -> discord.Webhook:
        if channel_id not in self._hooks:
            channel = self.client.get_channel(channel_id)
            me = self.client.user
            if not isinstance(channel, discord.abc.GuildChannel) or me is None:
                raise NoWebhookError("the channel is not one of a server the bot is in")
            self._hooks[channel_id] = await channel_webhook(channel, me)
        return self._hooks[channel_id]

    def ours(self, message: discord.Message) -> bool:
        hook = message.webhook_id
        return hook is not None and any(h.id == hook for h in self._hooks.values())

    async def send(self, channel_id: int, outgoing: Outgoing) -> discord.Message:
        """A message in the channel under its persona (name, avatar URL); Discord's reply."""
        hook = await self.get(channel_id)
        name, avatar = outgoing.persona or (WEBHOOK_NAME, None)
        return await hook.send(
            content=outgoing.content or discord.utils.MISSING,
            embeds=outgoing.embeds,
            username=clip(name, NAME_CHARS) or WEBHOOK_NAME,
            avatar_url=avatar or discord.utils.MISSING,
            allowed_mentions=outgoing.mentions,
            wait=True,
        )

    async def edit(self, channel_id: int, message_id: int, outgoing: Outgoing) -> None:
        hook = await self.get(channel_id)
        o = outgoing
        await hook.edit_message(message_id, content=o.content, embeds=o.embeds, allowed_mentions=o.mentions)
