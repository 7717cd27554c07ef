"""The gateway: heartbeats at HELLO's interval; a close with 4000 is resumed (missed
events replayed), and an INVALID_SESSION makes the bot identify again; the bot answers
after both."""

from __future__ import annotations

import pytest

from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.gateway import HEARTBEAT, IDENTIFY, RESUME
from tests.bot.discord_standin.limits import INTERACTION_DEADLINE_S
from tests.bot.discord_standin.thread import StandInThread
from tests.bot.discord_standin.world import Guild, User
from tests.bot.e2e.conftest import start_bot
from tests.bot.e2e.helpers import ANSWER_S, answered, ask, text_of
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow


async def test_close_4000_is_resumed_and_a_missed_question_answered(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    session = discord.gateway.session
    assert session is not None
    await discord.gateway.close(4000)
    # sent while the bot is away: Discord keeps it for the resumed session
    missed = await discord.interactions.command(
        "ask",
        {"question": "who broke the course record at the marathon?"},
        channel=discord.channel(guild, "general"),
        user=member,
    )
    await discord.wait_for(lambda: answered(missed), ANSWER_S, "the missed question's answer")
    resumes = discord.gateway.log.ops(RESUME)
    assert len(resumes) == 1 and resumes[0]["d"]["session_id"] == session.id
    assert len(discord.gateway.log.ops(IDENTIFY)) == 1  # resumed, not a new session
    assert missed.deferral_s is not None and missed.deferral_s < INTERACTION_DEADLINE_S


async def test_invalid_session_makes_the_bot_identify_again(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    await discord.gateway.invalidate(resumable=False)
    await discord.wait_for(
        lambda: len(discord.gateway.log.ops(IDENTIFY)) == 2 and discord.gateway.connected,
        ANSWER_S,
        "a second IDENTIFY",
    )
    interaction = await ask(discord, discord.channel(guild, "general"), member)
    assert "London" in text_of(interaction.messages[-1])


async def test_heartbeats_are_sent_at_the_interval_hello_gives(
    bot_settings: Settings, embedder: Embedder
) -> None:
    async with StandInThread(heartbeat_ms=100) as discord:
        discord.add_guild("newsroom")
        settings = bot_settings.model_copy(
            update={"discord_api_base": discord.api_base, "discord_guild_ids": ""}
        )
        running = await start_bot(settings, embedder, discord)
        try:
            await discord.wait_for(
                lambda: len(discord.gateway.log.ops(HEARTBEAT)) >= 6, ANSWER_S, "six heartbeats"
            )
        finally:
            await running.stop()
    assert len(discord.gateway.log.ops(IDENTIFY)) == 1 and not discord.gateway.log.ops(
        RESUME
    )  # ACKed: no reconnect
    assert [c.route for c in discord.requests if c.route.startswith("sync")] == ["sync_global"]
