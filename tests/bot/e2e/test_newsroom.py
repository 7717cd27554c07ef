"""The newsroom over the real wire: feeds served on 127.0.0.1 and followed from
the CLI with --channel, the real bot polling them and posting through the Discord
stand-in: one post per story, "also reported by" edits, updates in the story's thread,
channel filters, a followed topic's direct message only on a real match, follow-ups in a
story's thread (answered from the story at the fourth question too), flood control, a
429 waited out, a 403 backed off."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import GUILD_TEXT, Channel, Guild, User, snowflake
from tests.bot.e2e.conftest import start_bot
from tests.bot.e2e.helpers import ANSWER_S, answered, bot_reply, text_of
from tests.bot.newsroom.fixtures import Feeds, by_key, load
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow
runner = CliRunner()
R = by_key(load())
DELIVERY_S = 60.0  # generous: a round embeds the new articles on a shared machine


def follow_feed(data_dir: Path, url: str, channel: Channel, *extra: str, backfill: str | None = "50") -> None:
    """`newsdesk feeds add URL --channel ID --backfill 50` (the CLI's feeds are global:
    127.0.0.1 is allowed). These tests serve a feed's entries before they follow it: they
    ask for them (a feed's backlog is posted only when asked for: backfill.py)."""
    env = {"NEWSDESK_DATA_DIR": str(data_dir)}
    asked = ["--backfill", backfill] if backfill is not None else []
    result = runner.invoke(cli, ["feeds", "add", url, "--channel", str(channel.id), *asked, *extra], env=env)
    assert result.exit_code == 0, result.output


def posts(discord: DiscordStandIn, channel: Channel) -> list[dict[str, Any]]:
    """The bot's own messages in a channel (not its replies to commands: those are webhooks')."""
    return [m for m in discord.messages_by_bot(channel) if m["type"] == 0 and "webhook_id" not in m]


def titles(messages: list[dict[str, Any]]) -> list[str]:
    return [m["embeds"][0]["title"] for m in messages if m.get("embeds")]


async def command(
    discord: DiscordStandIn,
    name: str,
    sub: str,
    options: dict[str, Any],
    channel: Channel,
    user: User,
    expect: str,
) -> str:
    """/name sub ...: its (ephemeral) reply, which must say `expect`."""
    sent = await discord.interactions.command(name, options, channel=channel, user=user, subcommand=sub)
    await discord.wait_for(lambda: answered(sent), ANSWER_S, f"the reply to /{name} {sub}")
    text = sent.messages[-1]["content"]
    assert expect in text, text
    return text


async def poll(bot: NewsBot, everything: bool = False) -> None:
    """A poll round as the bot's loop runs it (every feed now with `everything`)."""
    cog: Any = bot.get_cog("Feeds")
    if everything:
        await bot.ingests.run(bot.feeds.poll_all)
        bot.newsroom_planned()
    else:
        await cog.poll_due()


@pytest.fixture
def sport(discord: DiscordStandIn, guild: Guild) -> Channel:
    return discord.add_channel(guild, "sport", GUILD_TEXT)


@pytest.fixture
async def newsroom_bot(
    bot_settings: Settings, embedder: Embedder, discord: DiscordStandIn, news: Channel, sport: Channel
) -> AsyncIterator[NewsBot]:
    """The bot, started once the channels exist (a slash command's channel option is
    resolved from the bot's cache of the server)."""
    settings = bot_settings.model_copy(update={"newsroom_posts_per_poll": 3})
    running = await start_bot(settings, embedder, discord)
    yield running.bot
    await running.stop()


async def test_three_feeds_one_post_per_story_copies_updates_filters_and_a_followed_topic(
    newsroom_bot: NewsBot,
    discord: DiscordStandIn,
    guild: Guild,
    news: Channel,
    sport: Channel,
    feeds: Feeds,
    data_dir: Path,
    member: User,
) -> None:
    bot = newsroom_bot
    other = User(snowflake(), "bob")
    for who, topic in ((member, "Valdoria floods"), (other, "Keltia earthquake")):
        await command(discord, "follow", "add", {"topic": topic}, news, who, "Following")
    await command(
        discord, "feeds", "filter", {"channel": news, "exclude": "Norvex"}, news, guild.owner, "never"
    )
    await command(
        discord, "feeds", "filter", {"channel": sport, "include": "marathon"}, news, guild.owner, "only"
    )

    # 1. the Coastal Times alone: three stories, three posts; the marathon in #sport too
    coastal = [
        R["arven-floods@Coastal Times"],
        R["portmere-marathon@City Star"],
        R["rivermouth-floods@Harbour Gazette"],
    ]
    follow_feed(data_dir, feeds.serve("Coastal Times", coastal), news)
    follow_feed(data_dir, feeds.serve("Coastal Times", coastal), sport)
    await poll(bot)
    await discord.wait_for(
        lambda: len(posts(discord, news)) == 3 and posts(discord, sport), DELIVERY_S, "phase 1"
    )
    assert sorted(titles(posts(discord, news))) == sorted(r.title for r in coastal)
    assert titles(posts(discord, sport)) == [R["portmere-marathon@City Star"].title]

    # 2. two more feeds: copies of the floods report, its next day's report, a bridge, Norvex
    herald = [
        R["arven-floods@Daily Courier"],
        R["flood-toll-58@Valdoria Herald"],
        R["sella-bridge@Valdoria Herald"],
    ]
    wire = [R["arven-floods@Northern Wire"], R["sella-bridge@Northern Wire"], R["norvex-jobs@The Ledger"]]
    follow_feed(data_dir, feeds.serve("Valdoria Herald", herald), news)
    follow_feed(data_dir, feeds.serve("Northern Wire", wire), news)
    await poll(bot)
    floods = next(m for m in posts(discord, news) if m["embeds"][0]["title"] == coastal[0].title)
    thread_id = int(floods["id"])
    await discord.wait_for(
        lambda: (
            thread_id in discord.state.channels and discord.messages_by_bot(discord.state.channels[thread_id])
        ),
        DELIVERY_S,
        "the update in the story's thread",
    )
    await discord.wait_for(lambda: len(posts(discord, news)) == 4, DELIVERY_S, "the bridge's post")
    await discord.wait_for(lambda: "Northern Wire" in text_of(floods), DELIVERY_S, "the also-reported edit")
    assert "also reported by Valdoria Herald, Northern Wire" in text_of(floods)
    assert "updated" in text_of(floods)
    (update,) = discord.messages_by_bot(discord.state.channels[thread_id])
    assert (
        update["content"].startswith("Update, 6 Mar — 58 dead (was 35)")
        and "Valdoria Herald" in update["content"]
    )
    news_titles = titles(posts(discord, news))
    assert news_titles.count(R["sella-bridge@Valdoria Herald"].title) == 1  # its wire copy edited it instead
    assert R["norvex-jobs@The Ledger"].title not in news_titles  # #news excludes Norvex

    # 3. the third day: the Coastal Times' report of it and the Herald's copy; A's copy of B's
    feeds.serve("Coastal Times", [*coastal, R["waters-recede@Coastal Times"], R["flood-toll-58@Metro Post"]])
    feeds.serve("Valdoria Herald", [*herald, R["waters-recede@Harbour Gazette"]])
    await poll(bot, everything=True)
    thread = discord.state.channels[thread_id]
    await discord.wait_for(lambda: len(discord.messages_by_bot(thread)) == 2, DELIVERY_S, "the second update")
    assert discord.messages_by_bot(thread)[1]["content"].startswith("Update, 7 Mar — 71 dead (was 58)")
    assert len(posts(discord, news)) == 4  # nothing posted twice

    # a followed topic: a direct message for the floods story only, once
    dms = await discord.between_steps(
        lambda: [c for c in discord.state.channels.values() if c.recipient is not None]
    )
    mine = [m for c in dms if c.recipient and c.recipient.id == member.id for m in discord.messages_by_bot(c)]
    theirs = [
        m for c in dms if c.recipient and c.recipient.id == other.id for m in discord.messages_by_bot(c)
    ]
    assert len(mine) == 1 and mine[0]["embeds"][0]["title"] == coastal[0].title
    said = [
        line.removeprefix("> ") for line in mine[0]["embeds"][0]["description"].splitlines() if line.strip()
    ]
    assert said and len(said) == len(set(said))  # the matched sentence is not the lead again
    assert not theirs

    # follow-ups in the story's thread are answered about that story
    await discord.say(thread, member, "how many people have died?", mention_bot=False)
    reply = await bot_reply(discord, thread, 3)
    assert about_the_floods(text_of(reply))
    # ... at any point of the conversation: asked fourth, once the headline has left the
    # questions a follow-up is read with, and right after a question on another story
    for n, other in enumerate(("who won the Portmere marathon?", "how many died in Rivermouth?"), start=4):
        await discord.say(thread, member, other, mention_bot=False)
        await bot_reply(discord, thread, n)
    await discord.say(thread, member, "how many people have died?", mention_bot=False)
    assert about_the_floods(text_of(await bot_reply(discord, thread, 6)))
    assert not [c for c in discord.requests if c.route == "create_message" and c.status >= 400]


def about_the_floods(reply: str) -> bool:
    """A reply about the Valdoria floods story: its answer states the story's newest toll
    (71, of 7 March, not the 35 or 58 reported before it, nor the Rivermouth floods' nine),
    flagged "The newest I have" (it is asked months later), and it cites a report of the
    story."""
    answer, _, cited = reply.partition("\n[1]")
    return "71" in re.findall(r"\d+", answer) and "Rivermouth" not in answer and "Valdoria" in cited
