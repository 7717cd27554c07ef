"""The Discord door, driven with discord.py-shaped fakes over the real core, store and model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

import discord
import pytest

from bot.app import App
from bot.discord_app.client import NewsBot
from bot.discord_app.views import FeedbackView
from bot.feedback import FeedbackStore, feedback_path
from bot.settings import Settings
from ingest.runner import run_ingest
from tests.bot.discord_fakes import (
    invoke,
    make_interaction,
    make_member,
    make_message,
    make_news_bot,
    make_text_channel,
    make_thread,
)
from tests.helpers import REPO_SAMPLE_QUESTION
from vectorstore.embedding import Embedder

GUILD = 4242
OPENAI_URL = "https://newsdesk.example/2023/06/openai-london-office"


async def _make_bot(settings: Settings, embedder: Embedder) -> NewsBot:
    return await make_news_bot(settings, embedder)


@pytest.fixture
async def news_bot(settings: Settings, embedder: Embedder, samples: Path) -> AsyncIterator[NewsBot]:
    report = run_ingest(settings, [str(samples)], ingestor=App(settings, embedder=embedder).ingestor)
    assert report.ok
    bot = await _make_bot(settings, embedder)
    yield bot
    bot.answers.shutdown()
    bot.ingests.shutdown()


def _ask(bot: NewsBot) -> tuple[Any, Any]:
    cog = bot.get_cog("Ask")  # loaded as an extension: a fresh module, not tests' import
    assert cog is not None and type(cog).__name__ == "Ask"
    return cog, cog.ask


def _sent(mock: Any) -> dict[str, Any]:
    assert mock.await_count == 1, mock.await_args_list
    return dict(mock.await_args.kwargs)


async def test_ask_defers_then_answers_with_cited_embed(news_bot: NewsBot) -> None:
    _, command = _ask(news_bot)
    interaction = make_interaction(news_bot, make_member(GUILD), GUILD)

    await invoke(news_bot, command, interaction, question=REPO_SAMPLE_QUESTION)

    interaction.response.defer.assert_awaited_once()
    sent = _sent(interaction.followup.send)
    embed: discord.Embed = sent["embed"]
    assert "London" in (embed.description or "")
    [field] = embed.fields
    assert OPENAI_URL in (field.value or "") and "2023-06-28" in (field.value or "")
    # the sample's 2023 article, asked today: old news, said so (news_time/current.py)
    assert embed.footer.text == "as of 2023-06-28 · ⚠ old news: the newest report I have"
    assert sent["allowed_mentions"].everyone is False and sent["allowed_mentions"].roles is False
    assert isinstance(sent["view"], FeedbackView)


async def test_unanswerable_question_gets_a_friendly_refusal(news_bot: NewsBot) -> None:
    _, command = _ask(news_bot)
    interaction = make_interaction(news_bot, make_member(GUILD), GUILD)
    await invoke(news_bot, command, interaction, question="who won the 1998 football world cup?")
    sent = _sent(interaction.followup.send)
    assert "could not find" in sent["content"] and "embed" not in sent


async def test_too_long_question_is_refused_before_deferring(news_bot: NewsBot) -> None:
    _, command = _ask(news_bot)
    interaction = make_interaction(news_bot, make_member(GUILD), GUILD)
    await invoke(news_bot, command, interaction, question="why " * 300)
    interaction.response.defer.assert_not_awaited()
    text = interaction.response.send_message.await_args.args[0]
    assert "under 500" in text and interaction.response.send_message.await_args.kwargs["ephemeral"]


async def test_per_user_cooldown(news_bot: NewsBot) -> None:
    _, command = _ask(news_bot)
    member = make_member(GUILD)
    for _ in range(news_bot.settings.ask_rate):
        await invoke(
            news_bot, command, make_interaction(news_bot, member, GUILD), question="bridge closure dates?"
        )
    blocked = make_interaction(news_bot, member, GUILD)
    await invoke(news_bot, command, blocked, question="bridge closure dates?")
    blocked.response.defer.assert_not_awaited()
    assert "Slow down" in blocked.response.send_message.await_args.args[0]
    other = make_interaction(news_bot, make_member(GUILD), GUILD)
    await invoke(news_bot, command, other, question="bridge closure dates?")
    other.response.defer.assert_awaited_once()


async def test_channel_allow_list(settings: Settings, embedder: Embedder, samples: Path) -> None:
    allowed = 777
    limited = settings.model_copy(update={"discord_channel_ids": str(allowed)})
    run_ingest(limited, [str(samples)], ingestor=App(limited, embedder=embedder).ingestor)
    bot = await _make_bot(limited, embedder)
    _, command = _ask(bot)
    elsewhere = make_interaction(bot, make_member(GUILD), GUILD, channel_id=778)
    await invoke(bot, command, elsewhere, question=REPO_SAMPLE_QUESTION)
    assert "only in the channels" in elsewhere.response.send_message.await_args.args[0]
    here = make_interaction(bot, make_member(GUILD), GUILD, channel_id=allowed)
    await invoke(bot, command, here, question=REPO_SAMPLE_QUESTION)
    here.response.defer.assert_awaited_once()


async def test_mention_answers_in_a_thread_and_follow_up_uses_history(news_bot: NewsBot) -> None:
    cog, _ = _ask(news_bot)
    me = news_bot.user
    assert me is not None
    guild = make_member(GUILD).guild
    channel = make_text_channel()
    thread = make_thread(me.id, guild, channel)
    question = make_message(
        f"<@{me.id}> {REPO_SAMPLE_QUESTION}",
        channel=channel,
        author=make_member(GUILD),
        mentions=[me],
        guild=guild,
    )
    question.create_thread.return_value = thread

    await cog.on_message(question)

    question.create_thread.assert_awaited_once()
    assert question.create_thread.await_args.kwargs["name"] == REPO_SAMPLE_QUESTION
    first = _sent(thread.send)
    assert "London" in (first["embed"].description or "")

    thread.send.reset_mock()
    follow_up = make_message(
        "and who is its chief executive?", channel=thread, author=make_member(GUILD), mentions=[], guild=guild
    )
    await cog.on_message(follow_up)
    second = _sent(thread.send)
    assert second["embed"].fields and OPENAI_URL in second["embed"].fields[0].value


async def test_messages_from_bots_and_without_mention_are_ignored(news_bot: NewsBot) -> None:
    """The same mention is answered from a member (a thread started, the answer in it) and
    ignored from a bot; a member's message that does not mention the bot is ignored."""
    cog, _ = _ask(news_bot)
    me = news_bot.user
    assert me is not None
    guild = make_member(GUILD).guild

    def mention(author: Any, mentions: list[Any]) -> Any:
        channel = make_text_channel()
        message = make_message(
            f"<@{me.id}> {REPO_SAMPLE_QUESTION}",
            channel=channel,
            author=author,
            mentions=mentions,
            guild=guild,
        )
        message.create_thread.return_value = make_thread(me.id, guild, channel)
        return message

    robot = make_member(GUILD)
    robot.bot = True
    member = make_member(GUILD)
    answered, from_a_bot, unmentioned = mention(member, [me]), mention(robot, [me]), mention(member, [])
    for message in (answered, from_a_bot, unmentioned):
        await cog.on_message(message)
    answered.create_thread.assert_awaited_once()  # a member's mention is answered: the test can see it
    assert "London" in (_sent(answered.create_thread.return_value.send)["embed"].description or "")
    for ignored in (from_a_bot, unmentioned):
        ignored.create_thread.assert_not_awaited()
        ignored.reply.assert_not_awaited()
        ignored.channel.send.assert_not_awaited()


async def test_mentions_in_questions_and_articles_never_ping(
    news_bot: NewsBot, settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    loud = tmp_path / "loud.md"
    loud.write_text(
        "---\ntitle: Ping @everyone now\n---\nThe zebra parade organisers told @everyone and <@&123456789012345678> to gather at noon in the square.\n"
    )
    run_ingest(settings, [str(loud)], ingestor=App(settings, embedder=embedder).ingestor)
    _, command = _ask(news_bot)
    interaction = make_interaction(news_bot, make_member(GUILD), GUILD)
    await invoke(
        news_bot,
        command,
        interaction,
        question="@everyone when does the zebra parade gather? <@&123456789012345678>",
    )
    sent = _sent(interaction.followup.send)
    embed: discord.Embed = sent["embed"]
    rendered = " ".join(
        [embed.title or "", embed.description or ""]
        + [f.name or "" for f in embed.fields]
        + [f.value or "" for f in embed.fields]
    )
    assert "zebra" in rendered and "@everyone" not in rendered and "<@&123456789012345678>" not in rendered
    assert sent["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()
    assert news_bot.allowed_mentions is not None and news_bot.allowed_mentions.everyone is False


async def test_votes_are_stored_and_survive_a_restart(
    news_bot: NewsBot, settings: Settings, tmp_path: Path
) -> None:
    _, command = _ask(news_bot)
    interaction = make_interaction(news_bot, make_member(GUILD), GUILD)
    await invoke(news_bot, command, interaction, question=REPO_SAMPLE_QUESTION)
    [answer_message] = interaction.followup.send.returned
    view: FeedbackView = _sent(interaction.followup.send)["view"]
    voter = make_member(GUILD)
    click = make_interaction(news_bot, voter, GUILD)
    click.message = answer_message

    await view.down.callback(click)
    await view.up.callback(click)  # a user may change their mind: one vote per user

    assert "Thanks" in click.response.send_message.await_args.args[0]
    reopened = FeedbackStore(feedback_path(settings.data_dir))  # as after a restart
    [row] = reopened.rows()
    assert (row.vote, row.user_id, row.question) == ("up", voter.id, REPO_SAMPLE_QUESTION)
    assert row.article_ids == [OPENAI_URL] and row.guild_id == GUILD
    out = tmp_path / "votes.jsonl"
    assert reopened.export_jsonl(out) == 1 and '"vote": "up"' in out.read_text()

    stranger = make_interaction(news_bot, voter, GUILD)
    stranger.message = make_message("not an answer")
    await view.up.callback(stranger)
    assert "not stored" in stranger.response.send_message.await_args.args[0]


def test_feedback_view_is_persistent(news_bot: NewsBot) -> None:
    view = FeedbackView(news_bot.feedback)
    assert view.timeout is None and view.is_persistent()
    assert {c.custom_id for c in view.children if isinstance(c, discord.ui.Button)} == {
        "newsdesk:feedback:up",
        "newsdesk:feedback:down",
    }


async def test_llm_answer_streams_into_the_reply_then_shows_the_verified_one(
    settings: Settings, embedder: Embedder, samples: Path
) -> None:
    import time as _time

    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from bot.answering.generation.llm import ChatBackend

    class SlowFake(GenericFakeChatModel):
        def _stream(self, *args: Any, **kwargs: Any) -> Any:
            for chunk in super()._stream(*args, **kwargs):
                _time.sleep(0.03)
                yield chunk

    run_ingest(settings, [str(samples)], ingestor=App(settings, embedder=embedder).ingestor)
    reply = "OpenAI will open its first international office in London [1]. The Moon office is run by penguins [1]."
    fake = SlowFake(messages=iter([AIMessage(reply)]))
    fast_edits = settings.model_copy(update={"discord_edit_interval_s": 0.1})
    bot = await make_news_bot(fast_edits, embedder, ChatBackend(fake, "fake"))
    _, command = _ask(bot)
    interaction = make_interaction(bot, make_member(GUILD), GUILD)
    edited_at: list[float] = []

    def edit(**kwargs: Any) -> Any:
        edited_at.append(_time.monotonic())
        return make_message(kwargs.get("content") or "")

    interaction.edit_original_response = AsyncMock(side_effect=edit)

    await invoke(bot, command, interaction, question=REPO_SAMPLE_QUESTION)

    calls = interaction.edit_original_response.await_args_list
    partial = [c.kwargs["content"] for c in calls[:-1]]
    assert partial and all(p.endswith(" …") for p in partial), "partial text shown while generating"
    gaps = [b - a for a, b in pairwise(edited_at[:-1])]  # between partial edits, as they were made
    assert all(g >= 0.1 - 0.005 for g in gaps), f"at most one edit per 0.1 s interval: {gaps}"
    final = calls[-1].kwargs
    assert final["content"] is None and "London [1]" in (final["embed"].description or "")
    assert "penguins" not in (final["embed"].description or ""), "the final edit is the verified answer"
    interaction.followup.send.assert_not_awaited()
