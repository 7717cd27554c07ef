"""The newsroom as a server's operator uses it, over the real wire (the real bot built by
the composition root, feeds served on 127.0.0.1, the Discord stand-in): an aggregator's
feed names each entry's own outlet; a developing story is one post with its developments
in its thread; a new feed posts nothing it held when added, unless asked (--backfill,
/feeds add backfill:)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import GUILD_TEXT, Channel, Guild
from tests.bot.e2e.conftest import start_bot
from tests.bot.e2e.helpers import text_of
from tests.bot.e2e.test_newsroom import DELIVERY_S, command, follow_feed, poll, posts, titles
from tests.bot.newsroom.fixtures import Feeds, load, rss
from tests.helpers import Route
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow
FOLLOWUPS = load("followups.jsonl")
FIRSTS = [r for r in load() if r.kind == "first"]


@pytest.fixture
def wire(discord: DiscordStandIn, guild: Guild) -> Channel:
    return discord.add_channel(guild, "wire", GUILD_TEXT)


@pytest.fixture
async def bot(
    bot_settings: Settings, embedder: Embedder, discord: DiscordStandIn, news: Channel, wire: Channel
) -> AsyncIterator[NewsBot]:
    """The bot, started once the channels exist (a slash command's channel option is
    resolved from the bot's cache of the server)."""
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
        DELIVERY_S,
        "the post, and the rewrite as also reported by",
    )
    thread_id = int(posts(discord, news)[0]["id"])
    for shown, count in ((afternoon, 1), (next_day, 3)):
        feeds.serve("Valdoria Wire", shown, sources=True)
        await poll(bot, everything=True)
        await discord.wait_for(
            lambda n=count: (
                thread_id in discord.state.channels
                and len(discord.messages_by_bot(discord.state.channels[thread_id])) == n
            ),
            DELIVERY_S,
            f"{count} developments in the story's thread",
        )
    updates = discord.messages_by_bot(discord.state.channels[thread_id])
    assert [u["embeds"][0]["title"] for u in updates] == [r.title for r in next_day[2:]]
    assert updates[0]["content"] == "Update, 7 May — Metro Post"
    (post,) = posts(discord, news)  # one post: every development went into its thread
    assert "updated" in text_of(post)


async def loopback_feeds(bot: NewsBot) -> None:
    """The bot's poller, with 127.0.0.1 standing in for a public address (a server's feeds
    are fetched from public addresses only: /feeds add refuses 127.0.0.1 otherwise)."""
    policy = replace(
        bot.feeds.options.fetch, address_allowed=lambda a: a == ipaddress.ip_address("127.0.0.1")
    )
    bot.feeds.options = replace(bot.feeds.options, fetch=policy)


async def test_a_new_feed_posts_nothing_it_held_unless_asked(
    bot: NewsBot,
    discord: DiscordStandIn,
    guild: Guild,
    news: Channel,
    wire: Channel,
    feeds: Feeds,
    data_dir: Path,
) -> None:
    held = FIRSTS[:6]
    coastal = feeds.serve("Coastal Times", held)
    follow_feed(data_dir, coastal, news, backfill=None)  # the default
    await poll(bot)
    (read,) = [s for s in bot.feeds.subscriptions() if s.url == coastal]
    assert read.articles_added == 6  # stored: they answer questions
    feeds.serve("Coastal Times", [*held, FIRSTS[6]])  # published after the feed was added
    await poll(bot, everything=True)
    await discord.wait_for(lambda: posts(discord, news), DELIVERY_S, "the new entry's post")
    cog: Any = bot.get_cog("Newsroom")
    await cog.deliver()
    assert titles(posts(discord, news)) == [FIRSTS[6].title]  # 0 of the 6 it held

    # a server's admin asks for the two newest of what another feed holds
    await loopback_feeds(bot)
    held = FIRSTS[7:12]
    url = feeds.serve("Northern Wire", held)
    options = {"url": url, "channel": wire, "backfill": "2"}
    await command(discord, "feeds", "add", options, news, guild.owner, "also the 2 newest entries")
    await discord.wait_for(lambda: len(posts(discord, wire)) == 2, DELIVERY_S, "the two newest")
    newest = sorted(held, key=lambda r: (r.date, -held.index(r)), reverse=True)[:2]
    assert sorted(titles(posts(discord, wire))) == sorted(r.title for r in newest)
    refused = await command(
        discord,
        "feeds",
        "add",
        {"url": url, "channel": wire, "backfill": "lots"},
        news,
        guild.owner,
        "Backfill is a number of entries",
    )
    assert "2d" in refused


async def test_an_untitled_entry_is_posted_under_its_first_sentence(
    bot: NewsBot, discord: DiscordStandIn, news: Channel, feeds: Feeds, data_dir: Path
) -> None:
    text = (
        "Ferries between Rivermouth and Kesh run again from Monday after the harbour wall was repaired,"
        " the port authority said on Friday. Tickets bought for cancelled sailings stay valid."
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Odd Feed</title>'
        f"<item><guid isPermaLink='false'>31a37ac0</guid><description>{text}</description></item>"
        "</channel></rss>"
    )
    feeds.server.routes["/odd.xml"] = Route(body.encode(), "application/rss+xml")
    url = feeds.server.url("/odd.xml")
    follow_feed(data_dir, url, news)
    await poll(bot)
    await discord.wait_for(lambda: posts(discord, news), DELIVERY_S, "the untitled entry's post")
    (post,) = posts(discord, news)
    title = post["embeds"][0]["title"]
    assert title.endswith("…") and len(title) <= 100 and text.startswith(title[:-1])
    assert "31a37ac0" not in text_of(post) and url not in text_of(post)


async def test_feeds_list_shows_roles_digests_topics_and_the_failed_entry_and_filter_the_last_post(
    bot: NewsBot,
    discord: DiscordStandIn,
    guild: Guild,
    news: Channel,
    wire: Channel,
    feeds: Feeds,
    data_dir: Path,
) -> None:
    report = FIRSTS[0]
    feeds.serve("Coastal Times", [report])  # its page
    gone = feeds.server.url("/gone")  # a page that is not there, and no text in the feed
    body = rss("Coastal Times", [(report, feeds.link(report))]).replace(
        b"</channel>", f"<item><title>Broken</title><link>{gone}</link></item></channel>".encode()
    )
    feeds.server.routes["/coastal.xml"] = Route(body, "application/rss+xml")
    follow_feed(data_dir, feeds.server.url("/coastal.xml"), news, "--role", "555")
    await command(
        discord,
        "digest",
        None,
        {"channel": wire, "at": "08:00", "timezone": "Europe/Paris"},
        news,
        guild.owner,
        "08:00",
    )
    await command(
        discord,
        "follow",
        "add",
        {"topic": "Valdoria floods", "channel": wire},
        news,
        guild.owner,
        "Following",
    )
    await poll(bot)
    await discord.wait_for(lambda: posts(discord, news), DELIVERY_S, "the post")
    await discord.wait_for(lambda: bot.newsroom.outbox.open_count() == 0, DELIVERY_S, "the ledger sent")

    shown = await command(
        discord, "feeds", "filter", {"channel": news, "include": "floods"}, news, guild.owner, "only: floods"
    )
    assert "last post <t:" in shown and "never" not in shown  # the channel's own last post
    listed = await command(discord, "feeds", "list", {}, news, guild.owner, "feed(s)")
    assert f"posts in <#{news.id}> (pings <@&555>)" in listed
    assert f"1 entry failed ({gone}: " in listed and "404" in listed
    assert f"Digests:\n• <#{wire.id}> daily at 08:00 (Europe/Paris)" in listed
    assert f"Topics posted in channels:\n• <#{wire.id}>: “Valdoria floods”" in listed


async def test_history_pause_resume_and_a_test_post(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, news: Channel, feeds: Feeds, data_dir: Path
) -> None:
    await loopback_feeds(bot)
    stories = [r for r in load() if r.kind == "first"]
    norvex = next(r for r in stories if "Norvex" in r.title)
    calm = [r for r in stories if "Norvex" not in r.title]
    url = feeds.serve("Coastal Times", calm[:2])
    await command(
        discord,
        "feeds",
        "add",
        {"url": url, "channel": news, "backfill": "5"},
        news,
        guild.owner,
        "Following",
    )
    await discord.wait_for(lambda: len(posts(discord, news)) == 2, DELIVERY_S, "the two posts")
    await command(
        discord, "feeds", "filter", {"channel": news, "exclude": "Norvex"}, news, guild.owner, "never"
    )
    feeds.serve("Coastal Times", [*calm[:2], norvex])
    await poll(bot, everything=True)
    await command(discord, "feeds", "pause", {"url": url}, news, guild.owner, "Paused")
    feeds.serve("Coastal Times", [*calm[:2], norvex, calm[2]])
    await poll(bot, everything=True)
    await command(discord, "feeds", "resume", {"url": url}, news, guild.owner, "Resumed")
    discord.fail("create_message", 400)  # Discord refuses the next post's form for good
    feeds.serve("Coastal Times", [*calm[:2], norvex, calm[2], calm[3]])
    await poll(bot, everything=True)
    await discord.wait_for(
        lambda: bot.newsroom.outbox.open_count() == 0, DELIVERY_S, "the refused post dropped"
    )
    await command(discord, "feeds", "test", {"url": url}, news, guild.owner, "A test post of")
    await discord.wait_for(lambda: len(posts(discord, news)) == 3, DELIVERY_S, "the test post")
    cog: Any = bot.get_cog("Newsroom")
    await cog.deliver()
    *_, test_post = posts(discord, news)
    assert len(posts(discord, news)) == 3 and "Test post" in test_post["content"]  # once
    served = [*calm[:4], norvex]
    newest = max(served, key=lambda r: r.date).date
    tested = next(r for r in served if r.title == test_post["embeds"][0]["title"])
    assert tested.date == newest  # the feed's newest entry

    listed = await command(discord, "feeds", "history", {"url": url}, news, guild.owner, "**posted**")
    assert f"**filtered** “{norvex.title}” — has “Norvex”" in listed
    assert f"**filtered** “{calm[2].title}” — its feed is paused" in listed
    assert f"**dropped** “{calm[3].title}” — Discord refused it: 400" in listed
    assert f"**test** “{tested.title}”" in listed
    result = CliRunner().invoke(
        cli,
        ["feeds", "history", url, "--scope", str(guild.id), "--json"],
        env={"NEWSDESK_DATA_DIR": str(data_dir)},
    )
    entries = json.loads(result.output)
    assert {(e["outcome"], e["title"]) for e in entries} >= {
        ("posted", calm[0].title),
        ("filtered", norvex.title),
        ("dropped", calm[3].title),
        ("test", tested.title),
    }
    assert all(e["channel_id"] == news.id and e["url"] == url for e in entries)

    env = {"NEWSDESK_DATA_DIR": str(data_dir)}  # the operator's feed's test post: the bot sends it
    assert CliRunner().invoke(cli, ["feeds", "add", url, "--channel", str(news.id)], env=env).exit_code == 0
    sent = CliRunner().invoke(cli, ["feeds", "test", url], env=env)
    assert sent.exit_code == 0 and f"a test post of “{tested.title}” goes to channel {news.id}" in sent.output
    await cog.deliver()
    assert len(posts(discord, news)) == 4 and "Test post" in posts(discord, news)[-1]["content"]
    nowhere = CliRunner().invoke(cli, ["feeds", "test", "https://nowhere.example/rss"], env=env)
    assert nowhere.exit_code == 2 and "No such feed is followed" in nowhere.output
