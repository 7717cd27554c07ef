"""One feed poller per fleet: of the processes sharing a store, only the one
holding the poller seat polls and plans (a flock beside an embedded store; a lease on a
Chroma server, here and in tests/bot/e2e/test_fleet.py); when it stands down another takes
over; a poller paused past its lease stops polling once resumed; `watch --once` polls all
the same; FEED_POLLING=false never polls."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.settings import Settings
from tests.conftest import REPO
from tests.ingest.test_feeds_poll import FERRY, feed_server, page, rss
from tests.processes import Children
from tests.vectorstore.conftest import chroma_server  # noqa: F401  (a fixture)
from vectorstore.embedding import Embedder
from vectorstore.models import GLOBAL_SCOPE


def due_now(app: App) -> None:
    """Every feed due at once: a new period, without waiting for it."""
    with sqlite3.connect(app.feeds.registry.path) as db:
        db.execute("UPDATE feeds SET next_due = '2000-01-01T00:00:00+00:00'")


def test_only_the_process_holding_the_seat_polls_and_another_takes_over_when_it_stands_down(
    settings: Settings, embedder: Embedder
) -> None:
    first, second = App(settings, embedder=embedder), App(settings, embedder=embedder)
    with feed_server() as server:
        server.resources["/feed.xml"] = rss(server, [("/ferry", "Ferry", "A ferry.")], etag='"v1"')
        server.resources["/ferry"] = page("Ferry", FERRY)
        first.feeds.follow(server.url("/feed.xml"), GLOBAL_SCOPE, 5)
        assert [r.status for r in first.feeds.poll_due()] == ["ingested"]
        assert first.feeds.leading
        due_now(second)

        assert second.feeds.poll_due() == [] and not second.feeds.leading, "the first one polls"
        assert second.feeds.pause() == second.feeds.tick.total_seconds()
        assert server.hits("/feed.xml") == 1
        assert [r.status for r in second.feeds.poll_all()] == ["not_modified"], "--once polls all the same"
        first.stand_down()
        due_now(second)
        assert [r.status for r in second.feeds.poll_due()] == ["not_modified"]
        assert second.feeds.leading, "the seat was free: taken at this round"
        assert first.feeds.poll_due() == [] and not first.feeds.leading


def test_a_process_with_feed_polling_off_never_polls(settings: Settings, embedder: Embedder) -> None:
    off = App(settings.model_copy(update={"feed_polling": False}), embedder=embedder)
    with feed_server() as server:
        server.resources["/feed.xml"] = rss(server, [("/ferry", "Ferry", "A ferry.")], etag='"v1"')
        off.feeds.follow(server.url("/feed.xml"), GLOBAL_SCOPE, 5)
        assert off.feeds.poll_due() == [] and server.hits("/feed.xml") == 0
        on = App(settings, embedder=embedder)
        assert on.feeds.poll_due()[0].status == "ingested"


LEASE_S = 5.0  # POLLER_LEASE_S here: renewed every 5/3 s (a loaded machine may delay a renewal 2 s)


def _rounds_of(proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    """The rounds the poller process reports, as they come (a reader thread)."""
    rounds: list[dict[str, Any]] = []

    def follow() -> None:
        assert proc.stdout is not None
        rounds.extend(json.loads(line) for line in proc.stdout)

    threading.Thread(target=follow, daemon=True).start()
    return rounds


def _until(condition: Any, within: float, what: str) -> None:
    """Wait for `condition()`; `within` is not a speed goal: never met, the test fails."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {within} s"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_poller_paused_past_its_lease_stops_polling_once_resumed(
    settings: Settings,
    chroma_server: int,  # noqa: F811
    children: Children,
    tmp_path: Path,
) -> None:
    """A poller process (fleet_poller.py) holds the seat; paused (SIGSTOP) past its lease,
    another process of the fleet takes the seat over; resumed, the paused one's rounds say
    it does not poll (its lease ran out while it was paused): one poller, never two."""
    remote = settings.model_copy(
        update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server, "poller_lease_s": LEASE_S}
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(chroma_server),
        "POLLER_LEASE_S": str(LEASE_S),
    }  # the same data dir: one host
    stop = tmp_path / "stop"
    poller = children.popen(
        [sys.executable, "-m", "tests.ingest.fleet_poller", str(stop)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    rounds = _rounds_of(poller)
    _until(lambda: any(r["leading"] for r in rounds), 120, "the poller process polling")

    poller.send_signal(signal.SIGSTOP)
    other = App(remote)
    try:
        _until(lambda: other.feeds.poll_due() == [] and other.feeds.leading, 120, "the seat taken over")
        poller.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        _until(
            lambda: len([r for r in rounds if r["started"] > resumed]) >= 3,
            120,
            "three rounds after resuming",
        )
        after = [r["leading"] for r in rounds if r["started"] > resumed]
        assert not any(after), f"the resumed poller still polls: {after}"
        other.feeds.poll_due()
        assert other.feeds.leading, "the new poller keeps the seat"
    finally:
        other.stand_down()
        stop.touch()
    assert poller.wait(timeout=60) == 0
