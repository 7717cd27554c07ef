"""Readers never wait for a writer's whole run, with real processes.

An ingest run (the real `newsdesk ingest`, with one hook, held_writer.py: it pauses before
its ninth batch until the test lets it go) reads a file of 64 one-chunk articles, then a second
file. With INGEST_FLUSH_CHUNKS=8 the run publishes the 64 articles in 8 batches, then
waits, holding the writer lock, between batches, for as long as the test likes. (Pages
are fetched before a run takes the lock, so a slow page cannot hold a run
open.) Nothing here is timed: a reader either answers while the run waits, or the test
fails.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from tests.processes import Children
from tests.vectorstore.conftest import REPO, ReaderOf, live_env
from vectorstore.embedding import Embedder
from vectorstore.inspection import host_rows, iter_chunks, visible_rows

pytestmark = pytest.mark.slow

BATCH = 8  # INGEST_FLUSH_CHUNKS of the runs here
FIRST = 64  # articles before the held page: the run's lookup batch, so all are sent before it
PROBE, TAIL = "ZX-7007", "ZX-9229"


@pytest.fixture(autouse=True)
def _model_exported(embedder: Embedder) -> None:
    """The session's ONNX export is made before a process here starts (each would make its own)."""
    assert embedder.dimension > 0


_WORDS = ["council", "harbour", "river", "museum", "budget", "train", "school", "market", "bridge", "storm"]
_WORDS += ["library", "hospital", "factory", "airport", "stadium", "park", "theatre", "orchestra", "farm"]


def _corpus(folder: Path) -> tuple[Path, Path]:
    """FIRST one-chunk articles (the first holds PROBE), and a tail article holding TAIL."""
    first, tail = folder / "first.jsonl", folder / "tail.jsonl"
    rows = []
    for i in range(FIRST):
        code = PROBE if i == 0 else f"ZY-{1000 + i}"
        place, thing = _WORDS[i % len(_WORDS)], _WORDS[(i * 7 + 3) % len(_WORDS)]
        text = (
            f"Report {i} from the {place}: the {thing} numbered {code} was counted {i * 37 % 900} "
            f"times by the {place} office, which keeps a record of every {thing}."
        )
        rows.append(json.dumps({"id": f"first-{i:02d}", "title": f"Yard report {i}", "text": text}))
    first.write_text("\n".join(rows) + "\n")
    text = f"The last report: the part numbered {TAIL} passed inspection at the Quillmouth yard."
    tail.write_text(json.dumps({"id": "tail", "title": "Last report", "text": text}) + "\n")
    return first, tail


def _env(data: Path) -> dict[str, str]:
    return live_env(NEWSDESK_DATA_DIR=str(data), INGEST_FLUSH_CHUNKS=str(BATCH))


def _run(children: Children, data: Path, corpus: tuple[Path, Path], gate: Path) -> subprocess.Popen[str]:
    """The ingest of both files, paused before its ninth batch until `gate` exists
    (held_writer.py: before its ninth `write_articles`, none of that batch's writes begun)."""
    first, tail = corpus
    held = gate.with_name("held")
    point = ["write", str(FIRST // BATCH + 1)]
    return children.popen(
        [
            sys.executable,
            "-m",
            "tests.vectorstore.held_writer",
            str(held),
            str(gate),
            *point,
            str(first),
            str(tail),
            "-v",
        ],
        env=_env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _first_batches_stored(run: subprocess.Popen[str]) -> None:
    """Read the run's log until the FIRST articles are stored: every batch before the held
    page is published, and no write is in flight."""
    assert run.stderr is not None
    stored = 0
    for line in run.stderr:
        stored += " stored " in line
        if stored == FIRST:
            return
    pytest.fail(f"the run ended (code {run.wait()}) before storing its first {FIRST} articles")


def _ask(data: Path, question: str) -> dict[str, object]:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("newsdesk")), "ask", "--json", question],
        env=_env(data),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,  # not a speed goal: a reader that waits for the run waits for ever here
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_a_reader_started_mid_run_answers_before_the_run_ends(tmp_path: Path, children: Children) -> None:
    data, gate = tmp_path / "store", tmp_path / "go on"
    run = _run(children, data, _corpus(tmp_path), gate)
    try:
        _first_batches_stored(run)
        answer = _ask(data, f"Which part numbered {PROBE} passed inspection?")
        assert run.poll() is None, "the run ended before the reader answered"
    finally:
        gate.touch()
    assert run.wait(timeout=120) == 0
    cited = [c["article_id"] for c in answer["citations"]]  # type: ignore[union-attr]
    assert cited[:1] == ["first-00"], answer


def test_a_running_reader_answers_from_the_first_batches_while_the_run_goes_on(
    tmp_path: Path, reader_of: ReaderOf, children: Children
) -> None:
    data, gate = tmp_path / "store", tmp_path / "go on"
    reader = reader_of(_env(data), [PROBE, TAIL])
    run = _run(children, data, _corpus(tmp_path), gate)
    try:
        _first_batches_stored(run)
        reader.seen(PROBE, True, 0, 0)  # fails after 120 s if never
        assert run.poll() is None, "the run is waiting before its ninth batch"
        assert not reader.found(TAIL), "the tail comes after the pause"
    finally:
        gate.touch()
    assert run.wait(timeout=120) == 0
    reader.seen(TAIL, True, 0, 0)
    assert reader.errors() == []


def _store_of(data: Path) -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, str, str]]]:
    """(records: id -> (hash, chunks), chunks: id -> (article, hash, text)), read from Chroma."""
    store = App(Settings(_env_file=None, newsdesk_data_dir=data)).store  # type: ignore[call-arg]
    records = {r.id: (r.hash, r.n_chunks) for r in store.records().values()}
    chunks = {c.id: (c.article_id, c.hash, c.text) for c in iter_chunks(store)}
    return records, chunks


def _whole(data: Path) -> dict[str, tuple[str, int]]:
    """Every published article has exactly the chunks its record names, and this host's
    visible rows are exactly those chunks; returns the records."""
    records, chunks = _store_of(data)
    for article_id, (digest, n) in records.items():
        mine = [c for c in chunks.values() if c[0] == article_id]
        assert len(mine) == n and {c[1] for c in mine} == {digest}, article_id
    assert len(chunks) == sum(n for _, n in records.values()), "chunks no record names"
    store = App(Settings(_env_file=None, newsdesk_data_dir=data)).store  # type: ignore[call-arg]
    assert host_rows(store).versions() == {a: h for a, (h, _) in records.items()}
    assert visible_rows(store) == set(chunks)
    return records


def test_kill_9_between_batches_leaves_them_whole_and_a_rerun_completes(
    tmp_path: Path, children: Children
) -> None:
    corpus = _corpus(tmp_path)
    killed, clean, gate = tmp_path / "killed", tmp_path / "clean", tmp_path / "go on"
    run = _run(children, killed, corpus, gate)
    _first_batches_stored(run)
    run.send_signal(signal.SIGKILL)  # between batches: 8 published, the ninth not begun
    assert run.wait(timeout=60) == -signal.SIGKILL
    assert sorted(_whole(killed)) == [f"first-{i:02d}" for i in range(FIRST)]
    gate.touch()
    rerun = _run(children, killed, corpus, gate)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert err.count(" stored ") == 1, "the rerun stores only what was not published: the tail"
    assert _run(children, clean, corpus, gate).wait(timeout=300) == 0
    assert _store_of(killed) == _store_of(clean)
    assert len(_whole(killed)) == FIRST + 1
