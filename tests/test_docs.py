"""The docs stay true to the code: the generated reference pages and `.env.example` are
what the code generates now (run `make docs-gen` after changing a setting, a command or a
module docstring), and what they say is what the program does: `.env.example` copied to
`.env` gives every default, and the CLI reference names every option `--help` prints.
`make docs` (in `make test`) builds the site with --strict: a broken link fails there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import Settings
from scripts import gen_docs, settings_doc
from scripts.cli_doc import reference as cli_reference
from tests.conftest import REPO

GENERATED = gen_docs.generated(REPO)
MODULE_MAP = REPO / "docs/reference/modules.md"  # kept current by tests/test_architecture.py


@pytest.mark.parametrize("path", sorted(p for p in GENERATED if p != MODULE_MAP), ids=lambda p: p.name)
def test_the_generated_file_is_current(path: Path) -> None:
    assert not gen_docs.stale({path: GENERATED[path]}), (
        f"{path.relative_to(REPO)} is stale: run `make docs-gen`"
    )


def test_stale_names_a_file_that_differs_or_is_missing(tmp_path: Path) -> None:
    same, edited, missing = tmp_path / "same.md", tmp_path / "edited.md", tmp_path / "missing.md"
    same.write_text("a\n")
    edited.write_text("a hand edit\n")
    assert gen_docs.stale({same: "a\n", edited: "a\n", missing: "a\n"}) == [edited, missing]


def test_the_env_example_copied_to_env_gives_every_default(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text((REPO / ".env.example").read_text())
    from_example = Settings(_env_file=env)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_example.model_dump() == defaults.model_dump()


class _Grown(Settings):
    sections: ClassVar[dict[str, str]] = {"new_limit": "New things"}
    new_limit: int = Field(default=7, ge=2, description="A limit added later.")


def test_a_new_setting_reaches_the_reference_and_the_env_example() -> None:
    assert "NEW_LIMIT=7" in settings_doc.env_example(_Grown)
    assert "# --- New things" in settings_doc.env_example(_Grown)
    row = next(line for line in settings_doc.reference(_Grown).splitlines() if "`NEW_LIMIT`" in line)
    assert "`7`" in row and "integer ≥ 2" in row and "A limit added later." in row


def test_a_setting_without_a_description_stops_the_generator() -> None:
    class Undocumented(Settings):
        secretless: int = 3

    with pytest.raises(ValueError, match="secretless has no description"):
        settings_doc.env_example(Undocumented)


def test_the_choices_of_a_setting_come_from_the_code() -> None:
    from bot.answering.generation.llm import PROVIDERS

    row = next(line for line in settings_doc.reference(Settings).splitlines() if "`LLM_PROVIDER`" in line)
    assert all(name in row for name in PROVIDERS)


def _commands(text: str) -> list[str]:
    return re.findall(r"^#+ `(newsdesk[^`]*)`", text, re.MULTILINE)


def test_the_cli_reference_names_every_option_help_prints() -> None:
    text = cli_reference()
    runner = CliRunner()
    commands = _commands(text)
    assert {"newsdesk ask", "newsdesk ingest", "newsdesk feeds add", "newsdesk watch"} <= set(commands)
    sections = dict(
        zip(commands, re.split(r"^#+ `newsdesk[^`]*`", text, flags=re.MULTILINE)[1:], strict=True)
    )
    seen = 0
    for command, section in sections.items():
        result = runner.invoke(app, [*command.split()[1:], "--help"], terminal_width=200)
        assert result.exit_code == 0, (command, result.output)
        printed = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])\b", result.output)) - {"--help"}
        missing = {o for o in printed if f"`{o}`" not in section}
        assert not missing, f"{command}: --help prints {sorted(missing)}, the reference does not"
        seen += len(printed)
    assert seen > 20, "the options --help prints were not read"
