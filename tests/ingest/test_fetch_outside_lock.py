"""A CLI ingest fetches and extracts its pages before it takes the store's writer lock:
while a slow site keeps a real `newsdesk ingest URL` process waiting for the
page, another writer gets the store at once (not waited for); the page is stored once the
site answers. A server admin's `/ingest url:` (`Intake.ingest_url`), over the wire:
tests/bot/e2e/test_ingest_url.py."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot.app import App
from bot.settings import Settings
from tests.ingest.test_feeds_poll import page
from tests.processes import Children
from vectorstore import ChromaStore
from vectorstore.embedding import Embedder

TITLE = "Harbour bridge reopens"
BODY = page(
    TITLE, ["The harbour bridge reopened on Tuesday after eight months of repairs, the council said."]
).body


@dataclass
class SlowSite:
    """One page, sent only once the test releases it."""

    url: str = ""
    asked: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@contextmanager
def slow_site() -> Iterator[SlowSite]:
    site = SlowSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.asked.set()
            site.release.wait(60)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{httpd.server_address[1]}/bridge"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        site.release.set()
        httpd.shutdown()
        httpd.server_close()


def _another_writer_gets_the_store(store: ChromaStore, site: SlowSite) -> None:
    """While the site has been asked and not answered: the writer lock, not waited for (a
    held lock raises StoreBusyError)."""
    try:
        assert site.asked.wait(120), "the page was never asked for"
        with store.writing("another writer", wait=False):
            assert store.writer_lock.held_here
    finally:
        site.release.set()


def _titles(store: ChromaStore) -> set[str]:
    return {r.title for r in store.records().values()}


def test_a_slow_site_does_not_hold_the_writer_lock_of_a_cli_ingest(
    settings: Settings, embedder: Embedder, children: Children
) -> None:
    store = App(settings, embedder=embedder).store
    assert _titles(store) == set()  # the store exists and is open before the run
    newsdesk = Path(sys.executable).with_name("newsdesk")
    with slow_site() as site:
        run = children.popen(
            [str(newsdesk), "ingest", site.url],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _another_writer_gets_the_store(store, site)
        out, errors = run.communicate(timeout=300)
    assert run.returncode == 0, errors
    assert "1 added" in out, out
    assert TITLE in _titles(store)
