"""50 concurrent /ask from 10 servers through the wire: every deferral inside Discord's
3 seconds and every answer delivered. Timings are figures for bench/discord_load.py,
not assertions here, except the deadline, which is Discord's rule."""

from __future__ import annotations

import asyncio

import pytest

from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.limits import INTERACTION_DEADLINE_S
from tests.bot.discord_standin.world import User, snowflake
from tests.bot.e2e.conftest import start_bot
from tests.bot.e2e.helpers import ANSWER_S, SAMPLE_QUESTIONS, answered, text_of
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow


async def test_fifty_concurrent_questions_from_ten_servers(
    bot_settings: Settings, embedder: Embedder, discord: DiscordStandIn
) -> None:
    guilds = [discord.add_guild(f"server-{n}") for n in range(10)]
    # with the default ANSWER_QUEUE (64, 2 workers): every one of the 50 is answered, none is "busy"
    settings = bot_settings.model_copy(update={"discord_guild_ids": ",".join(str(g.id) for g in guilds)})
    running = await start_bot(settings, embedder, discord)
    try:
        askers = [(g, User(snowflake(), f"member-{g.name}-{n}")) for g in guilds for n in range(5)]
        interactions = await asyncio.gather(*(
            discord.interactions.command("ask", {"question": SAMPLE_QUESTIONS[i % len(SAMPLE_QUESTIONS)]},
                                         channel=discord.channel(g, "general"), user=user)
            for i, (g, user) in enumerate(askers)
        ))
        await discord.wait_for(lambda: all(answered(i) for i in interactions), ANSWER_S * 4, "50 answers")
    finally:
        await running.stop()
    assert len(interactions) == 50
    late = [i.deferral_s for i in interactions if i.deferral_s is None or i.deferral_s >= INTERACTION_DEADLINE_S]
    assert not late, f"deferrals at or over Discord's 3 s: {late}"
    assert not discord.calls("callback") or all(c.status == 200 for c in discord.calls("callback"))
    unanswered = [text_of(i.messages[-1]) for i in interactions if not i.messages[-1]["embeds"]]
    assert not unanswered, f"{len(unanswered)} questions got no answer: {unanswered[:3]}"
