"""The bot: discord.py's AutoShardedBot (one process runs SHARD_IDS of SHARD_COUNT shards,
or every shard Discord recommends) that receives the answering core and the ingest service
from the composition root (bot/app.py) and hands blocking work to worker pools."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import discord
from discord.ext import commands

from bot.answering.models import Answer
from bot.app import BotParts
from bot.discord_app.inflight import InFlight
from bot.discord_app.rendering import NO_MENTIONS
from bot.discord_app.views import FeedbackView
from bot.discord_app.workers import BusyError, WorkerPool
from bot.settings import Settings
from vectorstore import Filters

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.discord_app.exts.errors",
    "bot.discord_app.exts.ask",
    "bot.discord_app.exts.admin",
    "bot.discord_app.exts.feeds",
    "bot.discord_app.exts.news",  # /news
    "bot.discord_app.exts.newsroom",  # /follow, /digest, deliveries
)


class NewsBot(commands.AutoShardedBot):
    """Everything it uses is handed in: the parts (engine, intake, feedback store,
    catalog) and the two worker pools, as discord.py's advanced_startup example does. A
    server's events come to the process holding its shard, so its questions, votes and
    /feeds are handled there; the process holding shard 0 registers the commands."""

    def __init__(
        self, settings: Settings, parts: BotParts, answers: WorkerPool, ingests: WorkerPool
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: needed to read questions in mentions
        shards: dict[str, Any] = {"shard_ids": settings.shards} if settings.shards is not None else {}
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            shard_count=settings.shard_count,
            **shards,
        )
        self.settings = settings
        self.engine = parts.engine
        self.intake = parts.intake
        self.feedback = parts.feedback
        self.catalog = parts.catalog
        self.feeds = parts.feeds
        self.newsroom = parts.newsroom
        self.metrics = parts.metrics
        self.metrics.checks["gateway"] = self.gateway_state
        self.metrics.watch_queue(lambda: answers.in_flight)
        self.metrics.watch_shards(lambda: self.latencies)
        self.answers = answers
        self.ingests = ingests
        self.in_flight = InFlight()  # answers being worked on, which a stop lets finish

    async def setup_hook(self) -> None:
        await self.prepare()
        if self.settings.registers_commands:
            await self.sync_commands()

    async def prepare(self) -> None:
        """The extensions and the persistent view (the parts were loaded before)."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_view(FeedbackView(self.feedback))

    async def sync_commands(self) -> None:
        if self.settings.guild_ids:
            for guild_id in self.settings.guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            log.info("commands synced to %d server(s)", len(self.settings.guild_ids))
        else:
            await self.tree.sync()
            log.info("commands synced globally (may take up to an hour to appear)")

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions are questions, handled by the ask extension."""

    async def on_ready(self) -> None:
        shards = sorted(self.shards) if self.shards else "all"
        log.info(
            "logged in as %s (%s) in %d server(s), shards %s of %s",
            self.user,
            getattr(self.user, "id", "?"),
            len(self.guilds),
            shards,
            self.shard_count,
        )

    async def close(self) -> None:
        self.answers.shutdown()
        self.ingests.shutdown()
        await super().close()

    # -- the core, off the event loop ---------------------------------------------------

    async def answer(
        self,
        question: str,
        guild_id: int | None,
        history: Sequence[str] = (),
        on_partial: Callable[[str], None] | None = None,
        filters: Filters | None = None,  # /ask's since, until and source, within the server's scope
        prefer: Sequence[str] = (),  # a story's articles (its thread): answered from them first
    ) -> Answer:
        filters = filters or Filters.for_guild(guild_id)
        args = (question, list(history), filters, None, on_partial)
        return await self.timed("ask", self.engine.answer, *args, prefer=tuple(prefer))

    async def timed(self, door: str, fn: Callable[..., Answer], *args: Any, **kwargs: Any) -> Answer:
        """An answer computed in the answer pool, counted in the metrics (health.py): its
        time from arrival (queue included), a refusal, an LLM fallback, or its failure."""
        started = time.monotonic()
        try:
            answer = await self.answers.run(fn, *args, **kwargs)
        except BusyError:
            self.metrics.failed(door, "busy")
            raise
        except Exception:
            self.metrics.failed(door, "error")
            raise
        self.metrics.answered(door, time.monotonic() - started, answer.refused, answer.mode == "fallback")
        return answer

    def gateway_state(self) -> str | None:
        """None when every shard of this process is connected and ready; else why not (the
        health check: bot/health.py)."""
        if self.is_closed():
            return "closed"
        if not self.is_ready():
            return "connecting to the gateway"
        down = sorted(n for n, shard in self.shards.items() if shard.is_closed())
        return f"shard(s) {down} disconnected" if down else None

    def newsroom_planned(self) -> None:
        """Wake the newsroom's delivery loop: a poll round may have planned messages."""
        if self.is_ready():
            self.dispatch("newsroom_planned")

    @property
    def streams(self) -> bool:
        """Whether answers are generated (and so worth showing as they are written)."""
        return self.engine.generator is not None

    def channel_allowed(self, channel_id: int | None) -> bool:
        allowed = self.settings.channel_ids
        return not allowed or channel_id in allowed
