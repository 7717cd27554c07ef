"""Exactly once across kill -9: the real `python -m bot` process delivers a feed's stories;
Discord stores one of its posts but the answer never reaches the bot (held by the
stand-in), and the process is killed with SIGKILL right then. Started again, it finds
that post among the channel's messages (the ledger recorded the intent before the
request), records it, and sends the rest: every story posted once, none lost."""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.newsroom import NewsroomDB, Outbox, newsroom_path
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import GUILD_TEXT, Guild
from tests.bot.e2e.conftest import START_S, BotProcess, process_env
from tests.bot.e2e.test_newsroom import follow_feed, posts, titles
from tests.bot.newsroom.fixtures import Feeds, load
from tests.helpers import serving

pytestmark = pytest.mark.slow
Start = Callable[[dict[str, str]], Awaitable[BotProcess]]
STORIES = [r for r in load() if r.kind == "first"][:6]
DELIVERY_S = 120.0  # a process loads the model and embeds the feed before its first post


async def test_kill_9_during_a_delivery_and_restart_posts_every_story_once(
    bot_process: Start, bot_settings: Settings, discord: DiscordStandIn, guild: Guild, data_dir: Path
) -> None:
    news = discord.add_channel(guild, "news", GUILD_TEXT)
    with serving({}) as server:
        follow_feed(data_dir, Feeds(server).serve("Coastal Times", STORIES), news)
        hold = discord.holds.hold("create_message", after=2)  # the third post: stored, never answered
        first = await bot_process(process_env(bot_settings))
        await discord.wait_for(
            lambda: hold.held or first.process.returncode is not None, DELIVERY_S, "the held post"
        )
        assert first.process.returncode is None, first.text
        first.signal(signal.SIGKILL)
        assert await first.wait(10) == -signal.SIGKILL
        assert len(posts(discord, news)) == 3  # Discord has three; the bot recorded two
        discord.holds.release_all()

        second = await bot_process(process_env(bot_settings))
        await discord.wait_for(
            lambda: len(posts(discord, news)) >= len(STORIES) or second.process.returncode is not None,
            START_S + DELIVERY_S,
            "every story posted",
        )
        assert second.process.returncode is None, second.text
        ledger = Outbox(NewsroomDB(newsroom_path(data_dir)))
        await discord.wait_for(lambda: ledger.open_count() == 0, DELIVERY_S, "an empty ledger")
        assert "was already sent" in second.text  # found among the channel's messages, not sent again
        second.signal(signal.SIGTERM)
        assert await second.wait(15) == 0, second.text
    assert sorted(titles(posts(discord, news))) == sorted(r.title for r in STORIES)
    assert "Traceback" not in second.text
