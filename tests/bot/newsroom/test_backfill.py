"""Backfill (bot/newsroom/backfill.py): a feed newly routed to a channel posts nothing it
held when it was added, unless asked: its N newest entries, or those of the last days."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.newsroom import Newsroom, NewsroomError, Route
from bot.newsroom.backfill import allowed, parse_backfill
from bot.settings import Settings
from ingest.feeds import Subscription
from tests.bot.newsroom.fixtures import Report, load
from vectorstore.embedding import Embedder

FEED = "https://feeds.example/news.xml"
ADDED = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
FIRSTS = [r for r in load() if r.kind == "first"]  # 20 stories, 5-12 March


def _jsonl(path: Path, reports: list[Report]) -> Path:
    fields = ("id", "title", "text", "url", "date", "source")
    path.write_text("".join(json.dumps({f: getattr(r, f) for f in fields}) + "\n" for r in reports))
    return path


def _poll(app: App, tmp_path: Path, reports: list[Report], name: str) -> list[str]:
    """A poll of the feed that read these entries; the titles the round posts."""
    assert app.ingest([str(_jsonl(tmp_path / f"{name}.jsonl", reports))]).ok
    app.newsroom.polled(Subscription(FEED, "global", 60, ADDED), [r.id for r in reports])
    app.newsroom.round_done()
    with app.newsroom.db.read() as conn:
        rows = conn.execute("SELECT body FROM outbox WHERE kind = 'post' ORDER BY id").fetchall()
    return [json.loads(b)["card"]["title"] for (b,) in rows]


@pytest.fixture
def app(settings: Settings, embedder: Embedder) -> App:
    app = App(settings.model_copy(update={"newsroom_posts_per_poll": 50}), embedder=embedder)
    app.newsroom.clock = lambda: ADDED
    return app


def _route(newsroom: Newsroom, backfill: str | None) -> None:
    newsroom.config.route(Route(FEED, "global", 100, (), parse_backfill(backfill)), ADDED)


def test_a_new_feed_posts_nothing_it_held_and_then_its_news(app: App, tmp_path: Path) -> None:
    _route(app.newsroom, None)
    held, news = FIRSTS[:8], FIRSTS[8:9]
    assert _poll(app, tmp_path, held, "first") == []  # stored (they answer questions), not posted
    assert set(app.retriever.records()) >= {r.id for r in held}
    assert _poll(app, tmp_path, held + news, "second") == [news[0].title]


@pytest.mark.parametrize(("backfill", "expected"), [("3", 3), ("1d", 3), ("2d", 6)])
def test_a_backfill_posts_the_newest_or_the_last_days(
    app: App, tmp_path: Path, backfill: str, expected: int
) -> None:
    _route(app.newsroom, backfill)
    held = FIRSTS  # dated 5 to 12 March; added on 12 March
    posted = _poll(app, tmp_path, held, "first")
    newest = sorted(held, key=lambda r: r.date, reverse=True)
    assert len(posted) == expected
    assert min(r.date for r in held if r.title in posted) >= newest[expected - 1].date
    if backfill.endswith("d"):  # "1d": the day before the addition and the day of it
        since = f"2026-03-{12 - int(backfill[0]):02d}"
        assert sorted(posted) == sorted(r.title for r in held if r.date >= since)


def test_a_route_to_a_feed_read_before_has_no_backlog(app: App, tmp_path: Path) -> None:
    app.newsroom.config.route(Route(FEED, "global", 100), ADDED, primed=True)
    assert _poll(app, tmp_path, FIRSTS[:2], "first") == [
        r.title for r in sorted(FIRSTS[:2], key=lambda r: r.date)
    ]


@pytest.mark.parametrize(
    ("raw", "spec"), [(None, None), ("", None), ("0", None), (" 5 ", "5"), ("2D", "2d"), ("12h", "12h")]
)
def test_a_backfill_is_entries_or_a_time(raw: str | None, spec: str | None) -> None:
    assert parse_backfill(raw) == spec


@pytest.mark.parametrize(
    ("raw", "says"), [("lots", "number of entries"), ("500", "at most 50"), ("90d", "30 days")]
)
def test_a_backfill_beyond_its_limits_says_why(raw: str, says: str) -> None:
    with pytest.raises(NewsroomError, match=says):
        parse_backfill(raw)


def test_the_newest_entries_are_chosen_by_date_then_the_feeds_order() -> None:
    class Entry:
        def __init__(self, article_id: str, day: str) -> None:
            self.article_id, self.day = article_id, day

    backlog = [
        Entry("a", "2026-03-01"),
        Entry("b", "2026-03-05"),
        Entry("c", "2026-03-05"),
        Entry("d", "2026-03-02"),
    ]
    assert allowed("2", ADDED, backlog) == {"b", "c"}
    assert allowed("3", ADDED, backlog) == {"b", "c", "d"}
    assert allowed(None, ADDED, backlog) == set()


def test_an_older_newsroom_file_gets_the_new_columns_and_its_routes_stay_as_they_were(tmp_path: Path) -> None:
    """A file of the first version (no backfill, no backlog): opened, it gains the columns;
    its routes count as read before (their feeds' entries are known) and post as before."""
    import sqlite3

    from bot.newsroom import NewsroomDB, newsroom_path
    from bot.newsroom.db import _SCHEMA
    from common.sqlite import SqliteFile

    path = newsroom_path(tmp_path)
    SqliteFile(path, _SCHEMA)  # the first version's tables
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO routes VALUES (?, 'global', 100, 7, '2026-01-01T00:00:00+00:00')", (FEED,))
        conn.execute(
            "INSERT INTO arrivals VALUES (?, 'global', 'a1', '2026-01-01T00:00:00+00:00', 0)", (FEED,)
        )
    db = NewsroomDB(path)
    with db.read() as conn:
        assert conn.execute("SELECT backfill, primed FROM routes").fetchall() == [(None, 1)]
        assert conn.execute("SELECT backlog FROM arrivals").fetchall() == [(None,)]
    (route,) = Newsroom(db, lambda: None, lambda: None, 10).config.routes()  # type: ignore[arg-type, return-value]
    assert (route.channel_id, route.roles, route.backfill) == (100, (7,), None)
    NewsroomDB(path)  # opened again: nothing to add
