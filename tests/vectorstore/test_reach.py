"""The store's health check on a Chroma server (reach.py): a real `chroma run` stopped makes
it fail within the heartbeat's period; a heartbeat that hangs fails it within its timeout."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from bot.health import Metrics
from bot.settings import Settings
from tests.vectorstore.conftest import chroma_run
from vectorstore.chroma import reach
from vectorstore.chroma.reach import Reachability
from vectorstore.chroma.store import ChromaStore


@pytest.mark.slow
def test_the_store_check_fails_once_the_chroma_server_stops(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reach, "EVERY_S", 0.2)
    metrics = Metrics()
    with chroma_run(tmp_path / "server") as server:
        remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": server.port})
        store = ChromaStore(remote, "m")
        metrics.checks["store"] = lambda: store.busy
        assert metrics.health() == (True, {})
    deadline = time.monotonic() + 60  # stopped: the next heartbeat (0.2 s away) fails; not a speed goal
    while metrics.health()[0]:
        assert time.monotonic() < deadline, "still ready with the Chroma server stopped"
        time.sleep(0.05)
    ready, failing = metrics.health()
    assert not ready and "unreachable" in failing["store"] and "127.0.0.1" in failing["store"]


def test_a_hanging_heartbeat_fails_the_check_within_its_timeout_and_is_not_piled_up() -> None:
    calls: list[int] = []
    release, returned = threading.Event(), threading.Event()

    def hangs() -> None:
        calls.append(1)
        release.wait(120)
        returned.set()

    check = Reachability(hangs, "chroma:8000", every=0.0, timeout=0.1)
    problem = check.problem()
    assert not returned.is_set(), "the check waited for the heartbeat, not for its timeout"
    assert problem is not None and "did not answer" in problem
    assert check.problem() is not None and calls == [1], "one heartbeat in flight at a time"
    release.set()
    deadline = time.monotonic() + 60  # answered now: the next check is clear; not a speed goal
    while check.problem() is not None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    cached = Reachability(lambda: calls.append(1), "chroma:8000", every=60.0)
    assert cached.problem() is None and cached.problem() is None
    assert len(calls) == 2, "at most one heartbeat per period"
