"""Questions by mention: in a channel (answered in a new thread), in a member's thread, in
a forum post, in a DM; follow-ups in the bot's thread; a failure still gets a reply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bot.answering.models import Answer
from bot.answering.rules import recent
from bot.discord_app.client import NewsBot
from tests.bot.discord_standin import DiscordStandIn, limits
from tests.bot.discord_standin.world import Guild, User
from tests.bot.e2e.helpers import BRIDGE, OPENAI, bot_reply, text_of

pytestmark = pytest.mark.slow


async def test_a_mention_in_a_channel_is_answered_in_a_new_thread_and_followed_up(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    general = discord.channel(guild, "general")
    question = await discord.say(general, member, BRIDGE)
    await discord.wait_for(lambda: discord.threads_of(general), 15, "a thread")
    (thread,) = discord.threads_of(general)
    assert thread.id == int(question["id"]) and thread.name == BRIDGE  # started from the question
    assert "1 April" in text_of(await bot_reply(discord, thread))
    # a follow-up in the bot's thread needs no mention and is read with the thread's question
    await discord.say(thread, member, "how long will it be closed for?", mention_bot=False)
    assert "six weeks" in text_of(await bot_reply(discord, thread, 2))
    assert not discord.messages_by_bot(general)  # the channel itself stays clean


async def test_a_mention_in_a_members_thread_is_answered_there(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    thread = await discord.start_thread(discord.channel(guild, "general"), member, "bridge works")
    await discord.say(thread, member, BRIDGE)
    reply = await bot_reply(discord, thread)
    assert "1 April" in text_of(reply)
    assert not discord.calls("create_thread")  # no thread from a message already in a thread


async def test_a_mention_in_a_forum_post_is_answered_in_the_post(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    post = await discord.start_thread(discord.channel(guild, "questions"), member, "OpenAI in London?")
    await discord.say(post, member, OPENAI, message_id=post.id)  # a post's first message has its id
    assert "London" in text_of(await bot_reply(discord, post))
    assert not discord.calls("create_thread")


async def test_a_mention_in_a_dm_is_answered(bot: NewsBot, discord: DiscordStandIn, member: User) -> None:
    dm = discord.dm(member)
    question = await discord.say(dm, member, "who broke the course record at the marathon?")
    reply = await bot_reply(discord, dm)
    assert "record" in text_of(reply)
    assert reply["message_reference"]["message_id"] == question["id"]


async def test_a_failure_in_the_mention_path_gets_a_reply_with_a_reference(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User, caplog: pytest.LogCaptureFixture
) -> None:
    guild.bot_permissions &= ~limits.CREATE_PUBLIC_THREADS  # an admin took the permission away
    general = discord.channel(guild, "general")
    question = await discord.say(general, member, BRIDGE)
    reply = await bot_reply(discord, general)
    assert [c.status for c in discord.calls("create_thread")] == [403]
    assert reply["message_reference"]["message_id"] == question["id"]
    assert "reference" in reply["content"]
    reference = reply["content"].split("`")[1]
    assert reference in caplog.text  # the log says what went wrong, under the same reference


async def test_the_bot_remembers_a_bounded_number_of_threads_and_turns(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A follow-up in a remembered thread is answered with its last turns, read from memory;
    in a thread let go (the oldest beyond `max_threads`), they are read back from Discord."""
    ask_cog = bot.get_cog("Ask")
    assert ask_cog is not None
    ask_cog.max_threads = 2  # type: ignore[attr-defined]
    answered_with: dict[str, list[str]] = {}  # question -> the turns it was answered with
    answer = bot.answer

    async def heard(question: str, guild_id: int | None, history: Sequence[str] = (), **kw: Any) -> Answer:
        answered_with[question] = list(history)
        return await answer(question, guild_id, history, **kw)

    monkeypatch.setattr(bot, "answer", heard)
    general = discord.channel(guild, "general")
    threads = []
    for question in (BRIDGE, OPENAI, "who broke the course record at the marathon?"):  # one at a time
        await discord.say(general, member, question)
        await discord.wait_for(lambda q=question: any(t.name == q for t in discord.threads_of(general)), 15)
        threads.append(next(t for t in discord.threads_of(general) if t.name == question))
        await bot_reply(discord, threads[-1])
    last = threads[-1]
    follow_ups = ("and when was that?", "who ran?", "how fast?", "where?")
    for n, follow_up in enumerate(follow_ups, start=2):
        await discord.say(last, member, follow_up, mention_bot=False)
        await bot_reply(discord, last, n)
    await discord.say(last, member, "and then?", mention_bot=False)
    await bot_reply(discord, last, len(follow_ups) + 2)
    assert answered_with["and then?"] == recent(follow_ups), "the last turns only, none older"
    assert not discord.calls("history"), "the remembered threads' turns came from memory"

    await discord.say(threads[1], member, "and who runs it?", mention_bot=False)
    await bot_reply(discord, threads[1], 2)
    assert answered_with["and who runs it?"] == [OPENAI] and not discord.calls("history")
    await discord.say(threads[0], member, "and why?", mention_bot=False)  # let go: the oldest of three
    await bot_reply(discord, threads[0], 2)
    assert [c.params["channel"] for c in discord.calls("history")] == [str(threads[0].id)]
    assert answered_with["and why?"] == [BRIDGE], "read back from the thread"


def _pings_no_one(discord: DiscordStandIn) -> None:
    """Every message the bot posted said, on the wire, that it may ping no one, and shows
    the question's @everyone neutralised."""
    sent = [r.body for r in discord.requests if r.route == "create_message"]
    assert sent, "the bot posted nothing"
    for body in sent:
        mentions = body["allowed_mentions"]
        assert mentions["parse"] == [] and not mentions.get("users") and not mentions.get("roles"), body
        assert not mentions.get("replied_user"), body
        assert "@everyone" not in str(body.get("content", "")) + str(body.get("embeds", "")), body


@pytest.mark.parametrize("where", ["new thread", "member's thread", "channel"])
async def test_a_mention_carrying_everyone_pings_no_one_wherever_it_is_answered(
    where: str, bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    general = discord.channel(guild, "general")
    question = f"@everyone {BRIDGE} @here"
    if where == "new thread":
        await discord.say(general, member, question)
        await discord.wait_for(lambda: discord.threads_of(general), 15, "a thread")
        reply = await bot_reply(discord, discord.threads_of(general)[0])
    elif where == "member's thread":
        thread = await discord.start_thread(general, member, "bridge works")
        await discord.say(thread, member, question)
        reply = await bot_reply(discord, thread)
    else:  # no thread can be made: the failure's reply is posted in the channel
        guild.bot_permissions &= ~limits.CREATE_PUBLIC_THREADS
        await discord.say(general, member, question)
        reply = await bot_reply(discord, general)
    if where == "channel":
        assert [c.status for c in discord.calls("create_thread")] == [403]
        assert "reference" in reply["content"], reply
    else:
        assert "1 April" in text_of(reply), reply
    _pings_no_one(discord)
