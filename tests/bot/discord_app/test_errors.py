"""The one error handler of app commands."""

from __future__ import annotations

import logging

import pytest

from bot.discord_app.exts.errors import message_for


def test_unexpected_errors_are_logged_with_a_reference(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        text = message_for(RuntimeError("database exploded"))
    reference = text.split("`")[1]
    assert "database exploded" not in text and len(reference) == 8
    assert reference in caplog.text and "database exploded" in caplog.text
