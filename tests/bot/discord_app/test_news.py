"""/news [topic] [days] and /ask's since, until and source, over the dated fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.answering.news_time.news import NewsTime
from bot.app import App
from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_fakes import invoke, make_interaction, make_member, make_news_bot
from vectorstore.embedding import Embedder

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "news_time" / "articles.jsonl"
GUILD = 4343


@pytest.fixture
async def news_bot(settings: Settings, embedder: Embedder) -> AsyncIterator[NewsBot]:
    assert App(settings, embedder=embedder).ingest([str(FIXTURE)]).ok
    bot = await make_news_bot(settings, embedder)
    bot.engine.news = NewsTime(bot.engine.retriever, settings.min_evidence, clock=lambda: date(2026, 3, 20))
    yield bot
    bot.answers.shutdown()
    bot.ingests.shutdown()


def _sent(interaction: Any) -> dict[str, Any]:
    assert interaction.followup.send.await_count == 1, interaction.followup.send.await_args_list
    return dict(interaction.followup.send.await_args.kwargs)


async def _run(bot: NewsBot, cog: str, command: str, **params: Any) -> dict[str, Any]:
    found = bot.get_cog(cog)
    assert found is not None
    interaction = make_interaction(bot, make_member(GUILD), GUILD)
    await invoke(bot, getattr(found, command), interaction, **params)
    return _sent(interaction)


async def test_news_lists_the_newest_stories_one_line_each(news_bot: NewsBot) -> None:
    sent = await _run(news_bot, "News", "news")
    embed: discord.Embed = sent["embed"]
    lines = (embed.description or "").splitlines()
    assert lines[0] == "6 stories, newest first:"
    assert lines[1].startswith("1. Meloria flood death toll reaches 186 as waters recede (19 Mar 2026)")
    assert sum("desalination" in line.lower() for line in lines) == 1, "the five copies are one story"
    assert len(embed) <= 6000 and sent["allowed_mentions"].everyone is False


async def test_news_about_a_topic_in_the_last_days(news_bot: NewsBot) -> None:
    sent = await _run(news_bot, "News", "news", topic="Tessaly", days=7)
    description = sent["embed"].description or ""
    assert description.startswith("1 story about Tessaly dated 2026-03-14 to 2026-03-20 (the last 7 days)")
    assert "2025" not in description
    sent = await _run(news_bot, "News", "news", topic="Tessaly", days=1)
    assert sent["content"].startswith("I have no articles about Tessaly dated 2026-03-20 (the last day)")


def _answer_source(sent: dict[str, Any]) -> str:
    """The first source an /ask reply cites; a refusal (no embed) is said as such."""
    embed = sent.get("embed")
    if embed is None:
        assert str(sent["content"]).startswith("I could not find this in the articles I have"), sent
        return "refused"
    return str(embed.fields[0].value)


@pytest.mark.parametrize(
    ("options", "admitted"),
    [
        ({"until": "2025-12-31"}, True),
        ({"since": "2025-06-03"}, True),
        ({"since": "2026-01-01"}, False),
        ({"source": "Tessaly Herald"}, True),
        ({"source": "Sports Wire"}, False),
    ],
)
async def test_ask_since_until_and_source_narrow_the_articles(
    news_bot: NewsBot, options: dict[str, str], admitted: bool
) -> None:
    """Each option admits the 2025 plan article or keeps it out: the answer cites it, or is
    the refusal (not an error, not another article)."""
    sent = await _run(
        news_bot, "Ask", "ask", question="What plan did Tessaly's city council approve?", **options
    )
    shown = _answer_source(sent)
    assert ("herald.example/2025/06/03/plan" in shown) if admitted else (shown == "refused"), shown


@pytest.mark.parametrize("since", ["March", "2026-03-01garbage"])  # the second was read as 2026-03-01
async def test_ask_with_a_date_it_cannot_read_says_so(news_bot: NewsBot, since: str) -> None:
    interaction = make_interaction(news_bot, make_member(GUILD), GUILD)
    cog = news_bot.get_cog("Ask")
    assert cog is not None
    await invoke(news_bot, cog.ask, interaction, question="What happened?", since=since)
    text = interaction.response.send_message.await_args.args[0]
    assert text == f"since must be a date like 2026-03-20, not {since!r}."
