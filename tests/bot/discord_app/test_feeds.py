"""/feeds add|list|remove for a server's admins, and the bot's poll loop."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.discord_app.client import NewsBot
from bot.discord_app.exts.feeds import Feeds
from ingest.fetching import IPAddress
from tests.bot.discord_fakes import invoke, make_interaction, make_member
from tests.helpers import Route, serving

GUILD = 6161
PAGE = b"""<html><head><title>Ferry timetable</title></head><body><article>
<p>The island ferry will run twice a day from June, the harbour board said on Monday.</p>
<p>Tickets go on sale next week and cost the same as last summer.</p></article></body></html>"""


def feed(link: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Island News</title>'
        f"<item><title>Ferry timetable</title><link>{link}</link>"
        "<description>The ferry runs twice a day.</description></item></channel></rss>"
    ).encode()


def loopback_is_public(address: IPAddress) -> bool:
    """Stands in for a public address: the test server is on 127.0.0.1."""
    return address == ipaddress.ip_address("127.0.0.1")


@pytest.fixture
async def cog(news_bot: NewsBot) -> Feeds:
    """The cog over the bot's own poller, with 127.0.0.1 standing in for a public address."""
    options = news_bot.feeds.options
    policy = replace(options.fetch, address_allowed=loopback_is_public)
    local = news_bot.feeds.with_options(replace(options, fetch=policy))
    await news_bot.remove_cog("Feeds")
    feeds = Feeds(news_bot, local)
    await news_bot.add_cog(feeds)
    return feeds


def _loaded(bot: NewsBot) -> Any:
    """The cog as the bot loaded it (load_extension imports its own copy of the module)."""
    cog: Any = bot.get_cog("Feeds")
    assert cog is not None and cog.poller is bot.feeds
    return cog


def _admin() -> Any:
    return make_member(GUILD, manage_guild=True)


async def _say(bot: NewsBot, command: Any, member: Any = None, **params: Any) -> str:
    interaction = make_interaction(bot, member or _admin(), GUILD)
    await invoke(bot, command, interaction, **params)
    sent = interaction.followup.send.await_args_list or interaction.response.send_message.await_args_list
    return "\n".join(str(call.args[0]) for call in sent)


async def test_only_admins_manage_feeds(news_bot: NewsBot) -> None:
    cog = _loaded(news_bot)
    for command, params in (
        (cog.add, {"url": "https://x.example/f"}),
        (cog.list_feeds, {}),
        (cog.remove, {"url": "u"}),
    ):
        text = await _say(news_bot, command, make_member(GUILD), **params)
        assert "Only server admins" in text
    assert news_bot.feeds.registry.subscriptions() == []


async def test_a_servers_feed_is_refused_on_a_private_address(news_bot: NewsBot) -> None:
    cog = _loaded(news_bot)
    with serving({"/feed.xml": Route(b"", "application/rss+xml")}) as server:
        text = await _say(news_bot, cog.add, url=server.url("/feed.xml"))
        assert server.hits == {}
    assert "private or reserved" in text and news_bot.feeds.registry.subscriptions() == []


async def test_add_list_remove_and_poll(news_bot: NewsBot, cog: Feeds) -> None:
    with serving({}) as server:
        server.routes["/ferry"] = Route(PAGE)
        server.routes["/feed.xml"] = Route(feed(server.url("/ferry")), "application/rss+xml")
        url = server.url("/feed.xml")

        added = await _say(news_bot, cog.add, url=url, every=30)
        assert "Following" in added and "every 30 min" in added and "1 added" in added
        record = news_bot.catalog.records()[server.url("/ferry")]
        assert record.scope == str(GUILD), "a server's feed answers in that server only"

        assert await cog.poll_due() == [], "not due again before its interval"
        listed = await _say(news_bot, cog.list_feeds)
        assert url in listed and "1 article(s) added" in listed and "1 added" in listed

        removed = await _say(news_bot, cog.remove, url=url)
        assert "No longer following" in removed and "1 article(s) it added stay" in removed
        assert "No such feed" in await _say(news_bot, cog.remove, url=url)
        assert "No feeds yet" in await _say(news_bot, cog.list_feeds)


async def test_poll_loop_reports_failures_without_raising(news_bot: NewsBot, cog: Feeds) -> None:
    with serving({"/down.xml": Route(b"down", "text/plain", status=500)}) as server:
        added = await _say(news_bot, cog.add, url=server.url("/down.xml"))
        assert "HTTP 500" in added and "try again later" in added
        [subscription] = cog.poller.registry.subscriptions(str(GUILD))
        assert subscription.failures == 1
        listed = await _say(news_bot, cog.list_feeds)
        assert "HTTP 500" in listed


async def test_the_bot_polls_due_feeds_once_connected(news_bot: NewsBot, cog: Feeds) -> None:
    with serving({}) as server:
        server.routes["/ferry"] = Route(PAGE)
        server.routes["/feed.xml"] = Route(feed(server.url("/ferry")), "application/rss+xml")
        cog.poller.registry.add(server.url("/feed.xml"), str(GUILD), 60, datetime.now(UTC))
        await cog.on_ready()  # discord.py calls it when the gateway session is ready
        try:
            for _ in range(600):
                if cog.poller.registry.subscriptions()[0].last_poll is not None:
                    break
                await asyncio.sleep(0.1)
        finally:
            cog.poll_loop.cancel()
    [polled] = cog.poller.registry.subscriptions()
    assert polled.articles_added == 1 and server.hits == {"/feed.xml": 1, "/ferry": 1}
