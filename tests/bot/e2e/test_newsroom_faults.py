"""The newsroom when Discord or an admin gets in the way, over the real wire (the real bot,
feeds on 127.0.0.1, the Discord stand-in): a post dropped before it went out (its feed
removed) and an edit Discord refuses do not stop the channel's later posts; a story's
thread deleted or locked sends its updates to the channel without blocking it; a channel
blocked for a while gets no more than the flood limit when it is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.discord_app.client import NewsBot
from bot.newsroom import NewsroomDB, Outbox, newsroom_path
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn, limits
from tests.bot.discord_standin.world import Channel, Guild
from tests.bot.e2e.conftest import START_S, start_bot
from tests.bot.e2e.test_newsroom import DELIVERY_S, follow_feed, poll, posts, titles
from tests.bot.newsroom.fixtures import Feeds, by_key, load
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow
R = by_key(load())
FIRSTS = [r for r in load() if r.kind == "first"]


@pytest.fixture
async def bot(
    bot_settings: Settings, embedder: Embedder, discord: DiscordStandIn, news: Channel
) -> AsyncIterator[NewsBot]:
    running = await start_bot(
        bot_settings.model_copy(update={"newsroom_posts_per_poll": 3}), embedder, discord
    )
    yield running.bot
    await running.stop()


async def pause_deliveries(bot: NewsBot, discord: DiscordStandIn) -> Any:
    """The delivery loop stopped: the test sends what is planned with `cog.deliver()`."""
    cog: Any = bot.get_cog("Newsroom")
    await discord.wait_for(lambda: cog.deliver_loop.is_running(), START_S, "the delivery loop")
    cog.deliver_loop.cancel()
    await discord.wait_for(lambda: not cog.deliver_loop.is_running(), START_S, "the loop stopped")
    return cog


async def test_the_delivery_loop_stops_when_stopped_as_it_wakes(
    bot: NewsBot, discord: DiscordStandIn
) -> None:
    cog: Any = bot.get_cog("Newsroom")
    await discord.wait_for(lambda: cog.deliver_loop.is_running(), START_S, "the delivery loop")
    await asyncio.sleep(0.1)  # the loop waits for a wake
    await cog.on_newsroom_planned()  # a poll round ended: the wait ends ...
    await asyncio.sleep(0)
    cog.deliver_loop.cancel()  # ... as the cog is unloaded (the stop must not be lost)
    await discord.wait_for(lambda: not cog.deliver_loop.is_running(), START_S, "the loop stopped")


def ledger(data_dir: Path) -> Outbox:
    return Outbox(NewsroomDB(newsroom_path(data_dir)))


async def test_a_post_dropped_unsent_and_a_refused_edit_do_not_stop_the_channel(
    bot: NewsBot, discord: DiscordStandIn, news: Channel, feeds: Feeds, data_dir: Path
) -> None:
    cog = await pause_deliveries(bot, discord)
    floods = R["arven-floods@Coastal Times"]
    coastal = feeds.serve("Coastal Times", [floods])
    follow_feed(data_dir, coastal, news)
    await poll(bot)  # the story's post is planned ...
    removed = CliRunner().invoke(cli, ["feeds", "remove", coastal], env={"NEWSDESK_DATA_DIR": str(data_dir)})
    assert removed.exit_code == 0, removed.output  # ... and dropped before it went out
    wire = [R["arven-floods@Northern Wire"], R["sella-bridge@Northern Wire"]]
    follow_feed(data_dir, feeds.serve("Northern Wire", wire), news)
    await poll(bot)  # another feed's copy of the story, and a new story
    await cog.deliver()
    assert sorted(titles(posts(discord, news))) == sorted({floods.title, wire[1].title})  # the copy posts it
    assert ledger(data_dir).open_count() == 0

    # Discord refuses an edit ("also reported by") for good: it is dropped, not retried
    # in front of the channel's next post
    feeds.serve("Northern Wire", [*wire, R["arven-floods@Daily Courier"], R["kesh-ferry@Harbour Gazette"]])
    discord.fail("edit_message", 400, times=5, code=50035)
    await poll(bot, everything=True)
    await cog.deliver()
    assert R["kesh-ferry@Harbour Gazette"].title in titles(posts(discord, news))
    assert [c.status for c in discord.calls("edit_message")] == [400]
    assert ledger(data_dir).open_count() == 0


async def test_a_deleted_or_locked_story_thread_sends_its_updates_to_the_channel(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, news: Channel, feeds: Feeds, data_dir: Path
) -> None:
    served = [R["arven-floods@Coastal Times"], R["keltia-quake@Northern Wire"]]
    follow_feed(data_dir, feeds.serve("Coastal Times", served), news)
    await poll(bot)
    await discord.wait_for(lambda: len(posts(discord, news)) == 2, DELIVERY_S, "the two stories' posts")
    served += [R["flood-toll-58@Valdoria Herald"], R["keltia-27@City Star"]]
    feeds.serve("Coastal Times", served)
    await poll(bot, everything=True)
    threads = {m["embeds"][0]["title"]: int(m["id"]) for m in posts(discord, news)}
    flood_thread, quake_thread = threads[served[0].title], threads[served[1].title]
    await discord.wait_for(
        lambda: all(
            t in discord.state.channels and discord.messages_by_bot(discord.state.channels[t])
            for t in (flood_thread, quake_thread)
        ),
        DELIVERY_S,
        "an update in each story's thread",
    )
    # a moderator deletes the floods story's thread and locks the quake story's
    async with discord.changing():
        discord.state.channels.pop(flood_thread)
        guild.channels.pop(flood_thread)
        discord.state.channels[quake_thread].denied = limits.SEND_MESSAGES_IN_THREADS
    served += [
        R["waters-recede@Coastal Times"],
        R["keltia-search-ends@Daily Courier"],
        R["kesh-ferry@Harbour Gazette"],
    ]
    feeds.serve("Coastal Times", served)
    await poll(bot, everything=True)
    await discord.wait_for(lambda: len(posts(discord, news)) == 5, DELIVERY_S, "two updates and a post")
    said = [m["content"] for m in posts(discord, news)]
    assert any(s.startswith("Update, 7 Mar — 71 dead (was 58)") for s in said)
    assert any(s.startswith("Update, 8 Mar") for s in said)
    assert R["kesh-ferry@Harbour Gazette"].title in titles(posts(discord, news))
    state = bot.newsroom.config.channels([news.id])[news.id]
    assert state.last_error is None and state.retry_at is None  # the channel was never blocked
    await discord.wait_for(lambda: ledger(data_dir).open_count() == 0, DELIVERY_S, "the posts' edits")


async def test_a_channel_blocked_for_rounds_gets_the_flood_limit_and_one_line_when_back(
    bot: NewsBot, discord: DiscordStandIn, news: Channel, feeds: Feeds, data_dir: Path
) -> None:
    async with discord.changing():
        news.denied = limits.SEND_MESSAGES  # an admin took the bot's right to post there
    follow_feed(data_dir, feeds.serve("Backlog", FIRSTS[:5]), news)
    await poll(bot)
    await discord.wait_for(
        lambda: [c for c in discord.calls("create_message") if c.status == 403],
        DELIVERY_S,
        "the refused post",
    )
    for served in (FIRSTS[:9], FIRSTS[:12]):  # two more rounds while the channel is backed off
        feeds.serve("Backlog", served)
        await poll(bot, everything=True)
    async with discord.changing():
        news.denied = 0
    later = datetime.now(UTC) + timedelta(hours=1)
    bot.newsroom.clock = lambda: later  # past the back-off
    cog: Any = bot.get_cog("Newsroom")
    await cog.deliver()
    await discord.wait_for(lambda: ledger(data_dir).open_count() == 0, DELIVERY_S, "the backlog sent")
    *three, more = posts(discord, news)
    assert len(three) == 3 and more["embeds"][0]["title"] == "…and 9 more stories"
    listed = [r for r in FIRSTS[:12] if r.title in more["embeds"][0]["description"]]
    assert sorted(r.key for r in listed + [r for r in FIRSTS[:12] if r.title in titles(three)]) == sorted(
        r.key for r in FIRSTS[:12]
    )
