"""How the newsroom sends, over the real wire: a flood after an outage (at most N posts and
one "and N more stories" line, within the channel's rate limit, a 429 waited out), a
channel that refuses the bot (403: reported in /feeds list and backed off, not retried in
a loop), a daily digest posted once at its time (a fixed clock), and an admin's opt-in
role pinged by a feed's new posts, nothing else ever pinged. The stand-in here enforces
Discord's per-channel message rate limit (5 per 5 s)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn, limits
from tests.bot.discord_standin.thread import StandInThread
from tests.bot.discord_standin.world import GUILD_TEXT, Channel, Guild
from tests.bot.e2e.conftest import start_bot
from tests.bot.e2e.test_newsroom import DELIVERY_S, command, follow_feed, poll, posts, titles
from tests.bot.newsroom.fixtures import Feeds, load
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow
FIRSTS = [r for r in load() if r.kind == "first"]


@pytest.fixture
async def discord() -> AsyncIterator[DiscordStandIn]:
    async with StandInThread(channel_rate=(5, 5.0)) as standin:
        yield standin


@pytest.fixture
async def channels(discord: DiscordStandIn, guild: Guild) -> dict[str, Channel]:
    locked = discord.add_channel(guild, "locked", GUILD_TEXT)
    async with discord.changing():
        locked.denied = limits.SEND_MESSAGES  # an admin took the bot's right to post there
    return {name: discord.add_channel(guild, name, GUILD_TEXT) for name in ("news", "digest")} | {
        "locked": locked
    }


@pytest.fixture
async def bot(
    bot_settings: Settings, embedder: Embedder, discord: DiscordStandIn, channels: dict[str, Channel]
) -> AsyncIterator[NewsBot]:
    running = await start_bot(
        bot_settings.model_copy(update={"newsroom_posts_per_poll": 3}), embedder, discord
    )
    yield running.bot
    await running.stop()


def created(discord: DiscordStandIn, channel: Channel) -> list[Any]:
    return [c for c in discord.calls("create_message") if int(c.params["channel"]) == channel.id]


async def test_a_flood_is_three_posts_and_one_line_within_the_rate_limit_and_a_429_is_waited_out(
    bot: NewsBot, discord: DiscordStandIn, channels: dict[str, Channel], feeds: Feeds, data_dir: Path
) -> None:
    news = channels["news"]
    backlog = FIRSTS[:12]
    follow_feed(data_dir, feeds.serve("Backlog", backlog), news, "--role", "555")
    discord.fail("create_message", 429, times=1, retry_after=0.5)
    await poll(bot)
    await discord.wait_for(lambda: len(posts(discord, news)) == 4, DELIVERY_S, "3 posts and the 'more' line")
    *three, more = posts(discord, news)
    posted = [r for r in backlog if r.title in titles(three)]
    assert len(posted) == 3 and more["embeds"][0]["title"] == "…and 9 more stories"
    listed = [r for r in backlog if r.title in more["embeds"][0]["description"]]
    assert sorted(r.key for r in posted + listed) == sorted(r.key for r in backlog)  # each once
    assert min(r.date for r in posted) >= max(r.date for r in listed)  # the newest are posted
    calls = created(discord, news)
    assert [c.status for c in calls] == [429, 200, 200, 200, 200]  # the 429 waited out, once
    assert not discord.rate.refused  # paced by the X-RateLimit headers: never over Discord's limit
    assert all(c.body["nonce"].startswith("newsdesk-") and c.body["enforce_nonce"] for c in calls)
    # the feed's admin-chosen role is pinged by its new posts only; nothing else pings
    for call in calls[1:]:
        mentions = call.body["allowed_mentions"]
        assert mentions["parse"] == [] and not mentions.get("users")
        if call.body.get("content") == "<@&555>":
            assert [str(r) for r in mentions["roles"]] == ["555"]
        else:
            assert not mentions.get("roles")
    assert sum(c.body.get("content") == "<@&555>" for c in calls[1:]) == 3


async def test_a_channel_that_refuses_the_bot_is_reported_and_backed_off(
    bot: NewsBot,
    discord: DiscordStandIn,
    guild: Guild,
    channels: dict[str, Channel],
    feeds: Feeds,
    data_dir: Path,
) -> None:
    locked = channels["locked"]
    follow_feed(data_dir, feeds.serve("Coastal Times", FIRSTS[:2]), locked)  # two stories, one round
    await poll(bot)  # wakes the delivery loop
    cog: Any = bot.get_cog("Newsroom")
    # rounds side by side with the loop's, while its 403 is in flight, and after it
    await asyncio.gather(*(cog.deliver() for _ in range(3)))
    await discord.wait_for(lambda: created(discord, locked), DELIVERY_S, "the refused post")
    for _ in range(3):  # more rounds: the channel is not tried again before its back-off
        await cog.deliver()
    assert [c.status for c in created(discord, locked)] == [403]  # one try, not one per round
    listed = await command(discord, "feeds", "list", {}, channels["news"], guild.owner, "⚠")
    assert f"<#{locked.id}>" in listed and "cannot post there (403" in listed and "next try" in listed


async def test_the_digest_is_posted_once_at_its_time(
    bot: NewsBot,
    discord: DiscordStandIn,
    guild: Guild,
    channels: dict[str, Channel],
    feeds: Feeds,
    data_dir: Path,
) -> None:
    digest, news = channels["digest"], channels["news"]
    follow_feed(data_dir, feeds.serve("Coastal Times", FIRSTS[:3]), news)
    today = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    bot.newsroom.clock = lambda: today - timedelta(minutes=1)
    await command(
        discord, "digest", None, {"channel": digest, "at": "08:00"}, news, guild.owner, "08:00 (UTC)"
    )
    await poll(bot)
    await discord.wait_for(lambda: len(posts(discord, news)) == 3, DELIVERY_S, "the feed's posts")
    assert not posts(discord, digest)
    bot.newsroom.clock = lambda: today + timedelta(seconds=30)
    await poll(bot)
    await discord.wait_for(lambda: posts(discord, digest), DELIVERY_S, "the digest")
    await poll(bot)
    cog: Any = bot.get_cog("Newsroom")
    await cog.deliver()
    (sent,) = posts(discord, digest)
    embed = sent["embeds"][0]
    assert embed["title"] == f"Today's top stories — {today.day} {today:%b %Y}"
    assert embed["footer"]["text"] == f"newsdesk digest · {today.date().isoformat()}"
    assert all(r.title in embed["description"] for r in FIRSTS[:3])
