"""Fixtures of the Discord tests that drive the cogs in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_fakes import make_news_bot
from vectorstore.embedding import Embedder


@pytest.fixture
async def news_bot(settings: Settings, embedder: Embedder) -> AsyncIterator[NewsBot]:
    """The real NewsBot over an empty store (a test's own articles are ingested by it)."""
    bot = await make_news_bot(settings, embedder)
    yield bot
    bot.answers.shutdown()
    bot.ingests.shutdown()
