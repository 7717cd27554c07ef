"""The terminal door, driven as a user would (typer's runner, in-process, real store)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.evaluation import OffsetMap, load_jsonl, normalize
from bot.settings import Settings
from tests.conftest import FIXTURES, REPO
from tests.helpers import REPO_SAMPLE_QUESTION

runner = CliRunner()


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_ask_list_stats_delete(samples: Path) -> None:
    summary = _json(["ingest", str(samples), "--json"])
    assert isinstance(summary, dict) and summary["added"] == 6 and summary["failed"] == 0
    assert {a["status"] for a in summary["articles"]} == {"added"}

    answer = _json(["ask", REPO_SAMPLE_QUESTION, "--json", "-k", "3"])
    assert isinstance(answer, dict) and not answer["refused"] and "London" in answer["text"]
    [citation] = answer["citations"]
    assert set(citation) >= {"number", "article_id", "title", "url", "date", "quote", "start", "end"}
    assert len(answer["retrieved"]) == 3

    listed = _json(["articles", "list", "--json"])
    assert isinstance(listed, list) and len(listed) == 6
    assert listed[0]["date"] == "2025-05-07", "newest first"

    deleted = runner.invoke(app, ["articles", "delete", citation["article_id"]])
    assert deleted.exit_code == 0 and "deleted" in deleted.stdout
    stats = _json(["stats", "--json"])
    assert isinstance(stats, dict) and stats["articles"] == 5 and stats["dimension"] == 384

    missing = runner.invoke(app, ["articles", "delete", "no-such-id"])
    assert missing.exit_code == 2 and "No article" in missing.stderr


def test_plain_answer_shows_quote_source_and_date(samples: Path) -> None:
    runner.invoke(app, ["ingest", str(samples), "-q"])
    result = runner.invoke(app, ["ask", REPO_SAMPLE_QUESTION])
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert "London" in flat and "[1] OpenAI picks London" in flat and "2023-06-28" in flat
    assert "newsdesk.example/2023/06/openai-london-office" in flat


def test_failed_ingest_sets_the_exit_code(samples: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf")
    result = runner.invoke(app, ["ingest", str(samples), str(tmp_path / "broken.pdf"), "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["added"] == 6 and summary["failed"] == 1


def test_empty_question_is_a_clear_error() -> None:
    result = runner.invoke(app, ["ask", "  "])
    assert result.exit_code == 2 and "Ask a question" in result.stderr


def test_eval_writes_predictions_in_the_shared_format(tmp_path: Path) -> None:
    articles = FIXTURES / "eval_slice" / "articles.jsonl"
    questions = FIXTURES / "eval_slice" / "questions.jsonl"
    out = tmp_path / "pred.jsonl"
    figures = _json(
        ["eval", "--articles", str(articles), "--questions", str(questions), "--out", str(out), "--json"]
    )

    rows = load_jsonl(out)
    assert len(rows) == 6
    texts = {a["id"]: a["text"] for a in load_jsonl(articles)}
    for row in rows:
        assert set(row) >= {"id", "answer", "refused", "retrieved", "latency_ms"}
        assert 1 <= len(row["retrieved"]) <= 10
        for hit in row["retrieved"]:
            assert hit["article_id"] in texts and 0 <= hit["start"] < hit["end"] <= len(
                texts[hit["article_id"]]
            )
    assert isinstance(figures, dict) and figures["questions"] == 6
    assert figures["recall_at_5"] == 1.0  # the slice is small: every gold passage is found
    hits = sum(
        any(normalize(a) in normalize(row["answer"]) for a in q["answers"])
        for q, row in zip(load_jsonl(questions), rows, strict=True)
    )
    assert figures["answer_hit"] == round(hits / 6, 4)

    scorer = REPO.parent / "shared" / "eval" / "score.py"
    if not scorer.exists():
        pytest.skip(f"{scorer} is not beside this checkout: no cross-check with the shared scorer")
    reference = subprocess.run(
        [sys.executable, str(scorer), str(questions), str(out)], capture_output=True, text=True, check=False
    )
    assert reference.returncode == 0, f"the shared scorer failed on our predictions: {reference.stderr}"
    theirs = json.loads(reference.stdout)
    assert theirs["recall@5"] == figures["recall_at_5"] and theirs["answer_hit"] == figures["answer_hit"]


@pytest.mark.parametrize(
    "text",
    [
        "“Squid Game”",
        "Gi-hun’s return",
        "¿Qué? ¡Sí! «Le Monde» „Zeit“",
        "The $250 million deal",
        "A. Eiffel Tower",
        "「東京」、大阪。",
        "an Oscar—finally…",
    ],
)
def test_answers_are_normalised_as_the_shared_scorer_does(text: str) -> None:
    scorer = REPO.parent / "shared" / "eval" / "score.py"
    if not scorer.exists():
        pytest.skip(f"{scorer} is not beside this checkout: no cross-check with the shared scorer")
    spec = importlib.util.spec_from_file_location("shared_score", scorer)
    assert spec is not None and spec.loader is not None
    shared = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shared)
    assert normalize(text) == shared.norm(text)


def test_offsets_map_back_to_the_text_as_given(tmp_path: Path) -> None:
    raw = "Line one  has   spaces.\r\n\r\n\r\nSecond paragraph."
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x", "text": raw}) + "\n")
    offsets = OffsetMap([path])
    from ingest.reading.cleaning import clean_text

    clean = clean_text(raw)
    start = clean.index("Second")
    s, e = offsets.span("x", start, start + len("Second paragraph."))
    assert raw[s:e] == "Second paragraph."


def test_chat_answers_follow_ups_until_an_empty_line(samples: Path) -> None:
    runner.invoke(app, ["ingest", str(samples), "-q"])
    result = runner.invoke(
        app, ["chat"], input=f"{REPO_SAMPLE_QUESTION}\nand who is its chief executive?\n\n"
    )
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert flat.count("OpenAI picks London") == 2, "both answers cite the OpenAI article"
    assert "Sam Altman" in flat or "Altman" in flat


def test_a_near_miss_is_refused_and_its_quote_marked_as_not_an_answer(samples: Path) -> None:
    assert runner.invoke(app, ["ingest", "-q", str(samples)]).exit_code == 0
    question = "When will OpenAI open its office in Tokyo?"
    answer = _json(["ask", question, "--json"])
    assert isinstance(answer, dict) and answer["refused"] and answer["citations"] == []
    assert "London" in answer["nearest"]["quote"]

    shown = runner.invoke(app, ["ask", question])
    assert shown.exit_code == 0
    assert "Tokyo" in shown.stdout and "not an answer" in shown.stdout
    assert "openai-london-office" in shown.stdout


def test_ingest_lowers_its_own_cpu_priority_so_a_bot_beside_it_keeps_its_speed(tmp_path: Path) -> None:
    """INGEST_NICE: the real command, in its own process; the priority it ends with is read
    back from that process (a CLI run inside the test process keeps INGEST_NICE=0)."""
    article = tmp_path / "a.txt"
    article.write_text("The harbour board approved the new ferry pier on Monday.\n")
    script = (
        "import os, sys\n"
        "from bot.cli import main\n"
        "before = os.nice(0)\n"
        "try:\n"
        f"    main(['ingest', '--quiet', {str(article)!r}])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code, os.nice(0) - before)\n"
    )
    env = {**os.environ, "INGEST_NICE": "7", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.stdout.split()[-2:] == ["0", "7"], done.stderr[-2000:]


def test_eval_asks_each_question_on_its_asked_at_day(tmp_path: Path) -> None:
    """Real news questions: `asked_at` sets the clock of each question, and
    `article_ids` with no answer offsets make retrieval count the whole article."""
    fixture = FIXTURES / "real_questions"
    out = tmp_path / "pred.jsonl"
    args = [
        "eval",
        "--articles",
        str(fixture / "articles.jsonl"),
        "--questions",
        str(fixture / "questions.jsonl"),
    ]
    figures = _json([*args, "--out", str(out), "--json"])
    rows = {row["id"]: row for row in load_jsonl(out)}
    assert "35" in rows["rq-this-week-then"]["answer"] and "58" not in rows["rq-this-week-then"]["answer"]
    assert isinstance(figures, dict) and figures["recall_at_5"] == 1.0 and figures["refused"] == 0.0
    assert figures["answer_hit"] == 1.0, rows

    undated = tmp_path / "undated.jsonl"
    undated.write_text(
        "".join(json.dumps({**q, "asked_at": None}) + "\n" for q in load_jsonl(fixture / "questions.jsonl"))
    )
    _json([*args[:3], "--questions", str(undated), "--out", str(tmp_path / "u.jsonl"), "--json"])
    assert "58" in {r["id"]: r for r in load_jsonl(tmp_path / "u.jsonl")}["rq-this-week-then"]["answer"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"id": "x", "question": "q?", "answers": [], "article_id": "a", "asked_at": "soon"}) + "\n"
    )
    refused = runner.invoke(app, [*args[:3], "--questions", str(bad), "--out", str(tmp_path / "b.jsonl")])
    assert refused.exit_code == 2 and "asked_at 'soon' is not an ISO date" in refused.stderr


def test_ask_at_a_past_day_and_the_answer_marked(tmp_path: Path) -> None:
    fixture = FIXTURES / "real_questions" / "articles.jsonl"
    runner.invoke(app, ["ingest", str(fixture), "-q"])
    question = "How many people have died in the Avel floods this week?"
    then = _json(["ask", question, "--asked-at", "2026-10-04", "--json"])
    assert isinstance(then, dict) and "35" in then["text"] and "58" not in then["text"]
    mark = then["citations"][0]["mark"]
    assert then["citations"][0]["quote"][mark[0] : mark[1]] == "35"
    wrong = runner.invoke(app, ["ask", question, "--asked-at", "2026-10-04x"])
    assert wrong.exit_code == 2 and "--asked-at must be a date" in wrong.stderr


def test_a_question_is_embedded_on_one_thread_unless_the_operator_says(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.cli as cli
    from bot.app import App

    built: list[int] = []

    class Recording(App):
        def __init__(self, settings: Settings) -> None:
            built.append(settings.embedding_threads)
            super().__init__(settings)

    monkeypatch.setattr(cli, "App", Recording)
    monkeypatch.delenv("EMBEDDING_THREADS", raising=False)
    assert runner.invoke(app, ["ingest", str(samples), "-q"]).exit_code == 0
    assert runner.invoke(app, ["ask", REPO_SAMPLE_QUESTION]).exit_code == 0
    monkeypatch.setenv("EMBEDDING_THREADS", "3")
    assert runner.invoke(app, ["ask", REPO_SAMPLE_QUESTION]).exit_code == 0
    assert built == [0, 1, 3], "an ingest uses every core, a question one thread, a set value stays"
