"""What a channel takes and how a feed's posts look, over the Discord stand-in with the
real client: phrases, `not:` terms and bounded regular expressions decide what is posted
(the history says why the rest was not); a feed's posts ping each of its opt-in roles; a
template (plain or an embed, per feed or per channel) is checked when set, shown by
/feeds preview and `newsdesk feeds preview` on the feed's newest entry, and used."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.webhooks import MANAGE_WEBHOOKS
from tests.bot.discord_standin.world import Channel, Guild, Role
from tests.bot.e2e.conftest import start_bot
from tests.bot.e2e.test_newsroom import DELIVERY_S, command, poll, posts, titles
from tests.bot.e2e.test_newsroom_operator import loopback_feeds
from tests.bot.newsroom.fixtures import Feeds, load
from vectorstore.embedding import Embedder

FIRSTS = {r.title: r for r in load() if r.kind == "first"}
RIVERMOUTH = FIRSTS["Flash floods hit Rivermouth, nine dead"]
LINDALE = FIRSTS["Warehouse blaze in Lindale injures two firefighters"]
MARATHON = FIRSTS["Ana Ruiz wins the Portmere marathon in a course record"]
CITY = FIRSTS["Storm floods streets of Valdoria City"]
BRIDGE = FIRSTS["Valdoria opens its longest bridge over the Sella"]
FLOODS = "Floods in Valdoria kill 35 as the Arven bursts its banks"
BRACKTON = FIRSTS["Fire destroys chemical plant in Brackton"]


@pytest.fixture
def roles(discord: DiscordStandIn, guild: Guild) -> tuple[Role, Role]:
    return discord.add_role(guild, "Floods"), discord.add_role(guild, "Weather")


@pytest.fixture
async def bot(
    bot_settings: Settings,
    embedder: Embedder,
    discord: DiscordStandIn,
    news: Channel,
    roles: tuple[Role, Role],
) -> AsyncIterator[NewsBot]:
    """The bot, started once the channel and the roles exist (in its cache of the server)."""
    running = await start_bot(bot_settings, embedder, discord)
    yield running.bot
    await running.stop()


async def test_phrases_negative_terms_and_patterns_filter_and_every_role_is_pinged(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, news: Channel, roles: tuple[Role, Role], feeds: Feeds
) -> None:
    await loopback_feeds(bot)
    owner = guild.owner
    bad = await command(
        discord,
        "feeds",
        "filter",
        {"channel": news, "include": "re:/(unclosed/"},
        news,
        owner,
        "is not a regular expression",
    )
    assert "re:/(unclosed/" in bad
    include = 're:/\\bflood(s|ed)?\\b/, "two firefighters", not: marathon'
    shown = await command(
        discord,
        "feeds",
        "filter",
        {"channel": news, "include": include, "exclude": "Valdoria City"},
        news,
        owner,
        "only:",
    )
    assert "re:/\\bflood(s|ed)?\\b/" in shown and "marathon" in shown

    url = feeds.serve("Coastal Times", [])  # nothing yet: what comes later is new
    await command(discord, "feeds", "add", {"url": url, "channel": news}, news, owner, "Following")
    nobody = await command(
        discord,
        "feeds",
        "roles",
        {"url": url, "channel": news, "roles": "@nobody"},
        news,
        owner,
        "is not a role of this server",
    )
    assert "@nobody" in nobody
    floods, weather = roles
    pinged = f"<@&{floods.id}> <@&{weather.id}>"
    await command(
        discord,
        "feeds",
        "roles",
        {"url": url, "channel": news, "roles": pinged},
        news,
        owner,
        f"ping {pinged}",
    )

    feeds.serve("Coastal Times", [RIVERMOUTH, LINDALE, MARATHON, CITY, BRACKTON])
    await poll(bot, everything=True)
    await discord.wait_for(lambda: len(posts(discord, news)) == 2, DELIVERY_S, "the two posts that pass")
    await discord.wait_for(lambda: bot.newsroom.outbox.open_count() == 0, DELIVERY_S, "the ledger sent")
    assert sorted(titles(posts(discord, news))) == sorted([RIVERMOUTH.title, LINDALE.title])
    for post in posts(discord, news):
        assert post["content"] == pinged  # every role of the feed, and only those
    for call in discord.calls("create_message"):
        mentions = call.body["allowed_mentions"]
        assert mentions["parse"] == [] and sorted(map(int, mentions["roles"])) == sorted(
            [floods.id, weather.id]
        )

    history = await command(discord, "feeds", "history", {"url": url}, news, owner, "**posted**")
    assert f"**filtered** “{MARATHON.title}” — has “marathon”" in history
    assert f"**filtered** “{CITY.title}” — has “Valdoria City”" in history
    assert f"**filtered** “{BRACKTON.title}” — none of: re:/\\bflood(s|ed)?\\b/, two firefighters" in history


async def test_a_feed_template_is_checked_previewed_and_used_and_a_channel_template_too(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, news: Channel, feeds: Feeds, data_dir: Path
) -> None:
    await loopback_feeds(bot)
    owner = guild.owner
    url = feeds.serve("Coastal Times", [RIVERMOUTH])
    await command(
        discord, "feeds", "add", {"url": url, "channel": news}, news, owner, "Following"
    )  # held: not posted
    await command(
        discord,
        "feeds",
        "template",
        {"url": url, "text": "{title} {headline}"},
        news,
        owner,
        "Unknown placeholder {headline}: use {title} {link} {outlet} {outlets} {date} {summary} {feed}",
    )
    await command(
        discord,
        "feeds",
        "template",
        {"url": url, "text": "{title} for {outlet}", "embed": False},
        news,
        owner,
        "A plain-text template names {link}",
    )
    template = "🌊 {title} — {outlets}, {date}\n{link}"
    await command(
        discord,
        "feeds",
        "template",
        {"url": url, "text": template, "embed": False},
        news,
        owner,
        "plain-text template",
    )
    preview = await command(discord, "feeds", "preview", {"url": url}, news, owner, "🌊")
    assert preview == f"🌊 {RIVERMOUTH.title} — Coastal Times, 6 Mar 2026\n{feeds.link(RIVERMOUTH)}"
    tried = await command(discord, "feeds", "preview", {"url": url, "text": "{summary}"}, news, owner, "")
    assert "Placeholders: {title}" in tried  # an embed: the reply's text lists the placeholders

    feeds.serve("Coastal Times", [RIVERMOUTH, LINDALE])
    await poll(bot, everything=True)
    await discord.wait_for(lambda: len(posts(discord, news)) == 1, DELIVERY_S, "the new entry's post")
    (post,) = posts(discord, news)
    assert post["content"] == f"🌊 {LINDALE.title} — Coastal Times, 7 Mar 2026\n{feeds.link(LINDALE)}"
    assert post["embeds"] == []

    herald = feeds.serve("Herald", [])  # a feed without a template: the channel's
    await command(discord, "feeds", "add", {"url": herald, "channel": news}, news, owner, "Following")
    await command(
        discord,
        "feeds",
        "template",
        {"channel": news, "text": "{feed} says: {summary}"},
        news,
        owner,
        "embed template",
    )
    feeds.serve("Herald", [BRIDGE])
    await poll(bot, everything=True)
    await discord.wait_for(lambda: len(posts(discord, news)) == 2, DELIVERY_S, "the Herald's post")
    embed = posts(discord, news)[-1]["embeds"][0]
    assert embed["title"] == BRIDGE.title and embed["url"] == feeds.link(BRIDGE)
    assert embed["description"].startswith("127.0.0.1 says: ")  # {feed}: the feed's host when unnamed

    env = {"NEWSDESK_DATA_DIR": str(data_dir)}  # the operator's feed, from the terminal
    assert CliRunner().invoke(cli, ["feeds", "add", url, "--channel", str(news.id)], env=env).exit_code == 0
    bad = CliRunner().invoke(cli, ["feeds", "template", "{tilte}", "--url", url], env=env)
    assert bad.exit_code == 2 and "Unknown placeholder {tilte}" in bad.output
    assert (
        CliRunner()
        .invoke(cli, ["feeds", "template", "{title} <{link}>", "--url", url, "--plain"], env=env)
        .exit_code
        == 0
    )
    shown = CliRunner().invoke(cli, ["feeds", "preview", url], env=env)
    assert shown.exit_code == 0 and f"{LINDALE.title} <{feeds.link(LINDALE)}>" in shown.output


async def test_a_feed_posts_through_a_webhook_under_its_name_and_avatar_and_its_post_is_edited_there(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, news: Channel, feeds: Feeds
) -> None:
    await loopback_feeds(bot)
    owner = guild.owner
    first, copy = [r for r in load() if r.title == FLOODS][:2]  # one story, two outlets
    url = feeds.serve("Coastal Times", [])
    await command(discord, "feeds", "add", {"url": url, "channel": news}, news, owner, "Following")
    persona = {"url": url, "name": "Coastal Wire", "avatar": "https://cdn.example/coastal.png"}
    await command(discord, "feeds", "webhook", persona, news, owner, "I need Manage Webhooks in #news")
    assert discord.calls("create_webhook") == []  # not tried without the permission

    await discord.set_bot_permissions(guild, guild.bot_permissions | MANAGE_WEBHOOKS)
    me = bot.get_guild(guild.id)
    assert me is not None
    await discord.wait_for(lambda: me.me.guild_permissions.manage_webhooks, DELIVERY_S, "the new permission")
    await command(discord, "feeds", "webhook", persona, news, owner, "show as **Coastal Wire**")
    (made,) = discord.calls("create_webhook")
    assert made.status == 200 and made.body["name"] == "newsdesk feeds"

    feeds.serve("Coastal Times", [first])
    await poll(bot, everything=True)
    await discord.wait_for(
        lambda: discord.calls("execute_webhook"), DELIVERY_S, "the post through the webhook"
    )
    await discord.wait_for(lambda: bot.newsroom.outbox.open_count() == 0, DELIVERY_S, "the ledger sent")
    (executed,) = discord.calls("execute_webhook")
    assert executed.body["username"] == "Coastal Wire" and executed.body["avatar_url"] == persona["avatar"]
    assert discord.calls("create_message") == []  # not posted as the bot
    (hook,) = discord.webhooks.hooks
    (post,) = [m for m in news.messages.values() if m.get("webhook_id") == str(hook)]
    assert post["author"]["username"] == "Coastal Wire" and post["author"]["avatar"]
    assert post["embeds"][0]["title"] == FLOODS

    herald = feeds.serve("Herald", [copy])  # another outlet's copy: the post is edited, through the webhook
    await command(
        discord, "feeds", "add", {"url": herald, "channel": news, "backfill": "5"}, news, owner, "Following"
    )
    await discord.wait_for(lambda: discord.calls("edit_webhook_message"), DELIVERY_S, "the edit of the post")
    await discord.wait_for(lambda: bot.newsroom.outbox.open_count() == 0, DELIVERY_S, "the ledger sent")
    assert "also reported by Herald" in news.messages[int(post["id"])]["embeds"][0]["description"]
    assert discord.calls("edit_message") == [] and len(discord.calls("execute_webhook")) == 1  # once
    history = await command(discord, "feeds", "history", {}, news, owner, "**posted**")
    assert f"**edited** “{FLOODS}”" in history
