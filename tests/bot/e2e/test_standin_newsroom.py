"""The stand-in answers the newsroom's deliveries as the bot reads Discord's answers: each
request made the way bot/discord_app/delivery.py makes it, through discord.py on the real
bot's connection (a new message with a nonce, which discord.py sends with enforce_nonce;
an edit; a thread started from a message; a direct message channel), and each refusal
raised by discord.py as the delivery code tells them apart (its codes: THREAD_EXISTS,
CANNOT_DM; a 403 for a channel whose overwrite takes the right to post away; a 429 with
Retry-After at the channel's rate limit). What Discord does is documented by Discord; this
checks that the test double and the delivery code agree on it."""

from __future__ import annotations

import discord as discordpy
import pytest

from bot.discord_app.client import NewsBot
from bot.discord_app.delivery import CANNOT_DM, THREAD_ARCHIVE_MINUTES, THREAD_EXISTS
from tests.bot.discord_standin import DiscordStandIn, limits
from tests.bot.discord_standin.world import Guild, User, snowflake

pytestmark = pytest.mark.slow


async def test_a_post_its_edit_its_thread_and_a_dm_as_the_delivery_code_makes_them(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild
) -> None:
    general = discord.channel(guild, "general")
    channel = bot.get_partial_messageable(general.id)
    first = await channel.send(content="story", nonce="newsdesk-1")
    again = await channel.send(content="story", nonce="newsdesk-1")  # a retry after a lost answer
    assert again.id == first.id and len(general.messages) == 1, "the nonce, enforced: posted once"
    edited = await channel.get_partial_message(first.id).edit(content="story, updated")
    assert edited.content == "story, updated" and edited.edited_at is not None
    await bot.http.start_thread_with_message(
        general.id, first.id, name="story", auto_archive_duration=THREAD_ARCHIVE_MINUTES
    )
    with pytest.raises(discordpy.HTTPException) as twice:
        await bot.http.start_thread_with_message(
            general.id, first.id, name="story", auto_archive_duration=THREAD_ARCHIVE_MINUTES
        )
    assert twice.value.status == 400 and twice.value.code == THREAD_EXISTS  # the delivery code goes on
    member = User(snowflake(), "alice")
    dm = await bot.create_dm(discordpy.Object(member.id))
    assert (await bot.create_dm(discordpy.Object(member.id))).id == dm.id
    async with discord.changing():
        discord.state.closed_dms.add(member.id)
    with pytest.raises(discordpy.Forbidden) as closed:
        await dm.send(content="hi", nonce="newsdesk-2")
    assert closed.value.code == CANNOT_DM  # the delivery code: "does not accept direct messages"


async def test_the_channel_rate_limit_paces_discord_py_and_a_refusing_channel_is_a_403(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild
) -> None:
    """Two messages a second in a channel: the stand-in's X-RateLimit headers make
    discord.py wait before the third (no 429 is ever answered); a channel whose overwrite
    takes the right to post away answers 403 Missing Permissions, which discord.py raises
    as Forbidden (the delivery code blocks the channel)."""
    async with discord.changing():
        discord.rate.limit, discord.rate.window = 2, 1.0
    general = discord.channel(guild, "general")
    channel = bot.get_partial_messageable(general.id)
    for n in range(3):
        await channel.send(content=f"story {n}", nonce=f"newsdesk-{n}")
    assert [m["content"] for m in discord.messages_by_bot(general)] == ["story 0", "story 1", "story 2"]
    assert discord.rate.refused == [], "paced by the headers: never over the limit"
    async with discord.changing():
        general.denied = limits.SEND_MESSAGES  # an admin took the bot's right to post there
    with pytest.raises(discordpy.Forbidden) as refused:
        await channel.send(content="story 3", nonce="newsdesk-3")
    assert refused.value.status == 403 and refused.value.code == limits.MISSING_PERMISSIONS
