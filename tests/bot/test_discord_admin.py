"""Admin commands, safety of fetching for users, limits, errors and the token."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.answering.factory import build_engine, open_store
from bot.answering.models import Answer, Citation
from bot.discord_app.client import NewsBot
from bot.discord_app.exts.errors import message_for
from bot.discord_app.rendering import EMBED_TOTAL, answer_embed, split_message
from bot.discord_app.runner import run_bot
from bot.discord_app.workers import BusyError, WorkerPool
from bot.settings import Settings
from ingest.errors import UnsafeURLError
from ingest.fetching import FetchPolicy, fetch
from tests.bot.discord_fakes import invoke, make_bot_user, make_interaction, make_member
from tests.helpers import Route, make_pdf, serving
from vectorstore.embedding import Embedder

GUILD = 5151
PAGE = b"""<html><head><title>Lighthouse restored</title></head><body><article>
<p>The old lighthouse on the north cape was restored by volunteers over three summers and reopened on Saturday.</p>
<p>Visitors can climb its 112 steps on weekends from May to September.</p></article></body></html>"""


@pytest.fixture
async def news_bot(settings: Settings, embedder: Embedder) -> AsyncIterator[NewsBot]:
    bot = NewsBot(settings, engine_factory=lambda: build_engine(settings, embedder, open_store(settings)))
    await bot.prepare()
    bot._connection.user = make_bot_user()
    yield bot
    bot.answers.shutdown()
    bot.ingests.shutdown()


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
    bot = NewsBot(
        settings.model_copy(update={"discord_admin_role": "editors"}),
        engine_factory=lambda: build_engine(settings, embedder, open_store(settings)),
    )
    await bot.prepare()
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


def test_every_redirect_is_checked_again() -> None:
    """A 'public' first hop (127.0.0.2, allowed by the test's policy) redirecting to a
    private one (127.0.0.1) is refused before the second request is made."""
    with (
        serving({"/secret": Route(b"internal data", "text/plain")}) as inner,
        serving(
            {"/r": Route(b"", status=302, headers={"Location": inner.url("/secret")})}, host="127.0.0.2"
        ) as outer,
    ):
        policy = FetchPolicy(
            public_only=True, address_allowed=lambda a: a == ipaddress.ip_address("127.0.0.2")
        )
        with pytest.raises(UnsafeURLError, match="private or reserved"):
            fetch(outer.url("/r"), policy)
        assert outer.hits == {"/r": 1} and inner.hits == {}
        assert fetch(outer.url("/r"), FetchPolicy()).body == b"internal data"  # the operator's CLI may


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


def test_unexpected_errors_are_logged_with_a_reference(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        text = message_for(RuntimeError("database exploded"))
    reference = text.split("`")[1]
    assert "database exploded" not in text and len(reference) == 8
    assert reference in caplog.text and "database exploded" in caplog.text


def test_long_answers_fit_discord_limits() -> None:
    citations = [
        Citation(i, f"id-{i}", "T" * 400, "https://x.example/" + "p" * 100, "2024-01-01", "q" * 3000, 0, 10)
        for i in range(1, 40)
    ]
    answer = Answer("Q" * 1000, "A" * 10_000, False, "extractive", citations, "2024-01-01")
    embed = answer_embed(answer)
    assert len(embed) <= EMBED_TOTAL and len(embed.fields) <= 25
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)

    text = ("Sentence number one is here. " * 300).strip()
    parts = split_message(text)
    assert all(len(p) <= 2000 for p in parts) and all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text
    assert split_message("x" * 4001) == ["x" * 2000, "x" * 2000, "x"]
    assert split_message("y" * 2000) == ["y" * 2000]


async def test_full_queue_says_busy_instead_of_waiting() -> None:
    pool = WorkerPool("test", workers=1, max_waiting=1)
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow() -> int:
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=5)
        return 1

    first = asyncio.create_task(pool.run(slow))
    second = asyncio.create_task(pool.run(lambda: 2))
    await asyncio.sleep(0.05)
    with pytest.raises(BusyError):
        await pool.run(lambda: 3)
    release.set()
    assert await first == 1 and await second == 2
    pool.shutdown()


def test_missing_token_is_a_clear_message(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot(settings) == 2
    assert ".env.example" in capsys.readouterr().err


def test_token_is_never_shown(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    secret = "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.secret-token-value"
    with_token = Settings.model_validate({**settings.model_dump(), "discord_token": secret})
    assert secret not in repr(with_token) and secret not in str(with_token.model_dump())
    with caplog.at_level(logging.DEBUG):
        NewsBot(with_token)
    assert secret not in caplog.text
