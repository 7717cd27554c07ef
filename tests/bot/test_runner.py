"""Starting the bot: settings and the token."""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from bot.discord_app.runner import build_bot, run_bot
from bot.settings import Settings
from vectorstore.embedding import Embedder


def test_missing_token_is_a_clear_message(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot(settings) == 2
    assert ".env.example" in capsys.readouterr().err


def test_token_is_never_shown(
    settings: Settings, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.secret-token-value"
    with_token = Settings.model_validate({**settings.model_dump(), "discord_token": secret})
    assert secret not in repr(with_token) and secret not in str(with_token.model_dump())
    with caplog.at_level(logging.DEBUG):
        build_bot(with_token, App(with_token, embedder=embedder))
    assert secret not in caplog.text
