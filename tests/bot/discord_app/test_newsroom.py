"""/follow, /digest and the newsroom's options of /feeds, driven in-process: limits, who may
do what, and the errors members and admins are told."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import discord

from bot.discord_app.client import NewsBot
from tests.bot.discord_fakes import invoke, make_interaction, make_member, next_id

GUILD = 7272


async def _say(bot: NewsBot, command: Any, member: Any, **params: Any) -> str:
    interaction = make_interaction(bot, member, GUILD)
    await invoke(bot, command, interaction, **params)
    sent = interaction.followup.send.await_args_list or interaction.response.send_message.await_args_list
    return "\n".join(str(call.args[0] if call.args else call.kwargs.get("content")) for call in sent)


def _channel() -> Any:
    channel = MagicMock(spec=discord.TextChannel)
    channel.id = next_id()
    channel.mention = f"<#{channel.id}>"
    return channel


def _cog(bot: NewsBot, name: str) -> Any:
    cog = bot.get_cog(name)
    assert cog is not None
    return cog


async def test_members_follow_topics_within_their_limit(news_bot: NewsBot) -> None:
    cog = _cog(news_bot, "Newsroom")
    member = make_member(GUILD)
    news_bot.settings = news_bot.settings.model_copy(update={"follow_max_topics": 2})
    for topic in ("Valdoria floods", "Keltia earthquake"):
        assert "Following" in await _say(news_bot, cog.follow_add, member, topic=topic)
    assert "the most you can" in await _say(news_bot, cog.follow_add, member, topic="Norvex")
    assert "Valdoria floods" in await _say(news_bot, cog.follow_list, member)
    assert "No longer following" in await _say(news_bot, cog.follow_remove, member, topic="valdoria  floods")
    assert "do not follow" in await _say(news_bot, cog.follow_remove, member, topic="Valdoria floods")
    assert "A topic is" in await _say(news_bot, cog.follow_add, member, topic="ab")
    refused = await _say(news_bot, cog.follow_add, member, topic="Norvex", channel=_channel())
    assert "Only server admins" in refused  # a channel is an admin's choice
    assert [f.topic for f in news_bot.newsroom.config.follows(str(GUILD))] == ["Keltia earthquake"]


async def test_digest_settings_and_their_errors(news_bot: NewsBot) -> None:
    cog = _cog(news_bot, "Newsroom")
    admin, channel = make_member(GUILD, manage_guild=True), _channel()
    assert "Only server admins" in await _say(
        news_bot, cog.digest, make_member(GUILD), channel=channel, at="08:00"
    )
    assert "HH:MM" in await _say(news_bot, cog.digest, admin, channel=channel, at="8 am")
    assert "not a time zone" in await _say(
        news_bot, cog.digest, admin, channel=channel, at="08:00", timezone="Mars/Base"
    )
    set_ = await _say(news_bot, cog.digest, admin, channel=channel, at="07:30", timezone="Europe/Paris")
    assert "at 07:30 (Europe/Paris)" in set_
    (digest,) = news_bot.newsroom.config.digests()
    assert (digest.channel_id, digest.scope, digest.tz) == (channel.id, str(GUILD), "Europe/Paris")
    assert "No more digests" in await _say(news_bot, cog.digest, admin, channel=channel, at="off")
    assert news_bot.newsroom.config.digests() == []


async def test_feeds_never_ping_everyone_and_filters_are_checked(news_bot: NewsBot) -> None:
    feeds = _cog(news_bot, "Feeds")
    admin, channel = make_member(GUILD, manage_guild=True), _channel()
    everyone = MagicMock(spec=discord.Role)
    everyone.is_default.return_value = True
    refused = await _say(
        news_bot, feeds.add, admin, url="https://x.example/rss", channel=channel, role=everyone
    )
    assert "never @everyone" in refused and news_bot.feeds.subscriptions() == []
    too_many = ", ".join(f"w{i}" for i in range(21))
    assert "at most 20" in await _say(news_bot, feeds.filter, admin, channel=channel, include=too_many)
    shown = await _say(
        news_bot, feeds.filter, admin, channel=channel, include="floods, heavy rain", exclude="sport"
    )
    assert "only: floods, heavy rain" in shown and "never: sport" in shown
