"""Shards: the real bot as discord.py's AutoShardedBot over the stand-in, which
sends each server's events to its shard ((guild_id >> 22) % shards) as Discord does. Two
bots holding shard 0 and shard 1 of 2 (two processes' worth, here on one event loop) each
answer /ask and mentions in their own servers; one bot holding both answers in both."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import App
from bot.discord_app.client import NewsBot
from bot.discord_app.lifecycle import connect
from bot.discord_app.runner import build_bot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.gateway import IDENTIFY
from tests.bot.discord_standin.world import Guild, User
from tests.bot.e2e.conftest import START_S, RunningBot
from tests.bot.e2e.helpers import BRIDGE, ask, bot_reply, text_of
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow


async def start_shards(
    settings: Settings, embedder: Embedder, discord: DiscordStandIn, guilds: set[int]
) -> RunningBot:
    bot = build_bot(settings, App(settings, embedder=embedder))
    running = RunningBot(bot, asyncio.create_task(connect(bot, settings)))
    await discord.wait_for(
        lambda: running.task.done() or (bot.is_ready() and guilds <= {g.id for g in bot.guilds}),
        START_S,
        f"shards {settings.shard_ids or 'all'} ready",
    )
    if running.task.done():
        running.task.result()
    return running


def _events(discord: DiscordStandIn, shard: int, kind: str) -> list[dict[str, object]]:
    return [e["d"] for e in discord.gateway.sessions[shard].events if e["t"] == kind]


@pytest.fixture
async def sharded(bot_settings: Settings, discord: DiscordStandIn) -> tuple[Settings, list[Guild]]:
    async with discord.changing():
        discord.state.shard_count = 2
    guilds = [discord.add_guild(f"shard-{n}", shard=n) for n in (0, 1)]
    ids = ",".join(str(g.id) for g in guilds)
    return bot_settings.model_copy(update={"discord_guild_ids": ids, "shard_count": 2}), guilds


async def test_each_process_answers_the_servers_of_its_shard(
    sharded: tuple[Settings, list[Guild]], embedder: Embedder, discord: DiscordStandIn, member: User
) -> None:
    settings, guilds = sharded
    bots: list[RunningBot] = []
    try:
        for n in (0, 1):
            bots.append(
                await start_shards(
                    settings.model_copy(update={"shard_ids": str(n)}), embedder, discord, {guilds[n].id}
                )
            )
        assert [p["d"]["shard"] for p in discord.gateway.log.ops(IDENTIFY)] == [[0, 2], [1, 2]]
        for n, guild in enumerate(guilds):
            assert guild.id in {g.id for g in bots[n].bot.guilds}
            assert guilds[1 - n].id not in {g.id for g in bots[n].bot.guilds}, (
                "the other shard's server is not here"
            )
            interaction = await ask(discord, discord.channel(guild, "general"), member)
            assert "London" in text_of(interaction.messages[-1])
            routed = [int(str(d["guild_id"])) for d in _events(discord, n, "INTERACTION_CREATE")]
            assert routed == [guild.id], "the question went to its server's shard"
        general = discord.channel(guilds[1], "general")
        await discord.say(general, member, BRIDGE)
        await discord.wait_for(lambda: discord.threads_of(general), 15, "the mention's thread")
        thread = discord.threads_of(general)[0]
        assert "1 April" in text_of(await bot_reply(discord, thread))
        syncs = discord.calls("sync_guild")
        assert len(syncs) == len(guilds), "the commands are registered once, by the process holding shard 0"
    finally:
        for running in bots:
            await running.stop()


async def test_one_process_can_hold_every_shard_discord_recommends(
    sharded: tuple[Settings, list[Guild]], embedder: Embedder, discord: DiscordStandIn, member: User
) -> None:
    settings, guilds = sharded
    running = await start_shards(
        settings.model_copy(update={"shard_count": None}), embedder, discord, {g.id for g in guilds}
    )
    try:
        bot: NewsBot = running.bot
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1], "as GET /gateway/bot recommends"
        for guild in guilds:
            interaction = await ask(discord, discord.channel(guild, "general"), member)
            assert "London" in text_of(interaction.messages[-1])
        assert discord.gateway.connected_shards() == {0, 1}
    finally:
        await running.stop()
