from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import REPO


def test_env_example_lists_every_setting() -> None:
    listed = set(re.findall(r"^([A-Z_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} == listed


def test_env_file_and_environment_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("TOP_K=7\nDISCORD_TOKEN=abc.def\n")
    monkeypatch.setenv("MIN_EVIDENCE", "0.5")
    settings = Settings()
    assert settings.top_k == 7 and settings.min_evidence == 0.5
    assert settings.discord_token is not None and "abc" not in repr(settings), "the token is a secret"
