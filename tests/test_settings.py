from __future__ import annotations

import re
import subprocess
import sys
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


def test_an_unknown_llm_provider_is_refused_when_the_settings_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
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


def test_python_m_bot_says_a_bad_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("ANSWER_WORKERS", "many")
    assert main() == 2
    said = capsys.readouterr().err
    assert said.startswith("error: invalid settings: ANSWER_WORKERS: ") and "'many'" in said
    assert "Traceback" not in said and said.count("\n") == 1


def test_given_values_beat_the_environment_which_beats_the_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "other.env"
    env.write_text("top_k=7\nMIN_EVIDENCE=0.25\nANSWER_WORKERS=3\nLOG_LEVEL=\nNOT_A_SETTING=1\n")
    monkeypatch.setenv("Min_Evidence", "0.5")  # names in any case
    monkeypatch.setenv("ANSWER_WORKERS", "")  # set empty: not a value
    monkeypatch.setenv("CHUNK_TOKENS", "64")
    settings = Settings(_env_file=env, chunk_tokens=100)  # type: ignore[call-arg]
    assert (settings.top_k, settings.min_evidence, settings.answer_workers) == (7, 0.5, 3)
    assert settings.chunk_tokens == 100, "a value given in the code wins"
    assert Settings(_env_file=env, TOP_K=9).top_k == 9, "a name given in the code, in any case"  # type: ignore[call-arg]
    assert settings.log_level == Settings.model_fields["log_level"].default, "NAME= means the default"
    assert not hasattr(settings, "not_a_setting")
    without = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (without.top_k, without.min_evidence) == (Settings.model_fields["top_k"].default, 0.5)
    monkeypatch.setenv("TOP_K", "seven")
    with pytest.raises(ValidationError, match="top_k"):
        Settings(_env_file=env)  # type: ignore[call-arg]


def test_reading_the_settings_imports_neither_asyncio_nor_argparse() -> None:
    """The settings are read by every process, `newsdesk ask` too: pydantic validates them,
    python-dotenv reads `.env` (pydantic-settings would import asyncio, ssl and argparse: 5 MiB)."""
    code = (
        "import sys; from bot.settings import Settings; Settings(); import vectorstore.embedding.export; "
        "print(sorted({'asyncio', 'ssl', 'argparse', 'pydantic_settings'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "[]"
