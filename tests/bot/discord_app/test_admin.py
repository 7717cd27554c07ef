"""Admin commands, safety of fetching for users, limits, errors and the token."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord

from bot.discord_app.client import NewsBot
from bot.settings import Settings
from tests.bot.discord_fakes import invoke, make_interaction, make_member, make_news_bot
from tests.helpers import Route, make_pdf, serving
from vectorstore.embedding import Embedder

GUILD = 5151
PAGE = b"""<html><head><title>Lighthouse restored</title></head><body><article>
<p>The old lighthouse on the north cape was restored by volunteers over three summers and reopened on Saturday.</p>
<p>Visitors can climb its 112 steps on weekends from May to September.</p></article></body></html>"""


def _command(bot: NewsBot, name: str) -> Any:
    cog = bot.get_cog("Admin")
    assert cog is not None
    return getattr(cog, name)


def _admin() -> Any:
    return make_member(GUILD, manage_guild=True)


async def test_members_without_permission_are_refused(news_bot: NewsBot) -> None:
    for name, params in (
        ("ingest", {"url": "https://example.com/a"}),
        ("articles", {}),
        ("forget", {"article_id": "x"}),
    ):
        interaction = make_interaction(news_bot, make_member(GUILD), GUILD)
        await invoke(news_bot, _command(news_bot, name), interaction, **params)
        interaction.response.defer.assert_not_awaited()
        args = interaction.response.send_message.await_args
        assert "Only server admins" in args.args[0] and args.kwargs["ephemeral"] is True


async def test_admin_role_from_settings_is_enough(settings: Settings, embedder: Embedder) -> None:
    bot = await make_news_bot(settings.model_copy(update={"discord_admin_role": "editors"}), embedder)
    interaction = make_interaction(bot, make_member(GUILD, roles=("editors",)), GUILD)
    await invoke(bot, _command(bot, "articles"), interaction)
    interaction.response.defer.assert_awaited_once()
    assert "No articles yet" in interaction.followup.send.await_args.args[0]


async def test_ingest_url_refuses_loopback_for_discord_users(news_bot: NewsBot) -> None:
    with serving({"/a": Route(PAGE)}) as server:
        interaction = make_interaction(news_bot, _admin(), GUILD)
        await invoke(news_bot, _command(news_bot, "ingest"), interaction, url=server.url("/a"))
        assert server.hits == {}, "nothing was fetched"
    text = interaction.followup.send.await_args.args[0]
    assert "0 added" in text and "private or reserved" in text


async def test_uploaded_file_is_ingested_for_this_server_only(news_bot: NewsBot) -> None:
    attachment = MagicMock(spec=discord.Attachment)
    attachment.filename = "lighthouse.pdf"
    attachment.size = 2000
    attachment.read = AsyncMock(
        return_value=make_pdf(
            ["The old lighthouse on the north cape reopened on Saturday after volunteers restored it."],
            title="Lighthouse restored",
        )
    )
    interaction = make_interaction(news_bot, _admin(), GUILD)
    await invoke(news_bot, _command(news_bot, "ingest"), interaction, file=attachment)
    assert "1 added" in interaction.followup.send.await_args.args[0]

    here = await news_bot.answer("when did the lighthouse reopen?", GUILD)
    elsewhere = await news_bot.answer("when did the lighthouse reopen?", GUILD + 1)
    assert not here.refused and here.citations[0].article_id == f"upload:{GUILD}/lighthouse.pdf"
    assert elsewhere.refused or all(
        c.article_id != f"upload:{GUILD}/lighthouse.pdf" for c in elsewhere.citations
    )

    listing = make_interaction(news_bot, _admin(), GUILD)
    await invoke(news_bot, _command(news_bot, "articles"), listing)
    assert "Lighthouse restored" in listing.followup.send.await_args.args[0]

    forget = make_interaction(news_bot, _admin(), GUILD)
    await invoke(news_bot, _command(news_bot, "forget"), forget, article_id=f"upload:{GUILD}/lighthouse.pdf")
    assert "Forgot" in forget.followup.send.await_args.args[0]
    assert (await news_bot.answer("when did the lighthouse reopen?", GUILD)).refused


async def test_wrong_upload_type_and_size(news_bot: NewsBot) -> None:
    attachment = MagicMock(spec=discord.Attachment)
    attachment.filename = "virus.exe"
    attachment.size = 10
    attachment.read = AsyncMock(return_value=b"MZ")
    interaction = make_interaction(news_bot, _admin(), GUILD)
    await invoke(news_bot, _command(news_bot, "ingest"), interaction, file=attachment)
    assert "attach a .txt" in interaction.followup.send.await_args.args[0]
    attachment.filename = "big.pdf"

    attachment.size = 50_000_000
    big = make_interaction(news_bot, _admin(), GUILD)
    await invoke(news_bot, _command(news_bot, "ingest"), big, file=attachment)
    assert "limit" in big.followup.send.await_args.args[0]
    attachment.read.assert_not_awaited()
