"""/healthz and /metrics of the real bot over the stand-in: not ready before the
gateway is connected, ready once it is, not ready while the store is being reopened; the
metrics count questions, their latency, refusals, the answer queue and each shard's
latency, in Prometheus' text format (parsed with prometheus_client's own parser)."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.app import App
from bot.discord_app.lifecycle import connect
from bot.discord_app.runner import build_bot
from bot.health import HealthServer, start
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import Guild, User
from tests.bot.e2e.conftest import START_S, RunningBot
from tests.bot.e2e.fleet import get, samples
from tests.bot.e2e.helpers import ask
from tests.helpers import written_elsewhere
from vectorstore.chroma import connection
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow


async def _health(port: int) -> tuple[int, dict[str, object]]:
    status, body = await asyncio.to_thread(get, port, "/healthz")
    return status, json.loads(body)


def _full_disk(*args: object) -> None:
    raise OSError("No space left on device")


async def test_healthz_says_ready_only_when_connected_and_the_store_is_open_and_metrics_count(
    bot_settings: Settings,
    embedder: Embedder,
    discord: DiscordStandIn,
    guild: Guild,
    member: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = App(bot_settings, embedder=embedder)
    bot = build_bot(bot_settings, app)
    server = HealthServer(bot.metrics, "127.0.0.1", 0)  # port 0: any free one
    try:
        status, body = await _health(server.port)
        assert status == 503 and "gateway" in body["failing"]  # type: ignore[operator]
        running = RunningBot(bot, asyncio.create_task(connect(bot, bot_settings)))
        await discord.wait_for(lambda: bot.is_ready(), START_S, "the bot ready")
        assert await _health(server.port) == (200, {"status": "ready"})

        await ask(discord, discord.channel(guild, "general"), member)
        await ask(discord, discord.channel(guild, "general"), member, "what did the mayor of Atlantis say?")
        seen = await samples(server.port)
        assert seen[("newsdesk_questions_total", (("door", "ask"),))] == 2
        assert seen[("newsdesk_answer_seconds_count", ())] == 2
        assert seen[("newsdesk_refusals_total", ())] == 1
        assert seen[("newsdesk_answer_queue_depth", ())] == 0
        assert ("newsdesk_shard_latency_seconds", (("shard", "0"),)) in seen

        written_elsewhere(app.store)  # another process wrote; its reopen here fails half-way
        with monkeypatch.context() as disk:
            disk.setattr(connection, "open_client", _full_disk)
            with pytest.raises(OSError):
                app.store.sync()
        status, body = await _health(server.port)
        assert status == 503 and body["failing"] == {"store": "reopening the store"}
        app.store.records()  # the next read reopens it
        assert (await _health(server.port))[0] == 200
        assert (await asyncio.to_thread(get, server.port, "/"))[0] == 404
        await running.stop()
        status, body = await _health(server.port)
        assert status == 503 and body["failing"]["gateway"] == "closed"  # type: ignore[index]
    finally:
        server.close()
    assert start(bot.metrics, "127.0.0.1", None) is None, "off unless METRICS_PORT is set"
