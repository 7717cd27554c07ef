"""Every test gets its own data dir and settings; the real model loads once a session;
every process a test starts is ended by the test, and none outlives it (tests/processes.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answering.engine import AnswerEngine
from bot.app import App
from bot.settings import Settings
from common import lock_order
from ingest.pipeline import Ingestor
from tests.processes import Children, Guard
from vectorstore.embedding import Embedder, make_embedder

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytest_plugins = ["pytester"]  # tests/test_processes.py runs a suite of its own

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


@pytest.fixture(scope="session", autouse=True)
def process_guard() -> Iterator[Guard]:
    """The test process adopts its orphaned grandchildren (a subreaper), so that every
    process the suite starts is its child until it ends; at the session's end, none is left."""
    guard = Guard()
    yield guard
    leftover = guard.outliving()
    guard.end(leftover)
    guard.reap_orphans()
    if leftover:
        pytest.fail("processes outlived the session: " + "; ".join(map(str, leftover)))


@pytest.fixture(autouse=True)
def no_process_outlives_its_test(process_guard: Guard) -> Iterator[None]:
    """Fails the test whose processes (children, or grandchildren whose parent died) still
    run once its fixtures are torn down; ends them first. Autouse and first in the root
    conftest: torn down after every other fixture of the test."""
    yield
    leftover = process_guard.outliving()
    process_guard.end(leftover)
    process_guard.reap_orphans()
    if leftover:
        pytest.fail("processes outlived their test (ended now): " + "; ".join(map(str, leftover)))


@pytest.fixture
def children() -> Iterator[Children]:
    """Start a test's processes here: each is ended (SIGCONT, SIGKILL by PID, waited for)
    when the test ends, pass or fail."""
    started = Children()
    yield started
    started.end_all()


@pytest.fixture(scope="session", autouse=True)
def lock_order_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The lock order is checked in every test and in the processes tests start
    (common/lock_order.py): a lock waited for while its thread holds a lock ranked after
    it raises there, and is written to this file."""
    log = tmp_path_factory.getbasetemp() / "lock-order.log"
    log.touch()
    os.environ[lock_order.ENV] = str(log)
    lock_order.set_checking(str(log))
    yield log
    lock_order.set_checking("")


@pytest.fixture(autouse=True)
def lock_order_kept(lock_order_log: Path) -> Iterator[None]:
    """A test fails when a lock was taken out of order during it, in any thread (a background
    thread's error may be only logged) or in a process it started."""
    logged = lock_order_log.stat().st_size
    yield
    with lock_order_log.open(encoding="utf-8") as log:
        log.seek(logged)
        new = log.read()
    if new:
        pytest.fail(f"locks taken out of order:\n{new}", pytrace=False)


@pytest.fixture(scope="session")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ONNX export is made once a session and shared by every test's settings."""
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, onnx_dir: Path) -> Settings:
    """Isolate each test: no .env, no inherited NEWSDESK_/CHROMA_/DISCORD_ variables."""
    for key in list(os.environ):
        if key != lock_order.ENV and key.startswith(
            ("NEWSDESK_", "CHROMA_", "EMBEDDING_", "DISCORD_", "LLM_", "MIN_EVIDENCE", "TOP_K")
        ):
            monkeypatch.delenv(key)
    data = tmp_path / "data"
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(data))
    monkeypatch.setenv("EMBEDDING_ONNX_DIR", str(onnx_dir))
    monkeypatch.setenv("INGEST_NICE", "0")  # a CLI run inside the test process leaves its priority alone
    # the test servers on 127.0.0.1 stand for an intranet the operator names: a feed's pages
    # and redirects there are fetched (tests/ingest/test_address_rules.py: without it)
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "127.0.0.1")
    monkeypatch.chdir(tmp_path)  # a stray .env in the repo must not leak in
    return Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def embedder(onnx_dir: Path) -> Embedder:
    """The default embedder (ONNX), loaded once; tests/vectorstore compare it with torch."""
    return make_embedder(Settings(_env_file=None, embedding_onnx_dir=onnx_dir))  # type: ignore[call-arg]


@pytest.fixture
def ingestor(settings: Settings, embedder: Embedder) -> Ingestor:
    return App(settings, embedder=embedder).ingestor


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A copy of the repository's sample articles that a test may change."""
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture
def engine(settings: Settings, embedder: Embedder) -> AnswerEngine:
    return App(settings, embedder=embedder).engine


@pytest.fixture
def sample_engine(
    ingestor: Ingestor, samples: Path, settings: Settings, embedder: Embedder
) -> Iterator[AnswerEngine]:
    from ingest.runner import run_ingest

    report = run_ingest(settings, [str(samples)], ingestor=ingestor)
    assert report.ok and report.count("added") == 6
    yield App(settings, embedder=embedder).engine
