"""The newsroom as a server's operator uses it, over the real wire (the real bot built by
the composition root, feeds served on 127.0.0.1, the Discord stand-in): an aggregator's
feed names each entry's own outlet; a developing story is one post with its developments
in its thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import GUILD_TEXT, Channel, Guild
from tests.bot.e2e.conftest import start_bot
from tests.bot.e2e.helpers import text_of
from tests.bot.e2e.test_newsroom import DELIVERY_S, follow_feed, poll, posts
from tests.bot.newsroom.fixtures import Feeds, load
from tests.helpers import serving
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow
FOLLOWUPS = load("followups.jsonl")


@pytest.fixture
def feeds() -> Iterator[Feeds]:
    with serving({}) as server:
        yield Feeds(server)


@pytest.fixture
def news(discord: DiscordStandIn, guild: Guild) -> Channel:
    return discord.add_channel(guild, "news", GUILD_TEXT)


@pytest.fixture
async def bot(
    bot_settings: Settings, embedder: Embedder, discord: DiscordStandIn, news: Channel
) -> AsyncIterator[NewsBot]:
    running = await start_bot(bot_settings, embedder, discord)
    yield running.bot
    await running.stop()


async def test_five_copies_from_an_aggregator_are_one_post_naming_all_five_outlets(
    bot: NewsBot, discord: DiscordStandIn, news: Channel, feeds: Feeds, data_dir: Path
) -> None:
    copies = [r for r in FOLLOWUPS if r.event == "pell-solar"]
    outlets = [r.source for r in copies]
    assert len(set(outlets)) == 5
    follow_feed(data_dir, feeds.serve("News Aggregator", copies, sources=True), news)
    await poll(bot)
    await discord.wait_for(lambda: posts(discord, news), DELIVERY_S, "the story's post")
    await discord.wait_for(
        lambda: all(o in text_of(posts(discord, news)[0]) for o in outlets), DELIVERY_S, "every outlet named"
    )
    (post,) = posts(discord, news)
    assert "News Aggregator" not in text_of(post)  # the feed is not an outlet of its entries
    footer = post["embeds"][0]["footer"]["text"]
    first = next(o for o in outlets if footer.startswith(o))
    (also,) = [line for line in text_of(post).splitlines() if "also reported by" in line]
    named = also.strip("*").removeprefix("also reported by ").split(", ")
    assert sorted(named) == sorted(o for o in outlets if o != first)


async def test_a_developing_story_is_one_post_with_its_developments_in_its_thread(
    bot: NewsBot, discord: DiscordStandIn, news: Channel, feeds: Feeds, data_dir: Path
) -> None:
    f = {r.key: r for r in FOLLOWUPS}
    morning = [f["tarvik-refinery-fire@Coastal Times"], f["tarvik-smoke@Harbour Gazette"]]
    afternoon = [*morning, f["tarvik-fire-out@Metro Post"]]  # the same day: "put out"
    next_day = [*afternoon, f["tarvik-shut@The Ledger"], f["norda-apology@Northern Wire"]]
    url = feeds.serve("Valdoria Wire", morning, sources=True)
    follow_feed(data_dir, url, news)
    await poll(bot)
    await discord.wait_for(
        lambda: posts(discord, news) and "Harbour Gazette" in text_of(posts(discord, news)[0]),
        DELIVERY_S, "the post, and the rewrite as also reported by",
    )
    thread_id = int(posts(discord, news)[0]["id"])
    for shown, count in ((afternoon, 1), (next_day, 3)):
        feeds.serve("Valdoria Wire", shown, sources=True)
        await poll(bot, everything=True)
        await discord.wait_for(
            lambda n=count: thread_id in discord.state.channels
            and len(discord.messages_by_bot(discord.state.channels[thread_id])) == n,
            DELIVERY_S, f"{count} developments in the story's thread",
        )
    updates = discord.messages_by_bot(discord.state.channels[thread_id])
    assert [u["embeds"][0]["title"] for u in updates] == [r.title for r in next_day[2:]]
    assert updates[0]["content"] == "Update, 7 May — Metro Post"
    (post,) = posts(discord, news)  # one post: every development went into its thread
    assert "updated" in text_of(post)
