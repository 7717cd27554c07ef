"""The bot: a commands.Bot that loads the answering core once and hands blocking work
to worker pools."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import discord
from discord.ext import commands

from bot.answering.engine import AnswerEngine
from bot.answering.factory import build_engine, open_store
from bot.answering.models import Answer
from bot.discord_app.rendering import NO_MENTIONS
from bot.discord_app.views import FeedbackView
from bot.discord_app.workers import WorkerPool
from bot.feedback import FeedbackStore, feedback_path
from bot.settings import Settings
from ingest.errors import SourceError
from ingest.pipeline import Ingestor, IngestReport
from ingest.runner import build_ingestor, source_options
from ingest.sources import SUFFIXES, iter_items
from vectorstore.models import Article
from vectorstore.retrieval import Filters

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.discord_app.exts.errors",
    "bot.discord_app.exts.ask",
    "bot.discord_app.exts.admin",
)
UPLOAD_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


class NewsBot(commands.Bot):
    def __init__(self, settings: Settings, engine_factory: Callable[[], AnswerEngine] | None = None) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: needed to read questions in mentions
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
        )
        if settings.embedding_threads == 0:
            # answers run in parallel: give each worker its share of the cores, so that two
            # questions do not fight over the same ones (seen: 480 ms for a 14 ms query)
            threads = max(1, (os.cpu_count() or 1) // settings.answer_workers)
            settings = settings.model_copy(update={"embedding_threads": threads})
        self.settings = settings
        self.answers = WorkerPool("answer", settings.answer_workers, settings.answer_queue)
        self.ingests = WorkerPool("ingest", 1, 4)
        self.feedback = FeedbackStore(feedback_path(settings.data_dir))
        self._engine_factory = engine_factory or (lambda: build_engine(settings, store=open_store(settings)))
        self._engine: AnswerEngine | None = None
        self.stream_interval = 1.0  # seconds between edits of a reply being generated
        self._ingestor: Ingestor | None = None

    @property
    def engine(self) -> AnswerEngine:
        if self._engine is None:
            raise RuntimeError("the answering core is not loaded yet (setup_hook)")
        return self._engine

    async def setup_hook(self) -> None:
        await self.prepare()
        await self.sync_commands()

    async def prepare(self) -> None:
        """Load the answering core (in a worker), the extensions and the persistent view."""
        self._engine = await self.answers.run(self._load_engine)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_view(FeedbackView(self.feedback))

    def _load_engine(self) -> AnswerEngine:
        engine = self._engine_factory()
        # Load the model, the snapshot and Chroma's vector index before the first question:
        # the first search of a process loads the index (about 0.4 s with a small store),
        # and the answer workers would all wait on it.
        engine.retriever.retrieve("warm up", k=1)
        return engine

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
        log.info(
            "logged in as %s (%s) in %d server(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds)
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
    ) -> Answer:
        return await self.answers.run(
            self.engine.answer, question, list(history), Filters.for_guild(guild_id), None, on_partial
        )

    @property
    def streams(self) -> bool:
        """Whether answers are generated (and so worth showing as they are written)."""
        return self._engine is not None and self._engine.generator is not None

    def channel_allowed(self, channel_id: int | None) -> bool:
        allowed = self.settings.channel_ids
        return not allowed or channel_id in allowed

    def _ingestor_for_writes(self) -> Ingestor:
        if self._ingestor is None:
            self._ingestor = build_ingestor(
                self.settings, self.engine.retriever.embedder, self.engine.retriever.store
            )
        return self._ingestor

    def ingest_url(self, url: str, guild_id: int) -> IngestReport:
        """Fetch for a Discord user: public addresses only, every redirect re-checked."""
        options = source_options(self.settings, public_only=True, scope=str(guild_id))
        return self._ingestor_for_writes().run(iter_items([url], options))

    def ingest_upload(self, filename: str, data: bytes, guild_id: int) -> IngestReport:
        name = Path(filename).name
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES or suffix not in SUFFIXES:
            raise SourceError(f"{name}: attach a .txt, .md, .html or .pdf file.")
        options = source_options(self.settings, public_only=True, scope=str(guild_id))
        with tempfile.TemporaryDirectory(prefix="newsdesk-upload-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            temporary_id = str(path.resolve())
            items = (
                replace(i, id=f"upload:{guild_id}/{name}")
                if isinstance(i, Article) and i.id == temporary_id
                else i
                for i in iter_items([str(path)], options)
            )
            return self._ingestor_for_writes().run(items)
