"""/ask, questions by mention, and follow-ups.

A mention in a channel is answered in a new thread started from the question; in a thread
a member started, or a forum post (threads too: Discord refuses to start a thread from a
message in one, 50024), it is answered where it was asked. Follow-ups in the bot's own
threads need no mention. Whatever goes wrong, the member gets a reply: a known problem's
text, or a reference id that is also in the log (as /ask does).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answering.models import Answer
from bot.answering.news_time.timeframe import narrowed
from bot.answering.rules import recent
from bot.discord_app.client import NewsBot
from bot.discord_app.exts.errors import NotAllowedHere, unexpected
from bot.discord_app.inflight import DROPPED_TEXT
from bot.discord_app.rendering import NO_MENTIONS, answer_embed, clip, refusal_text, safe
from bot.discord_app.streaming import LiveText
from bot.discord_app.views import FeedbackView
from common.errors import NewsdeskError
from vectorstore import Filters

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@!?\d+>")
MAX_THREADS = 1000  # threads whose recent questions are kept (the least recently used go first)


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
        self._threads: OrderedDict[int, list[str]] = OrderedDict()  # thread id -> its last questions
        self.max_threads = MAX_THREADS

    @app_commands.command(name="ask", description="Ask a question about the news articles I have read.")
    @app_commands.describe(
        question="Your question, e.g. where is OpenAI's first international office?",
        since="Only articles from this date on (YYYY-MM-DD)",
        until="Only articles up to this date (YYYY-MM-DD)",
        source="Only articles from this source, e.g. Wikinews",
    )
    @app_commands.checks.dynamic_cooldown(_ask_cooldown, key=lambda i: i.user.id)
    @app_commands.check(_channel_allowed)
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
    ) -> None:
        async def dropped() -> None:  # the stop's grace ran out before the answer
            await interaction.edit_original_response(content=DROPPED_TEXT)

        async with self.bot.in_flight.track(on_drop=dropped):  # a stop lets it finish
            filters = narrowed(Filters.for_guild(interaction.guild_id), since, until, source)
            await self._ask(interaction, question, filters)

    async def _ask(self, interaction: discord.Interaction, question: str, filters: Filters) -> None:
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
                question, interaction.guild_id, on_partial=live.push if live else None, filters=filters
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
        question = self._question_in(message)
        if question is None:
            return
        if self._cooldown.update_rate_limit(message):
            await self._tell(message, "Slow down a little, please ask again in a moment.", delete_after=10)
            return
        try:
            async with self.bot.in_flight.track(on_drop=lambda: self._tell(message, DROPPED_TEXT)):
                await self._answer_message(message, question)
        except NewsdeskError as exc:
            await self._tell(message, clip(safe(str(exc)), 2000))
        except Exception as exc:  # anything else: the member is told, the log says what
            await self._tell(message, unexpected(exc))

    def _question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot: a mention, or any message in its threads."""
        me = self.bot.user
        if me is None or message.author.bot:
            return None
        channel = message.channel
        in_our_thread = isinstance(channel, discord.Thread) and channel.owner_id == me.id
        if not in_our_thread and me not in message.mentions:
            return None
        parent_id = channel.parent_id if isinstance(channel, discord.Thread) else channel.id
        if not self.bot.channel_allowed(parent_id):
            return None
        return " ".join(_MENTION.sub(" ", message.content).split()) or None

    async def _tell(self, message: discord.Message, text: str, **options: Any) -> None:
        try:
            await message.reply(text, allowed_mentions=NO_MENTIONS, **options)
        except discord.HTTPException:
            log.warning("could not reply to message %s", message.id, exc_info=True)

    async def _answer_message(self, message: discord.Message, question: str) -> None:
        question = self.bot.engine.check_question(question)
        channel = message.channel
        if isinstance(channel, discord.Thread):
            await self._in_thread(message, channel, question)
        elif message.guild is None:  # a direct message: no threads there
            async with channel.typing():
                answer = await self.bot.answer(question, None)
            await self._remember(await message.reply(**self._reply(answer)), None, answer)
        else:
            await self._new_thread(message, message.guild, question)

    async def _new_thread(self, message: discord.Message, guild: discord.Guild, question: str) -> None:
        thread = await message.create_thread(name=clip(question, 100))
        self._remember_turn(thread.id, [], question)
        async with thread.typing():
            answer = await self.bot.answer(question, guild.id)
        sent = await thread.send(**self._reply(answer))
        await self._remember(sent, guild.id, answer)

    async def _in_thread(self, message: discord.Message, thread: discord.Thread, question: str) -> None:
        """A follow-up in the bot's thread, or a mention in a member's thread or forum post
        (answered there, as a reply to it)."""
        ours = self.bot.user is not None and thread.owner_id == self.bot.user.id
        history = self._threads.get(thread.id)
        if history is None:
            history = await self._history_from(thread, message) if ours else []
        # remembered before answering: a follow-up sent while this one is answered reads it
        self._remember_turn(thread.id, history, question)
        story = await self._story_of(thread) if ours else []
        async with thread.typing():
            answer = await self.bot.answer(question, thread.guild.id, history, prefer=story)
        reply = self._reply(answer)
        sent = await thread.send(**reply) if ours else await message.reply(**reply)
        await self._remember(sent, thread.guild.id, answer)

    async def _story_of(self, thread: discord.Thread) -> list[str]:
        """A story's thread (started from the newsroom's post): the story's articles, which
        its follow-ups are answered from first, whatever the rolling history keeps."""
        if thread.parent_id is None:
            return []
        return await asyncio.to_thread(self.bot.newsroom.outbox.story_articles, thread.parent_id, thread.id)

    def _remember_turn(self, thread_id: int, history: list[str], question: str) -> None:
        """Keep a thread's last questions, for a bounded number of recently used threads."""
        self._threads.pop(thread_id, None)
        self._threads[thread_id] = recent([*history, question])  # no more than a follow-up reads
        while len(self._threads) > self.max_threads:
            self._threads.popitem(last=False)

    async def _history_from(self, thread: discord.Thread, current: discord.Message) -> list[str]:
        """Earlier questions of a thread (after a restart): its starter and members' messages.
        A story's thread (the newsroom's post) starts with the story's headline."""
        questions: list[str] = []
        if thread.parent is not None and isinstance(thread.parent, discord.TextChannel):
            try:
                starter = await thread.parent.fetch_message(thread.id)
                headline = starter.embeds[0].title if starter.author.bot and starter.embeds else None
                questions.append(headline or " ".join(_MENTION.sub(" ", starter.content).split()))
            except discord.HTTPException:
                pass
        async for earlier in thread.history(limit=50, oldest_first=True):
            if not earlier.author.bot and earlier.id != current.id:
                questions.append(" ".join(_MENTION.sub(" ", earlier.content).split()))
        return [q for q in questions if q]


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, NewsBot)
    await bot.add_cog(Ask(bot))
