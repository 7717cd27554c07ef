"""`newsdesk feeds` and `newsdesk watch`, driven as a user would: typer's runner in-process,
and `newsdesk watch` as a real process stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from bot.cli import app
from bot.settings import Settings
from ingest.feeds import FeedRegistry, feeds_path
from tests.conftest import REPO
from tests.helpers import Route, serving
from tests.processes import Children

runner = CliRunner()
PAGE = (
    b"<html><head><title>Harbour reopens</title></head><body><article>"
    b"<p>The harbour reopened to fishing boats on Tuesday after the storm damage was repaired.</p>"
    b"<p>The repairs to the north pier took six weeks and cost about two million euros.</p>"
    b"</article></body></html>"
)


def feed(link: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Coast News</title>'
        f"<item><title>Harbour reopens</title><link>{link}</link>"
        "<description>The harbour reopened.</description></item></channel></rss>"
    ).encode()


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_add_list_remove() -> None:
    added = runner.invoke(app, ["feeds", "add", "https://coast.example/feed.xml", "--every", "15"])
    assert added.exit_code == 0 and "following https://coast.example/feed.xml every 15 min" in added.stdout
    again = runner.invoke(app, ["feeds", "add", "https://coast.example/feed.xml", "--every", "30"])
    assert again.exit_code == 0 and "already following" in again.stdout

    [listed] = _json(["feeds", "list", "--json"])
    assert listed["url"] == "https://coast.example/feed.xml" and listed["scope"] == "global"
    assert listed["every_minutes"] == 30 and listed["last_poll"] is None and listed["articles_added"] == 0
    table = runner.invoke(app, ["feeds", "list"])
    assert "coast.example" in table.stdout and "never" in table.stdout

    for bad, why in (
        (["ftp://x.example/feed"], "http(s)"),
        (["https://x.example/f", "--every", "1"], "every"),
    ):
        refused = runner.invoke(app, ["feeds", "add", *bad])
        assert refused.exit_code == 2 and why in refused.stderr, refused.output

    removed = runner.invoke(app, ["feeds", "remove", "https://coast.example/feed.xml"])
    assert removed.exit_code == 0 and "no longer following" in removed.stdout
    assert _json(["feeds", "list", "--json"]) == []
    missing = runner.invoke(app, ["feeds", "remove", "https://coast.example/feed.xml"])
    assert missing.exit_code == 2 and "No such feed" in missing.stderr


def test_watch_once_ingests_and_lists_errors() -> None:
    with serving({}) as server:
        server.routes["/harbour"] = Route(PAGE)
        server.routes["/feed.xml"] = Route(feed(server.url("/harbour")), "application/rss+xml")
        server.routes["/down.xml"] = Route(b"down", "text/plain", status=500)
        for path in ("/feed.xml", "/down.xml"):
            assert runner.invoke(app, ["feeds", "add", server.url(path)]).exit_code == 0

        once = runner.invoke(app, ["watch", "--once", "--json"])
        assert once.exit_code == 1, "a failed feed sets the exit code"
        results = {r["url"]: r for r in json.loads(once.stdout)}
        assert results[server.url("/feed.xml")]["added"] == 1
        assert results[server.url("/down.xml")]["status"] == "failed"

        listed = {s["url"]: s for s in _json(["feeds", "list", "--json"])}
        good, down = listed[server.url("/feed.xml")], listed[server.url("/down.xml")]
        assert good["articles_added"] == 1 and good["last_error"] is None and good["last_poll"]
        assert "HTTP 500" in down["last_error"] and down["failures"] == 1
        assert down["next_due"] > good["next_due"], "the failing feed is polled later"
        table = runner.invoke(app, ["feeds", "list"])
        assert "HTTP 500" in " ".join(table.stdout.split())

        articles = _json(["articles", "list", "--json"])
        assert [a["id"] for a in articles] == [server.url("/harbour")]


def test_watch_runs_until_sigterm(settings: Settings, children: Children) -> None:
    with serving({"/down.xml": Route(b"down", "text/plain", status=500)}) as server:
        FeedRegistry(feeds_path(settings.data_dir)).add(
            server.url("/down.xml"), "global", 5, datetime.now(UTC)
        )
        registry = FeedRegistry(feeds_path(settings.data_dir))
        watcher = children.popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "watch"],
            cwd=Path.cwd(),
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120  # not a speed goal: a watcher that never polls fails here
        while not registry.subscriptions()[0].failures:  # the poll is done and recorded
            assert watcher.poll() is None, watcher.communicate()
            assert time.monotonic() < deadline, "the watcher never polled the due feed"
            time.sleep(0.2)
        assert server.hits.get("/down.xml") == 1, "the watcher polled the due feed"
        watcher.send_signal(signal.SIGTERM)
        _, stderr = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, stderr.decode()
    assert b"HTTP 500" in stderr and b"stopped after 1 poll" in stderr
    [listed] = FeedRegistry(feeds_path(settings.data_dir)).subscriptions()
    assert listed.failures == 1 and "HTTP 500" in (listed.last_error or "")
