"""One feed poller per fleet (issue #21): of the processes sharing a store, only the one
holding the poller seat polls and plans (a flock beside an embedded store here; a lease on
a Chroma server in tests/bot/e2e/test_fleet.py); when it stands down another takes over;
`watch --once` polls all the same; FEED_POLLING=false never polls."""

from __future__ import annotations

import sqlite3

from bot.app import App
from bot.settings import Settings
from tests.ingest.test_feeds_poll import FERRY, feed_server, page, rss
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
