"""The real `python -m bot` process: starts, syncs, answers, and stops on SIGTERM like a
service; every start-up failure is one clear line and an exit code, not a traceback."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Awaitable, Callable

import pytest

from bot.feedback import FeedbackStore, feedback_path
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.gateway import IDENTIFY
from tests.bot.discord_standin.limits import INTERACTION_DEADLINE_S, MESSAGE_CONTENT_INTENT
from tests.bot.discord_standin.world import Guild, User
from tests.bot.e2e.conftest import START_S, BotProcess, process_env
from tests.bot.e2e.helpers import ANSWER_S, answered, text_of

pytestmark = pytest.mark.slow
Start = Callable[[dict[str, str]], Awaitable[BotProcess]]
STOP_S = 10.0  # the bound for a clean stop (systemd's default is 90 s, docker's 10 s)


def last_line(process: BotProcess) -> str:
    return process.text.strip().splitlines()[-1]


async def test_starts_syncs_answers_and_stops_cleanly_on_sigterm(
    bot_process: Start, bot_settings: Settings, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    bot = await bot_process(process_env(bot_settings))
    await discord.wait_for(
        lambda: discord.gateway.connected or bot.process.returncode is not None, START_S, "IDENTIFY"
    )
    assert bot.process.returncode is None, bot.text
    (synced,) = discord.calls("sync_guild")
    assert synced.params["guild"] == str(guild.id)
    assert {"ask", "ingest", "articles", "forget"} <= {c["name"] for c in synced.body}
    identify = discord.gateway.log.ops(IDENTIFY)[0]["d"]
    assert identify["intents"] & MESSAGE_CONTENT_INTENT
    assert discord.gateway.log.compressions == ["zstd-stream"]  # as discord.py asks with zstandard installed
    asked = await discord.interactions.command(
        "ask",
        {"question": "what pay rise did the train drivers get?"},
        channel=discord.channel(guild, "general"),
        user=member,
    )
    await discord.wait_for(lambda: asked.callback_type is not None, ANSWER_S, "the deferral")
    started = time.monotonic()
    bot.signal(signal.SIGTERM)  # the answer is in flight (deferred): it is finished, not lost
    assert await bot.wait(STOP_S) == 0, bot.text
    assert time.monotonic() - started < STOP_S
    final = asked.messages[-1]  # the answer itself, with its sources: not a refusal quoting "pay deal"
    assert answered(asked) and final.get("embeds"), text_of(final)
    assert "**4.5 percent** rise" in final["embeds"][0]["description"], text_of(final)  # the figure in bold
    assert asked.deferral_s is not None and asked.deferral_s < INTERACTION_DEADLINE_S
    await discord.wait_for(
        lambda: discord.gateway.log.close_codes, STOP_S, "the websocket's close"
    )  # logged after
    closed = await discord.between_steps(lambda: discord.gateway.log.close_codes[-1])
    assert closed == 1000, bot.text  # closed, not dropped: Discord ends the session
    assert "Traceback" not in bot.text
    answer_id = int(asked.messages[-1]["id"])
    assert FeedbackStore(feedback_path(bot_settings.data_dir)).vote(
        answer_id, member.id, "up"
    )  # answer was recorded


@pytest.mark.parametrize("why", ["not in the server", "no applications.commands scope"])
async def test_a_refused_command_sync_is_one_line_and_exit_1(
    why: str, bot_process: Start, bot_settings: Settings, discord: DiscordStandIn, guild: Guild
) -> None:
    settings = bot_settings
    if why == "not in the server":
        settings = bot_settings.model_copy(update={"discord_guild_ids": "123456789012345678"})
    else:
        guild.has_commands_scope = False
    bot = await bot_process(process_env(settings))
    assert await bot.wait(START_S) == 1
    assert [c.status for c in discord.calls("sync_guild")] == [403]
    assert "Traceback" not in bot.text
    line = last_line(bot)
    assert (
        "DISCORD_GUILD_IDS" in line and "applications.commands" in line and settings.discord_guild_ids in line
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("base", ["http://discord.invalid/api/v10", "closed port"])
async def test_no_network_at_start_is_one_line_and_exit_1(
    base: str, bot_process: Start, bot_settings: Settings
) -> None:
    if base == "closed port":
        base = f"http://127.0.0.1:{_closed_port()}/api/v10"
    bot = await bot_process(process_env(bot_settings) | {"DISCORD_API_BASE": base})
    assert await bot.wait(START_S) == 1
    assert "Traceback" not in bot.text
    assert "cannot reach Discord" in last_line(bot)


async def test_a_wrong_token_is_one_line_and_exit_2(bot_process: Start, bot_settings: Settings) -> None:
    bot = await bot_process(process_env(bot_settings) | {"DISCORD_TOKEN": "not-the-token"})
    assert await bot.wait(START_S) == 2
    assert "Traceback" not in bot.text and "DISCORD_TOKEN" in last_line(bot)
    assert "not-the-token" not in bot.text  # the token is a secret


async def test_a_missing_intent_is_one_line_and_exit_2(
    bot_process: Start, bot_settings: Settings, discord: DiscordStandIn
) -> None:
    async with discord.changing():
        discord.state.message_content_intent = False  # the portal's switch is off
    bot = await bot_process(process_env(bot_settings))
    assert await bot.wait(START_S) == 2
    assert "Traceback" not in bot.text and "Message Content" in last_line(bot)
