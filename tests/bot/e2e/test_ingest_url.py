"""A server admin's `/ingest url:` over the wire fetches the page before it takes the
store's writer lock (the Discord door: tests/ingest/test_fetch_outside_lock.py
has the CLI's): while the page's name is being looked up (the look-up answers only when
the test lets it), the bot's process holds no writer lock and is not taking it."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import Guild
from tests.bot.e2e.helpers import ANSWER_S
from vectorstore import ChromaStore, canonical_model_name

pytestmark = pytest.mark.slow
SLOW_HOST = "slow-dns.news.example"


async def test_ingest_url_fetches_before_it_takes_the_writer_lock(
    bot: NewsBot,
    bot_settings: Settings,
    discord: DiscordStandIn,
    guild: Guild,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real, asked, release = socket.getaddrinfo, threading.Event(), threading.Event()

    def lookup(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host == SLOW_HOST:
            asked.set()
            release.wait(120)
            host = "127.0.0.1"  # then refused: a Discord user's fetch reaches public addresses only
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    # the bot's own hold: one per store and process, whichever object asks (locks.py)
    lock = ChromaStore(bot_settings, canonical_model_name(bot_settings.embedding_model)).writer_lock
    general = discord.channel(guild, "general")
    try:
        ingest = await discord.interactions.command(
            "ingest", {"url": f"http://{SLOW_HOST}/harbour"}, channel=general, user=guild.owner
        )
        assert await asyncio.to_thread(asked.wait, 120), "the page's name was never looked up"
        busy = lock.busy_here
    finally:
        release.set()
    await discord.wait_for(lambda: ingest.messages and not ingest.loading, ANSWER_S, "the ingest report")
    assert not busy, "the writer lock was held (or being taken) while the page was fetched"
    report = ingest.messages[-1]["content"]
    assert ingest.ephemeral and "0 added" in report and "private or reserved" in report, report
