"""👍/👎 under every answer. One persistent view serves every answer message, so votes
still work after a restart (the buttons' custom ids are fixed; the message id says
which answer was voted on)."""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.discord_app.exts.errors import message_for, send_ephemeral
from bot.feedback import FeedbackStore, Vote

log = logging.getLogger(__name__)


class FeedbackView(discord.ui.View):
    def __init__(self, store: FeedbackStore) -> None:
        super().__init__(timeout=None)
        self._store = store

    async def _vote(self, interaction: discord.Interaction, vote: Vote) -> None:
        message = interaction.message
        if message is None:
            await send_ephemeral(interaction, "I cannot tell which answer this vote is for.")
            return
        stored = await asyncio.to_thread(self._store.vote, message.id, interaction.user.id, vote)
        text = (
            "Thanks for the feedback." if stored else "I no longer know this answer; the vote was not stored."
        )
        await interaction.response.send_message(text, ephemeral=True)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[FeedbackView]
    ) -> None:
        """A vote that could not be stored is answered too, with a reference in the log."""
        await send_ephemeral(interaction, message_for(error))

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id="newsdesk:feedback:up")
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]) -> None:
        await self._vote(interaction, "up")

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id="newsdesk:feedback:down")
    async def down(self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]) -> None:
        await self._vote(interaction, "down")
