"""The composition root: the one place that builds newsdesk's parts from Settings.

Every entry point (the `newsdesk` CLI, `python -m bot`, `newsdesk bot`, the eval, the
benches) makes one `App` and takes the parts it needs from it; the parts receive what they
use through their constructors and never look anything up themselves. As discord.py's
`examples/advanced_startup.py` creates its pool and session before the bot and passes
them in, `NewsBot` receives its `BotParts` built here. (`newsdesk eval` makes an App of
its own over a temporary store; the embedded store's connection and the loaded model are
shared by the Apps of a process, one per process.)

Parts are built on first use and once: `newsdesk stats` opens the store without loading
the embedding model, and `newsdesk ask` never imports torch.

    App.store     ChromaStore(settings)                     vectorstore
    App.embedder  make_embedder(settings)                   vectorstore
    App.retriever Retriever(store, embedder)                vectorstore
    App.chat      make_chat_model(llm_options(settings))    the LLM provider registry
    App.engine    AnswerEngine(retriever, options, generator(chat, embedder))
    App.ingestor  Ingestor(store, embedder, chunking, StoryIndex(stories.sqlite3))  ingest
    App.intake    Intake(ingestor, store, source options)   ingest (Discord's /ingest, /forget)
    App.feedback  FeedbackStore(data dir)                   votes
    App.feeds     FeedPoller(FeedRegistry(feeds.sqlite3), ingestor, source options, writer lock, newsroom,
                  the poller seat: store.poller_seat(POLLER_LEASE_S), if FEED_POLLING)
    App.newsroom  Newsroom(newsroom.sqlite3, retriever, TopicMatcher)  deliveries, digests
    App.metrics   Metrics() with the store's health check   health (/healthz, /metrics)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from bot.settings import Settings
from vectorstore import (
    GLOBAL_SCOPE,
    ChromaStore,
    Embedder,
    Retriever,
    Seat,
    canonical_model_name,
    make_embedder,
    poller_seat,
)
from vectorstore.retrieval.catalog import Catalog

if TYPE_CHECKING:  # each part's module is imported when the part is first built
    from bot.answering.engine import AnswerEngine
    from bot.answering.generation.providers import ChatBackend, LLMOptions
    from bot.feedback import FeedbackStore
    from bot.health import Metrics
    from bot.newsroom import Newsroom
    from ingest.feeds import FeedPoller
    from ingest.intake import Intake
    from ingest.pipeline import Ingestor
    from ingest.report import IngestReport, ProgressCallback

_NOT_GIVEN = object()


@dataclass(frozen=True)
class BotParts:
    """What the Discord bot uses, built before it connects."""

    engine: AnswerEngine
    intake: Intake
    feedback: FeedbackStore
    catalog: Catalog
    feeds: FeedPoller
    newsroom: Newsroom
    metrics: Metrics


def bot_settings(settings: Settings) -> Settings:
    """The bot answers in parallel: give each answer worker its share of the cores, so that
    two questions do not fight over the same ones (seen: 480 ms for a 14 ms question)."""
    if settings.embedding_threads != 0:
        return settings
    threads = max(1, (os.cpu_count() or 1) // settings.answer_workers)
    return settings.model_copy(update={"embedding_threads": threads})


def question_settings(settings: Settings) -> Settings:
    """A terminal that answers one question at a time (`newsdesk ask`, `chat`) embeds one
    short text per question: ONNX Runtime does it on one thread in half the CPU time of two,
    and no later (bench/answer_cpu.py, farm-bench on a cold ask)."""
    if settings.embedding_threads != 0:
        return settings
    return settings.model_copy(update={"embedding_threads": 1})


def llm_options(settings: Settings) -> LLMOptions:
    """The answering core's LLM options: each `LLMOptions` field from the setting `llm_<field>`."""
    from bot.answering.generation.providers import LLMOptions

    return LLMOptions(**{f.name: getattr(settings, f"llm_{f.name}") for f in fields(LLMOptions)})


class App:
    """Builds each part once, on first use. Tests and benches may hand in an already
    loaded embedder, an open store or a chat model; everything else is built here."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        store: ChromaStore | None = None,
        chat: ChatBackend | object | None = _NOT_GIVEN,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._store = store
        self._chat = chat

    @cached_property
    def store(self) -> ChromaStore:
        if self._store is not None:
            return self._store
        return ChromaStore(self.settings, canonical_model_name(self.settings.embedding_model))

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or make_embedder(self.settings)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.store, self.embedder)

    @cached_property
    def chat(self) -> ChatBackend | None:
        from bot.answering.generation.providers import ChatBackend, make_chat_model

        if self._chat is _NOT_GIVEN:
            return make_chat_model(llm_options(self.settings))
        assert self._chat is None or isinstance(self._chat, ChatBackend)
        return self._chat

    @cached_property
    def engine(self) -> AnswerEngine:
        from bot.answering.engine import AnswerEngine, AnswerOptions
        from bot.answering.generation.generative import Generator

        s, chat = self.settings, self.chat
        generator = Generator(chat, self.embedder, s.support_threshold, s.max_answer_chars) if chat else None
        options = AnswerOptions(
            top_k=s.top_k,
            min_evidence=s.min_evidence,
            max_answer_chars=s.max_answer_chars,
            max_question_chars=s.max_question_chars,
            answer_search_depth=s.answer_search_depth,
        )
        return AnswerEngine(self.retriever, options, generator)

    @cached_property
    def ingestor(self) -> Ingestor:
        from ingest.identity.neardup import StoryIndex
        from ingest.pipeline import Ingestor

        s = self.settings
        stories = StoryIndex(s.data_dir / "stories.sqlite3")  # wire copies (ingest/identity/neardup.py)
        chunking = (s.chunk_tokens, s.chunk_overlap_tokens, s.ingest_flush_chunks)
        return Ingestor(self.store, self.embedder, *chunking, stories=stories)

    @cached_property
    def intake(self) -> Intake:
        from ingest.intake import Intake
        from ingest.runner import source_options

        return Intake(self.ingestor, self.store, source_options(self.settings))

    @cached_property
    def feedback(self) -> FeedbackStore:
        from bot.feedback import FeedbackStore, feedback_path

        return FeedbackStore(feedback_path(self.settings.data_dir))

    @cached_property
    def feeds(self) -> FeedPoller:
        """Followed feeds: the subscriptions need only the data dir; the ingestor (model,
        store) is built when a poll first has something to write, under the writer lock."""
        from ingest.feeds import FeedPoller, FeedRegistry, feeds_path
        from ingest.runner import source_options

        registry = FeedRegistry(feeds_path(self.settings.data_dir))
        return FeedPoller(
            registry,
            lambda items: self.ingestor.run(items),
            source_options(self.settings),
            lambda: self.store.writing("feed poller"),
            listener=self.newsroom,
            seat=self._polls,
            tick=timedelta(seconds=self.settings.poll_tick_s),
        )

    @cached_property
    def metrics(self) -> Metrics:
        """This process's metrics and health checks (bot/health.py), served on METRICS_PORT;
        the store's check is here, the gateway's is the bot's."""
        from bot.health import Metrics

        metrics = Metrics()
        metrics.checks["store"] = lambda: self.store.busy
        return metrics

    @cached_property
    def poller_seat(self) -> Seat:
        """The fleet's one feed poller (a lease on a Chroma server, a flock beside an embedded
        store), asked at each poll round."""
        return poller_seat(self.settings, lambda: self.store)

    def _polls(self) -> bool:
        """Whether this process is the fleet's feed poller now (FEED_POLLING off: never)."""
        return self.settings.feed_polling and self.poller_seat.held()

    def stand_down(self) -> None:
        """Let go of the poller seat, if this process took it (a stop): another process of
        the fleet takes it at its next tick instead of after the lease."""
        if "poller_seat" in self.__dict__:
            self.poller_seat.release()

    @cached_property
    def newsroom(self) -> Newsroom:
        """Deliveries to Discord channels, followed topics and digests: the file
        needs only the data dir; the retriever and the topic matcher are built when a
        round has something to plan."""
        from bot.answering.topics import TopicMatcher
        from bot.newsroom import Newsroom, NewsroomDB, newsroom_path

        s = self.settings
        return Newsroom(
            NewsroomDB(newsroom_path(s.data_dir)),
            lambda: self.retriever,
            lambda: TopicMatcher(self.retriever, s.min_evidence),
            s.newsroom_posts_per_poll,
        )

    def ingest(
        self, targets: list[str], on_progress: ProgressCallback | None = None, scope: str = GLOBAL_SCOPE
    ) -> IngestReport:
        """`newsdesk ingest`: files, folders, URLs and feeds, for every server."""
        from ingest.runner import run_ingest

        return run_ingest(
            self.settings, targets, ingestor=self.ingestor, on_progress=on_progress, scope=scope
        )

    def warm_up(self) -> None:
        """Load the model, the snapshot (manifest, BM25 replica, the host's rows and chunk
        index brought up to date) before the first question: a bot's answer workers would
        all wait on them."""
        self.retriever.retrieve("warm up", k=1)

    def bot_parts(self) -> BotParts:
        self.warm_up()
        catalog = Catalog(self.retriever)
        parts = (self.engine, self.intake, self.feedback, catalog, self.feeds, self.newsroom, self.metrics)
        return BotParts(*parts)
