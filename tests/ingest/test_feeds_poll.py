"""Feeds followed by themselves, against a real HTTP server on 127.0.0.1 that answers
conditional requests (ETag / Last-Modified -> 304) as a real feed server does."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.app import App
from bot.settings import Settings
from ingest.feeds import FeedPoller, FeedRegistry, Subscription, feeds_path, watch
from ingest.feeds.poller import PollResult
from ingest.feeds.registry import FEED_CLAIM_LEASE, MAX_BACKOFF, MAX_FEEDS_PER_SERVER, FeedError, backoff
from ingest.runner import source_options
from tests.conftest import REPO
from tests.helpers import SpyEmbedder
from tests.processes import Children
from vectorstore.embedding import Embedder
from vectorstore.models import GLOBAL_SCOPE

LAST_MODIFIED = "Wed, 01 May 2024 08:00:00 GMT"


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None


@dataclass
class FeedServer:
    """Serves resources; answers 304 to a request whose If-None-Match is the current ETag;
    records every request's path and conditional headers."""

    resources: dict[str, Resource] = field(default_factory=dict)
    requests: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    port: int = 0

    def hits(self, path: str) -> int:
        return sum(1 for p, _, _ in self.requests if p == path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            match, since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            state.requests.append((self.path, match, since))
            resource = state.resources.get(self.path, Resource(b"not found", "text/plain", 404))
            if resource.etag and match == resource.etag:
                self.send_response(304)
                self.send_header("ETag", resource.etag)
                self.end_headers()
                return
            self.send_response(resource.status)
            self.send_header("Content-Type", resource.content_type)
            self.send_header("Content-Length", str(len(resource.body)))
            if resource.etag:
                self.send_header("ETag", resource.etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            self.wfile.write(resource.body)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def page(title: str, sentences: list[str]) -> Resource:
    paragraphs = "".join(f"<p>{s}</p>" for s in sentences)
    return Resource(
        f"<html><head><title>{title}</title></head><body><article>{paragraphs}</article></body></html>".encode()
    )


def rss(server: FeedServer, entries: list[tuple[str, str, str]], etag: str) -> Resource:
    items = "".join(
        f"<item><title>{title}</title><link>{server.url(path)}</link><description>{summary}</description>"
        "<pubDate>Wed, 01 May 2024 07:00:00 GMT</pubDate></item>"
        for path, title, summary in entries
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Valley News</title>{items}</channel></rss>'
    )
    return Resource(body.encode(), "application/rss+xml", etag=etag)


FERRY = [
    "The island ferry will run twice a day from June, the harbour board said on Monday.",
    "Tickets go on sale next week and cost the same as last summer.",
]
BRIDGE = [
    "The old stone bridge over the river closes for repairs in March.",
    "Engineers found cracks in two of its five arches during an inspection.",
]
BRIDGE_V2 = [*BRIDGE, "The repairs are now expected to last until the end of September."]
MARKET = [
    "A farmers' market opens on the town square every Saturday from April.",
    "Thirty stalls have signed up, most of them from villages in the valley.",
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def locks() -> list[str]:
    return []


@pytest.fixture
def spy(embedder: Embedder) -> SpyEmbedder:
    return SpyEmbedder(embedder)


@pytest.fixture
def app(settings: Settings, spy: SpyEmbedder) -> App:
    return App(settings, embedder=spy)  # type: ignore[arg-type]


@pytest.fixture
def poller(settings: Settings, app: App, clock: Clock, locks: list[str]) -> FeedPoller:
    @contextmanager
    def writer_lock() -> Iterator[None]:
        locks.append("held")
        yield

    registry = FeedRegistry(feeds_path(settings.data_dir))
    return FeedPoller(registry, app.ingestor.run, source_options(settings), writer_lock, clock)


def test_feed_that_changes_costs_only_its_changes(
    poller: FeedPoller, app: App, spy: SpyEmbedder, clock: Clock, locks: list[str]
) -> None:
    with feed_server() as server:
        server.resources["/a/ferry"] = page("Ferry twice a day", FERRY)
        server.resources["/a/bridge"] = page("Bridge closes", BRIDGE)
        entries = [
            ("/a/ferry", "Ferry twice a day", "Ferry news."),
            ("/a/bridge", "Bridge closes", "Bridge."),
        ]
        server.resources["/feed.xml"] = rss(server, entries, etag='"v1"')
        poller.registry.add(server.url("/feed.xml"), GLOBAL_SCOPE, 30, clock.now)

        [first] = poller.poll_due()
        assert (first.status, first.added, first.failed) == ("ingested", 2, 0), first
        assert server.hits("/a/ferry") == server.hits("/a/bridge") == 1
        records = app.store.records()
        assert records[server.url("/a/ferry")].scope == GLOBAL_SCOPE and len(records) == 2
        assert locks == ["held"]

        # nothing changed: the server is asked conditionally and answers 304
        clock.now += timedelta(minutes=31)
        calls = len(spy.calls)
        [second] = poller.poll_due()
        assert second.status == "not_modified"
        assert server.requests[-1] == ("/feed.xml", '"v1"', LAST_MODIFIED)
        assert len(spy.calls) == calls and server.hits("/a/ferry") == 1

        # one entry changed, one is new, one is as before
        server.resources["/a/bridge"] = page("Bridge closes until September", BRIDGE_V2)
        server.resources["/a/market"] = page("Market opens", MARKET)
        entries = [
            ("/a/ferry", "Ferry twice a day", "Ferry news."),
            ("/a/bridge", "Bridge closes until September", "Bridge, updated."),
            ("/a/market", "Market opens", "Market."),
        ]
        server.resources["/feed.xml"] = rss(server, entries, etag='"v2"')
        clock.now += timedelta(minutes=31)
        [third] = poller.poll_due()
        assert (third.status, third.added, third.updated, third.unchanged) == ("ingested", 1, 1, 1), third
        assert server.hits("/a/ferry") == 1, "an unchanged entry's page is not fetched again"
        assert server.hits("/a/bridge") == 2 and server.hits("/a/market") == 1
        assert sum(spy.calls[calls:]) == 2, "one chunk each of the changed and the new article"
        stored = app.store.records()
        assert len(stored) == 3 and stored[server.url("/a/bridge")].title == "Bridge closes until September"

    [listed] = poller.registry.subscriptions()
    assert listed.articles_added == 3 and listed.etag == '"v2"' and listed.last_error is None
    assert listed.next_due == clock.now + timedelta(minutes=30)


def test_failing_feed_backs_off_and_is_listed_with_its_error(poller: FeedPoller, clock: Clock) -> None:
    with feed_server() as server:
        server.resources["/broken.xml"] = Resource(b"oops", "text/plain", 500)
        url = server.url("/broken.xml")
        poller.registry.add(url, GLOBAL_SCOPE, 10, clock.now)

        [failed] = poller.poll_due()
        assert failed.status == "failed" and "HTTP 500" in (failed.error or "")
        [listed] = poller.registry.subscriptions()
        assert listed.failures == 1 and "HTTP 500" in (listed.last_error or "")
        assert listed.next_due == clock.now + timedelta(minutes=20)

        clock.now += timedelta(minutes=11)  # past the interval, not past the back-off
        assert poller.poll_due() == [] and server.hits("/broken.xml") == 1

        clock.now += timedelta(minutes=10)
        [again] = poller.poll_due()
        assert again.status == "failed" and server.hits("/broken.xml") == 2
        [listed] = poller.registry.subscriptions()
        assert listed.failures == 2 and listed.next_due == clock.now + timedelta(minutes=40)

        server.resources["/broken.xml"] = Resource(b"<html>moved</html>", "text/html", etag='"e"')
        clock.now += timedelta(minutes=41)
        [not_a_feed] = poller.poll_due()
        assert not_a_feed.status == "failed" and "not a feed" in (not_a_feed.error or "")
        assert poller.registry.subscriptions()[0].failures == 3

        server.resources["/a/market"] = page("Market opens", MARKET)
        server.resources["/broken.xml"] = rss(server, [("/a/market", "Market opens", "Market.")], '"f"')
        clock.now += timedelta(minutes=80)
        [recovered] = poller.poll_due()
        assert recovered.status == "ingested" and recovered.added == 1
        [listed] = poller.registry.subscriptions()
        assert listed.failures == 0 and listed.last_error is None
        assert listed.next_due == clock.now + timedelta(minutes=10)


def test_backoff_doubles_and_is_capped() -> None:
    assert backoff(30, 0) == timedelta(minutes=30)
    assert backoff(30, 3) == timedelta(minutes=240)
    assert backoff(30, 50) == MAX_BACKOFF
    assert backoff(2 * 24 * 60, 1) == timedelta(days=2), "never sooner than the feed's own interval"


def test_a_servers_feed_is_fetched_from_public_addresses_only(poller: FeedPoller, clock: Clock) -> None:
    with feed_server() as server:
        server.resources["/feed.xml"] = rss(server, [], etag='"x"')
        poller.registry.add(server.url("/feed.xml"), "424242", 30, clock.now)
        [refused] = poller.poll_due()
    assert refused.status == "failed" and "private or reserved" in (refused.error or "")
    assert server.requests == []


def test_watch_polls_until_stopped(settings: Settings, app: App) -> None:
    poller = FeedPoller(
        FeedRegistry(feeds_path(settings.data_dir)), app.ingestor.run, source_options(settings)
    )
    results: list[PollResult] = []
    stop = threading.Event()
    with feed_server() as server:
        server.resources["/a/ferry"] = page("Ferry twice a day", FERRY)
        server.resources["/feed.xml"] = rss(server, [("/a/ferry", "Ferry", "Ferry.")], etag='"w"')
        poller.registry.add(server.url("/feed.xml"), GLOBAL_SCOPE, 5, datetime.now(UTC))

        def collect(result: PollResult) -> None:
            results.append(result)
            stop.set()

        watcher = threading.Thread(target=watch, args=(poller, stop, collect))
        watcher.start()
        watcher.join(timeout=60)
    assert not watcher.is_alive() and [r.added for r in results] == [1]


def test_registry_file_lives_in_the_data_dir(settings: Settings, clock: Clock) -> None:
    registry = FeedRegistry(feeds_path(settings.data_dir))
    registry.add("https://news.example/feed.xml", GLOBAL_SCOPE, 60, clock.now)
    assert (settings.data_dir / "feeds.sqlite3").is_file()
    again = FeedRegistry(feeds_path(settings.data_dir))  # another process would see the same
    assert [s.url for s in again.subscriptions()] == ["https://news.example/feed.xml"]


def test_a_due_feed_is_claimed_by_one_poller(settings: Settings, clock: Clock) -> None:
    """Two pollers on one data dir (the bot and `newsdesk watch`): each due feed goes to one
    of them; a claim whose poller died runs out after FEED_CLAIM_LEASE."""
    first, second = FeedRegistry(feeds_path(settings.data_dir)), FeedRegistry(feeds_path(settings.data_dir))
    first.add("https://news.example/feed.xml", GLOBAL_SCOPE, 60, clock.now)
    assert [s.url for s in first.claim(clock.now)] == ["https://news.example/feed.xml"]
    assert second.claim(clock.now) == []
    assert len(second.claim(clock.now + FEED_CLAIM_LEASE)) == 1


def test_an_entry_that_failed_is_tried_again(poller: FeedPoller, clock: Clock) -> None:
    with feed_server() as server:
        server.resources["/a/ferry"] = page("Ferry twice a day", FERRY)
        entries = [("/a/ferry", "Ferry twice a day", "Ferry news."), ("/a/market", "Market opens", "")]
        server.resources["/feed.xml"] = rss(server, entries, etag='"m"')
        poller.registry.add(server.url("/feed.xml"), GLOBAL_SCOPE, 30, clock.now)

        [first] = poller.poll_due()  # the market's page is missing and its entry has no text
        assert (first.added, first.failed) == (1, 1), first
        [listed] = poller.registry.subscriptions()  # `feeds list` and /feeds list name the entry
        assert f"1 entry failed ({server.url('/a/market')}: " in (listed.last_result or "")
        assert "HTTP 404" in (listed.last_result or "")

        server.resources["/a/market"] = page("Market opens", MARKET)
        clock.now += timedelta(minutes=30)
        [second] = poller.poll_due()
        feed_requests = [r for r in server.requests if r[0] == "/feed.xml"]
        assert feed_requests[1] == ("/feed.xml", None, None), "the whole feed again, not a 304"
        assert (second.added, second.failed) == (1, 0), second
        assert server.hits("/a/market") == 2 and server.hits("/a/ferry") == 1

        clock.now += timedelta(minutes=30)
        [third] = poller.poll_due()
        assert third.status == "not_modified" and server.requests[-1] == ("/feed.xml", '"m"', LAST_MODIFIED)


def test_a_server_follows_a_bounded_number_of_feeds(settings: Settings, clock: Clock) -> None:
    registry = FeedRegistry(feeds_path(settings.data_dir))
    for n in range(MAX_FEEDS_PER_SERVER):
        registry.add(f"https://news.example/{n}.xml", "777", 60, clock.now)
    with pytest.raises(FeedError, match="the most it can"):
        registry.add("https://news.example/one-more.xml", "777", 60, clock.now)
    registry.add("https://news.example/one-more.xml", GLOBAL_SCOPE, 60, clock.now)  # the operator's are not
    registry.add("https://news.example/0.xml", "777", 120, clock.now)  # changing one is not adding
    assert len(registry.subscriptions("777")) == MAX_FEEDS_PER_SERVER


HOLD_LOCK = """
import sys, time
from pathlib import Path
from vectorstore.chroma.locks import WriterLock
with WriterLock(Path(sys.argv[1])).hold("another writer", wait=False):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    print("letting go at", time.time(), flush=True)
"""


def test_a_poll_writes_under_the_stores_writer_lock(settings: Settings, app: App, children: Children) -> None:
    """Another process holds the writer lock: the poll fetches, then waits to write."""
    app.embedder.embed(["warm up"])
    _ = app.store  # opened before the other writer takes the lock
    with feed_server() as server:
        server.resources["/a/ferry"] = page("Ferry twice a day", FERRY)
        server.resources["/feed.xml"] = rss(server, [("/a/ferry", "Ferry", "Ferry.")], etag='"l"')
        app.feeds.registry.add(server.url("/feed.xml"), GLOBAL_SCOPE, 30, datetime.now(UTC))
        holder = children.popen(
            [sys.executable, "-c", HOLD_LOCK, str(settings.data_dir), "4"],
            stdout=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        [result] = app.feeds.poll_due()
        assert holder.wait(timeout=60) == 0
    assert result.added == 1 and server.hits("/a/ferry") == 1
    let_go = float(holder.stdout.readline().split()[-1])  # the holder's clock: this host's
    [record] = app.store.records().values()
    assert record.ingested_at is not None
    written = datetime.fromisoformat(record.ingested_at).timestamp()  # whole seconds
    assert written >= int(let_go), f"written at {written}, the other writer let go at {let_go}"


def test_an_empty_feed_is_read_and_the_listener_hears_of_every_read(
    settings: Settings, app: App, clock: Clock
) -> None:
    """A well-formed feed without entries yet is read (its later entries are news), and
    the listener is told of every poll that read the feed, a 304 too (the newsroom knows
    from it which entries a new channel's feed held before: bot/newsroom/backfill.py)."""
    heard: list[tuple[str, list[str]]] = []

    class Listener:
        def polled(self, subscription: Subscription, article_ids: list[str]) -> None:
            heard.append((subscription.url, list(article_ids)))

        def round_done(self) -> None:
            pass

    registry = FeedRegistry(feeds_path(settings.data_dir))
    poller = FeedPoller(
        registry, app.ingestor.run, source_options(settings), clock=clock, listener=Listener()
    )
    with feed_server() as server:
        url = server.url("/feed.xml")
        server.resources["/feed.xml"] = rss(server, [], etag='"v1"')
        registry.add(url, GLOBAL_SCOPE, 30, clock.now)
        [empty] = poller.poll_due()
        assert (empty.status, empty.added, empty.error) == ("ingested", 0, None)
        clock.now += timedelta(minutes=31)
        [same] = poller.poll_due()
        assert same.status == "not_modified"
        server.resources["/a/market"] = page("Market opens", MARKET)
        server.resources["/feed.xml"] = rss(server, [("/a/market", "Market opens", "Market.")], etag='"v2"')
        clock.now += timedelta(minutes=31)
        [news] = poller.poll_due()
        assert news.added == 1
    assert heard == [(url, []), (url, []), (url, [server.url("/a/market")])]
    assert registry.subscriptions()[0].failures == 0
