"""Stopping (what SIGTERM does, in-process): questions arriving during the stop are told
the bot is restarting, an answer not finished within the grace is dropped with a word to
its member, and the websocket is closed with 1000. (test_startup.py sends the real SIGTERM
to the real process, with an answer that finishes.)"""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.discord_app.inflight import DROPPED_TEXT
from bot.discord_app.lifecycle import stop
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import Guild, User, snowflake
from tests.bot.e2e.conftest import start_bot
from tests.bot.e2e.helpers import ANSWER_S, OPENAI, answered
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow


async def test_a_stop_refuses_new_questions_and_drops_what_overruns_its_grace(
    bot_settings: Settings, embedder: Embedder, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    running = await start_bot(bot_settings, embedder, discord)
    general = discord.channel(guild, "general")
    release = threading.Event()  # every answer worker waits on it: the next answer cannot finish
    occupied = [
        asyncio.ensure_future(running.bot.answers.run(release.wait, 10))
        for _ in range(bot_settings.answer_workers)
    ]
    try:
        asked = await discord.interactions.command("ask", {"question": OPENAI}, channel=general, user=member)
        await discord.wait_for(lambda: asked.callback_type is not None, ANSWER_S, "the deferral")
        stopping = asyncio.create_task(stop(running.bot, "test", running.task, grace=1.0))
        await discord.wait_for(lambda: running.bot.in_flight.stopping, ANSWER_S, "the stop")
        late = await discord.interactions.command(
            "ask", {"question": OPENAI}, channel=general, user=User(snowflake(), "bob")
        )
        await discord.wait_for(lambda: answered(late), ANSWER_S, "the late question's reply")
        await asyncio.wait_for(stopping, ANSWER_S)
    finally:
        release.set()
        await asyncio.gather(*occupied, return_exceptions=True)
    assert late.ephemeral and "restarting" in late.messages[-1]["content"]
    assert answered(asked) and asked.messages[-1]["content"] == DROPPED_TEXT
    # the stand-in logs the close on its own loop, after the bot's stop has returned
    await discord.wait_for(lambda: discord.gateway.log.close_codes, ANSWER_S, "the websocket's close")
    assert await discord.between_steps(lambda: discord.gateway.log.close_codes[-1]) == 1000
