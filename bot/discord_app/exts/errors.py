"""One handler for every app command error: known ones become short ephemeral messages;
anything else is logged with a reference id that the user is shown."""

from __future__ import annotations

import logging
import math
import uuid

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import NotAllowedHere
from common.errors import NewsdeskError

log = logging.getLogger(__name__)
__all__ = ["ErrorHandler", "NotAllowedHere", "message_for", "send_ephemeral", "unexpected"]


def message_for(error: Exception) -> str:
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down a little: you can ask again in {math.ceil(original.retry_after)} s."
    if isinstance(original, NotAllowedHere):
        return str(original)
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(original, app_commands.CheckFailure):
        return "You cannot use this command here."
    if isinstance(original, NewsdeskError):
        return str(original)
    return unexpected(original)


def unexpected(error: BaseException) -> str:
    """Log an error nobody planned for under a new reference id; return what the member is
    shown (the id, so that a report can be matched with the log)."""
    reference = uuid.uuid4().hex[:8]
    log.error("unexpected error (reference %s)", reference, exc_info=error)
    return f"Something went wrong on my side (reference `{reference}`)."


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


class ErrorHandler(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await send_ephemeral(interaction, message_for(error))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ErrorHandler(bot))
