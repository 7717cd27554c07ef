"""Objects that behave like discord.py's own, for driving the cogs without a gateway.

Every mock is spec'd from the real class (as python-discord/bot's tests/helpers.py does):
an attribute discord.py does not have is an error, not a silent MagicMock.
"""

from __future__ import annotations

import itertools
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord

from bot.answering.generation.llm import ChatBackend
from bot.app import App
from bot.discord_app.client import NewsBot
from bot.discord_app.runner import build_bot
from bot.settings import Settings
from vectorstore.embedding import Embedder

_ids = itertools.count(1_000_000)


def next_id() -> int:
    return next(_ids)


def make_message(content: str = "", channel: Any = None, **attrs: Any) -> MagicMock:
    message = MagicMock(spec_set=discord.Message)
    message.id = next_id()
    message.content = content
    message.channel = channel if channel is not None else make_text_channel()
    message.mentions = []
    message.reply = AsyncMock(side_effect=lambda *a, **k: make_message(k.get("content", "")))
    for key, value in attrs.items():
        setattr(message, key, value)
    return message


def make_member(guild_id: int, manage_guild: bool = False, roles: tuple[str, ...] = ()) -> MagicMock:
    member = MagicMock(spec_set=discord.Member)
    member.id = next_id()
    member.bot = False
    member.guild_permissions = discord.Permissions(manage_guild=manage_guild)
    member.roles = [_role(name) for name in roles]
    member.guild = MagicMock(spec_set=discord.Guild, id=guild_id)
    return member


def _role(name: str) -> MagicMock:
    role = MagicMock(spec_set=discord.Role)
    role.name = name
    role.id = next_id()
    return role


def make_text_channel(channel_id: int | None = None) -> MagicMock:
    channel = MagicMock(spec_set=discord.TextChannel)
    channel.id = channel_id or next_id()
    channel.typing = MagicMock(return_value=AsyncMock())
    channel.send = AsyncMock(
        side_effect=lambda *a, **k: make_message(k.get("content") or "", channel=channel)
    )
    return channel


def make_thread(owner_id: int, guild: Any, parent: Any) -> MagicMock:
    thread = MagicMock(spec_set=discord.Thread)
    thread.id = next_id()
    thread.owner_id = owner_id
    thread.guild = guild
    thread.parent = parent
    thread.parent_id = parent.id
    thread.typing = MagicMock(return_value=AsyncMock())
    thread.send = AsyncMock(side_effect=lambda *a, **k: make_message(k.get("content") or "", channel=thread))
    return thread


def make_interaction(
    client: Any, user: Any, guild_id: int | None, channel_id: int | None = None
) -> MagicMock:
    interaction = MagicMock(spec_set=discord.Interaction)
    interaction.client = client
    interaction.user = user
    interaction.guild_id = guild_id
    interaction.guild = MagicMock(spec_set=discord.Guild, id=guild_id) if guild_id else None
    interaction.channel_id = channel_id or next_id()
    interaction.created_at = discord.utils.utcnow()
    interaction.response = MagicMock(spec_set=discord.InteractionResponse)
    interaction.response.defer = AsyncMock()
    interaction.response.send_message = AsyncMock()
    interaction.response.is_done = MagicMock(return_value=False)

    async def deferred(*args: Any, **kwargs: Any) -> None:
        interaction.response.is_done.return_value = True

    interaction.response.defer.side_effect = deferred
    interaction.followup = MagicMock(spec_set=discord.Webhook)
    channel = make_text_channel(interaction.channel_id)
    returned: list[MagicMock] = []  # what each followup.send returned, in order

    async def followup_send(*args: Any, **kwargs: Any) -> MagicMock:
        message = make_message(kwargs.get("content") or "", channel=channel)
        returned.append(message)
        return message

    interaction.followup.send = AsyncMock(side_effect=followup_send)
    interaction.followup.send.returned = returned  # a plain AsyncMock: the recording is ours
    return interaction


def make_bot_user() -> MagicMock:
    user = MagicMock(spec_set=discord.ClientUser)
    user.id = next_id()
    user.bot = True
    return user


async def invoke(bot: Any, command: Any, interaction: Any, **params: Any) -> None:
    """Run an app command as the command tree does: checks, the callback, and on an
    error the tree's single error handler."""
    from discord import app_commands

    try:
        if not await command._check_can_run(interaction):
            raise app_commands.CheckFailure(f"checks of {command.name!r} failed")
        await command._do_call(interaction, params)
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(interaction, error)


async def make_news_bot(settings: Settings, embedder: Embedder, chat: ChatBackend | None = None) -> NewsBot:
    """The real NewsBot with its parts from the composition root, extensions loaded, and a
    bot user, without a gateway."""
    bot = build_bot(settings, App(settings, embedder=embedder, chat=chat))
    await bot.prepare()
    bot._connection.user = make_bot_user()
    return bot
