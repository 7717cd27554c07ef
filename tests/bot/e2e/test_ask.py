"""/ask over the wire: deferral, answer with sources, votes, and Discord's 429 and 500."""

from __future__ import annotations

import pytest

from bot.discord_app.client import NewsBot
from bot.feedback import FeedbackStore, feedback_path
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.limits import INTERACTION_DEADLINE_S
from tests.bot.discord_standin.world import Guild, User
from tests.bot.e2e.helpers import ANSWER_S, ask, text_of

pytestmark = pytest.mark.slow


async def test_ask_answers_with_its_sources(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    interaction = await ask(discord, discord.channel(guild, "general"), member)
    assert interaction.callback_type == 5 and interaction.deferral_s is not None
    assert interaction.deferral_s < INTERACTION_DEADLINE_S
    answer = interaction.messages[-1]
    shown = text_of(answer)
    assert "London" in shown and "OpenAI picks London for its first office outside the United States" in shown
    assert "https://newsdesk.example/2023/06/openai-london-office" in str(answer["embeds"])
    assert "office in **London**," in answer["embeds"][0]["description"], "the words that answer, in bold"
    buttons = [c["custom_id"] for row in answer["components"] for c in row["components"]]
    assert buttons == ["newsdesk:feedback:up", "newsdesk:feedback:down"]
    sent = [r.body for r in discord.requests if r.route in ("followup", "create_message", "webhook_edit")]
    assert sent and all(body["allowed_mentions"]["parse"] == [] for body in sent)  # nobody can be pinged


async def test_a_vote_is_recorded(
    bot: NewsBot, bot_settings: Settings, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    general = discord.channel(guild, "general")
    answer = (await ask(discord, general, member)).messages[-1]
    vote = await discord.interactions.click(
        general.messages[int(answer["id"])], "newsdesk:feedback:down", user=member
    )
    await discord.wait_for(lambda: vote.messages, ANSWER_S, "the vote's acknowledgement")
    assert vote.ephemeral and "Thanks" in vote.messages[0]["content"]
    rows = FeedbackStore(feedback_path(bot_settings.data_dir)).rows()
    assert [(r.message_id, r.user_id, r.vote) for r in rows] == [(int(answer["id"]), member.id, "down")]


async def test_a_429_on_the_answer_is_waited_out(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    discord.fail("followup", 429, retry_after=0.3)
    interaction = await ask(discord, discord.channel(guild, "general"), member)
    calls = discord.calls("followup")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.3  # retry_after was respected
    assert "London" in text_of(interaction.messages[-1])


async def test_a_500_then_success_delivers_the_answer(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild, member: User
) -> None:
    discord.fail("followup", 500)
    interaction = await ask(discord, discord.channel(guild, "general"), member)
    assert [c.status for c in discord.calls("followup")] == [500, 200]
    assert "London" in text_of(interaction.messages[-1])


async def test_ingest_of_an_attachment_then_ask_about_it(
    bot: NewsBot, discord: DiscordStandIn, guild: Guild
) -> None:
    general = discord.channel(guild, "general")
    article = (
        b"---\ntitle: Night ferry to the islands returns in spring\ndate: 2025-02-10\n---\n\n"
        b"The night ferry to the outer islands will sail again from 14 March, the port authority said, "
        b"after a new crew was hired for the winter timetable.\n"
    )
    upload = discord.attach("ferry.md", article, "text/markdown")
    ingest = await discord.interactions.command(
        "ingest", {}, channel=general, user=guild.owner, attachments={"file": upload}
    )
    await discord.wait_for(lambda: ingest.messages and not ingest.loading, ANSWER_S, "the ingest report")
    assert ingest.ephemeral and "added" in ingest.messages[-1]["content"]
    answer = await ask(discord, general, guild.owner, "when will the night ferry sail again?")
    assert "14 March" in text_of(answer.messages[-1])
