"""/ask, questions by mention (answered in a new thread), and follow-ups in that thread."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answering.models import Answer
from bot.answering.rules import HISTORY_TURNS
from bot.discord_app.client import NewsBot
from bot.discord_app.exts.errors import NotAllowedHere
from bot.discord_app.rendering import NO_MENTIONS, answer_embed, clip, refusal_text, safe
from bot.discord_app.streaming import LiveText
from bot.discord_app.views import FeedbackView
from vectorstore.errors import NewsdeskError

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@!?\d+>")


def _bot(interaction: discord.Interaction) -> NewsBot:
    assert isinstance(interaction.client, NewsBot)
    return interaction.client


def _ask_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown:
    settings = _bot(interaction).settings
    return app_commands.Cooldown(settings.ask_rate, settings.ask_per_s)


def _channel_allowed(interaction: discord.Interaction) -> bool:
    if not _bot(interaction).channel_allowed(interaction.channel_id):
        raise NotAllowedHere("I answer questions only in the channels the admins chose.")
    return True


class Ask(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self._cooldown = commands.CooldownMapping.from_cooldown(
            bot.settings.ask_rate, bot.settings.ask_per_s, commands.BucketType.user
        )
        self._threads: dict[int, list[str]] = {}

    @app_commands.command(name="ask", description="Ask a question about the news articles I have read.")
    @app_commands.describe(question="Your question, e.g. where is OpenAI's first international office?")
    @app_commands.checks.dynamic_cooldown(_ask_cooldown, key=lambda i: i.user.id)
    @app_commands.check(_channel_allowed)
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        question = self.bot.engine.check_question(question)  # fails fast, before deferring
        await interaction.response.defer(thinking=True)
        live = (
            LiveText(
                lambda text: interaction.edit_original_response(content=text),
                self.bot.settings.discord_edit_interval_s,
            )
            if self.bot.streams
            else None
        )
        if live:
            live.start()
        try:
            answer = await self.bot.answer(
                question, interaction.guild_id, on_partial=live.push if live else None
            )
        finally:
            if live:
                await live.stop()
        if live and live.edits:  # the final edit replaces the partial text with the verified answer
            reply = self._reply(answer)
            message: discord.Message = await interaction.edit_original_response(
                content=reply.get("content"),
                embed=reply.get("embed"),
                view=reply["view"],
                allowed_mentions=NO_MENTIONS,
            )
        else:
            message = await interaction.followup.send(wait=True, **self._reply(answer))
        await self._remember(message, interaction.guild_id, answer)

    def _reply(self, answer: Answer) -> dict[str, Any]:
        view = FeedbackView(self.bot.feedback)
        if answer.refused:
            return {
                "content": clip(safe(refusal_text(answer)), 2000),
                "view": view,
                "allowed_mentions": NO_MENTIONS,
            }
        return {"embed": answer_embed(answer), "view": view, "allowed_mentions": NO_MENTIONS}

    async def _remember(self, message: discord.Message, guild_id: int | None, answer: Answer) -> None:
        """Keep what was answered, for the votes (SQLite, so off the event loop)."""
        await asyncio.to_thread(
            self.bot.feedback.record_answer,
            message.id,
            guild_id,
            message.channel.id,
            answer.question,
            answer.text,
            [c.article_id for c in answer.citations],
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot:
            return
        channel = message.channel
        in_our_thread = isinstance(channel, discord.Thread) and channel.owner_id == me.id
        if not in_our_thread and me not in message.mentions:
            return
        parent_id = channel.parent_id if isinstance(channel, discord.Thread) else channel.id
        if not self.bot.channel_allowed(parent_id):
            return
        question = " ".join(_MENTION.sub(" ", message.content).split())
        if not question:
            return
        if self._cooldown.update_rate_limit(message):
            await message.reply(
                "Slow down a little, please ask again in a moment.",
                delete_after=10,
                allowed_mentions=NO_MENTIONS,
            )
            return
        try:
            if isinstance(channel, discord.Thread) and in_our_thread:
                await self._follow_up(message, channel, question)
            else:
                await self._new_thread(message, question)
        except NewsdeskError as exc:
            await message.reply(clip(safe(str(exc)), 2000), allowed_mentions=NO_MENTIONS)

    async def _new_thread(self, message: discord.Message, question: str) -> None:
        question = self.bot.engine.check_question(question)
        if message.guild is None:  # a direct message: no threads there
            async with message.channel.typing():
                answer = await self.bot.answer(question, None)
            sent = await message.reply(**self._reply(answer))
            await self._remember(sent, None, answer)
            return
        thread = await message.create_thread(name=clip(question, 100))
        async with thread.typing():
            answer = await self.bot.answer(question, message.guild.id)
        sent = await thread.send(**self._reply(answer))
        await self._remember(sent, message.guild.id, answer)
        self._threads[thread.id] = [question]

    async def _follow_up(self, message: discord.Message, thread: discord.Thread, question: str) -> None:
        question = self.bot.engine.check_question(question)
        history = self._threads.get(thread.id)
        if history is None:
            history = await self._history_from(thread, message)
        async with thread.typing():
            answer = await self.bot.answer(question, thread.guild.id, history[-HISTORY_TURNS:])
        sent = await thread.send(**self._reply(answer))
        await self._remember(sent, thread.guild.id, answer)
        self._threads[thread.id] = [*history, question]

    async def _history_from(self, thread: discord.Thread, current: discord.Message) -> list[str]:
        """Earlier questions of a thread (after a restart): its starter and members' messages."""
        questions: list[str] = []
        if thread.parent is not None and isinstance(thread.parent, discord.TextChannel):
            try:
                starter = await thread.parent.fetch_message(thread.id)
                questions.append(" ".join(_MENTION.sub(" ", starter.content).split()))
            except discord.HTTPException:
                pass
        async for earlier in thread.history(limit=50, oldest_first=True):
            if not earlier.author.bot and earlier.id != current.id:
                questions.append(" ".join(_MENTION.sub(" ", earlier.content).split()))
        return [q for q in questions if q]


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, NewsBot)
    await bot.add_cog(Ask(bot))
