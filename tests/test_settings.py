from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import Settings
from ingest.settings import settings_error_line
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


def test_an_unknown_llm_provider_is_refused_when_the_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.answering.generation.providers import PROVIDERS

    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, llm_provider="magic")  # type: ignore[call-arg]
    line = settings_error_line(refused.value)
    assert line.startswith("invalid settings: LLM_PROVIDER: must be one of ") and "'magic'" in line
    assert all(name in line for name in PROVIDERS)
    assert Settings(_env_file=None, llm_provider=" Anthropic ").llm_provider == " Anthropic "  # type: ignore[call-arg]
    monkeypatch.setenv("LLM_PROVIDER", "magic")
    result = CliRunner().invoke(app, ["stats"])
    assert result.exit_code == 2 and "LLM_PROVIDER: must be one of none, " in result.stderr


def test_python_m_bot_says_a_bad_setting_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("ANSWER_WORKERS", "many")
    assert main() == 2
    said = capsys.readouterr().err
    assert said.startswith("error: invalid settings: ANSWER_WORKERS: ") and "'many'" in said
    assert "Traceback" not in said and said.count("\n") == 1
