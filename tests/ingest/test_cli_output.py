"""Output that data cannot break. Article text and paths are printed
as text (never rich markup), every --json path prints one JSON object, errors included,
and bad input or settings are one line, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import REPO
from tests.helpers import REPO_SAMPLE_QUESTION
from tests.ingest.test_fetch_outside_lock import slow_site

runner = CliRunner()
MARKUP = "Rates [/] rise [bold]again[/bold] [link=x]"


def _markup_article(folder: Path) -> Path:
    (folder / "rates[").mkdir()
    doc = folder / "rates[/].md"  # a folder "rates[" and a file "].md": a path holding "[/]"
    doc.write_text(
        f"---\ntitle: {MARKUP!r}\n---\nThe central bank raised rates [/] again on Tuesday, "
        "the third rise this year, and said inflation [red]was easing[/red] slowly.\n"
    )
    return doc


def test_titles_texts_and_paths_holding_markup_are_printed_as_text(tmp_path: Path) -> None:
    doc = _markup_article(tmp_path)
    (tmp_path / "bad[").mkdir()
    broken = tmp_path / "bad[/]name.pdf"
    broken.write_bytes(b"not a pdf [/]")

    ingested = runner.invoke(app, ["ingest", str(doc), str(broken)], env={"COLUMNS": "500"})
    assert ingested.exit_code == 1 and "bad[/]name.pdf" in ingested.stdout, ingested.output
    listed = runner.invoke(app, ["articles", "list"])
    assert listed.exit_code == 0 and "[/]" in listed.stdout
    asked = runner.invoke(app, ["ask", "what did the central bank do with rates?"])
    assert asked.exit_code == 0 and "[/]" in asked.stdout, asked.output
    deleted = runner.invoke(app, ["articles", "delete", str(doc.resolve())])
    assert deleted.exit_code == 0 and "[/]" in deleted.stdout
    missing = runner.invoke(app, ["articles", "delete", "no[/]such"])
    assert missing.exit_code == 2 and "no[/]such" in missing.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "", "--json"],
        ["ask", "x" * 600, "--json"],
        ["ask", "who?", "-k", "0", "--json"],
        ["ask", "who?", "-k", "abc", "--json"],
        ["ask", "who?", "--since", "last tuesday-ish", "--json"],
        ["ask", "who?", "--since", "2023-06-01garbage", "--json"],  # was read as 2023-06-01
        ["ask", "who?", "--until", "2023-06-01T", "--json"],
    ],
)
def test_ask_json_always_prints_one_json_object(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert isinstance(payload, dict) and payload["error"]


def test_bad_settings_are_one_line_or_one_json_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOP_K", "abc")
    plain = runner.invoke(app, ["stats"])
    assert plain.exit_code == 2 and "TOP_K" in plain.stderr and len(plain.stderr.strip().splitlines()) == 1
    monkeypatch.setattr(sys, "argv", ["newsdesk", "stats", "--json"])
    as_json = runner.invoke(app, ["stats", "--json"])
    assert as_json.exit_code == 2 and "TOP_K" in json.loads(as_json.stdout)["error"]


def test_a_question_that_is_not_utf8_is_answered(samples: Path) -> None:
    runner.invoke(app, ["ingest", str(samples), "-q"])
    question = "where is OpenAI's first office? caf\udce9"  # how Python passes a stray byte
    result = runner.invoke(app, ["ask", question, "--json"])
    assert result.exit_code == 0 and "text" in json.loads(result.stdout)
    chat = runner.invoke(app, ["chat"], input=REPO_SAMPLE_QUESTION.encode() + b" caf\xe9\n\n")
    assert chat.exit_code == 0 and chat.exception is None and "London" in chat.stdout


def test_feedback_export_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["feedback", "export", str(tmp_path / "nope" / "votes.jsonl")])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)  # not a traceback
    assert "cannot write" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_eval_of_garbage_is_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "questions.jsonl"
    garbage.write_bytes(b"\x00\xffnot json at all\n")
    result = runner.invoke(
        app, ["eval", "--questions", str(garbage), "--out", str(tmp_path / "p.jsonl"), "--json"]
    )
    assert result.exit_code == 2 and "cannot evaluate" in json.loads(result.stdout)["error"]


def test_a_corrupt_exported_model_is_one_line(tmp_path: Path) -> None:
    models = tmp_path / "models"
    model = models / "sentence-transformers--all-MiniLM-L6-v2" / "model.onnx"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"this is not an ONNX model")
    env = {**os.environ, "EMBEDDING_ONNX_DIR": str(models), "NEWSDESK_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "ask", "who?", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "run with -v" in json.loads(result.stdout)["error"]


def test_json_seconds_count_the_whole_run_fetching_included() -> None:
    """A page that answers a second after it is asked: `seconds` is the whole run,
    `fetch_seconds` the fetching before the run's writes."""
    with slow_site() as site:

        def answer_a_second_later() -> None:
            site.asked.wait(60)
            time.sleep(1.0)
            site.release.set()

        threading.Thread(target=answer_a_second_later, daemon=True).start()
        started = time.monotonic()
        result = runner.invoke(app, ["ingest", site.url, "--json"])
        elapsed = time.monotonic() - started
    summary = json.loads(result.stdout)
    assert summary["added"] == 1, summary
    assert 1.0 <= summary["fetch_seconds"] <= summary["seconds"] <= elapsed
