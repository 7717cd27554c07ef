"""The newsroom's planning on a real store (the fixtures' reports ingested, the real model):
what a channel gets for a poll round, what a followed topic matches, the digest's time,
and `newsdesk stories`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.answering.topics import TopicMatcher
from bot.app import App
from bot.cli import app as cli
from bot.newsroom import Digest, Follow, Newsroom, Route
from bot.settings import Settings
from ingest.feeds import Subscription
from tests.bot.newsroom.fixtures import Report, by_key, load
from vectorstore.embedding import Embedder
from vectorstore.retrieval import Filters

REPORTS = load()
R = by_key(REPORTS)
FEED = "https://feeds.example/news.xml"
NOW = datetime(2026, 3, 12, 7, 59, tzinfo=UTC)


def _jsonl(path: Path, reports: Iterable[Report]) -> Path:
    fields = ("id", "title", "text", "url", "date", "source")
    path.write_text("".join(json.dumps({f: getattr(r, f) for f in fields}) + "\n" for r in reports))
    return path


@pytest.fixture
def app(settings: Settings, embedder: Embedder) -> App:
    return App(settings.model_copy(update={"newsroom_posts_per_poll": 3}), embedder=embedder)


@pytest.fixture
def newsroom(app: App) -> Newsroom:
    app.newsroom.clock = lambda: NOW
    app.newsroom.config.route(Route(FEED, "global", 100), NOW, primed=True)  # a feed read before
    return app.newsroom


def arrive(app: App, tmp_path: Path, reports: list[Report], name: str = "round") -> None:
    """A poll that stored these reports, and the end of its round."""
    report = app.ingest([str(_jsonl(tmp_path / f"{name}.jsonl", reports))])
    assert report.ok
    subscription = Subscription(FEED, "global", 60, NOW)
    app.newsroom.polled(subscription, [r.id for r in reports])
    app.newsroom.round_done()


def outbox(newsroom: Newsroom) -> list[dict[str, Any]]:
    with newsroom.db.read() as conn:
        rows = conn.execute("SELECT kind, target, event_id, body, state FROM outbox ORDER BY id").fetchall()
    return [{"kind": k, "target": t, "event": e, "body": json.loads(b), "state": s} for k, t, e, b, s in rows]


def test_one_post_per_story_copies_edit_updates_go_to_the_thread(
    app: App, newsroom: Newsroom, tmp_path: Path
) -> None:
    first = [
        R["arven-floods@Coastal Times"],
        R["arven-floods@Northern Wire"],
        R["sella-bridge@Valdoria Herald"],
    ]
    arrive(app, tmp_path, first, "one")
    kinds = [(row["kind"], (row["body"]["card"] or {}).get("title")) for row in outbox(newsroom)]
    assert kinds == [
        ("post", R["arven-floods@Coastal Times"].title),
        ("edit", None),  # the Northern Wire's copy: "also reported by"
        ("post", R["sella-bridge@Valdoria Herald"].title),
    ]
    later = [
        R["flood-toll-58@Valdoria Herald"],
        R["flood-toll-58@Metro Post"],
        R["waters-recede@Coastal Times"],
    ]
    arrive(app, tmp_path, later, "two")
    updates = [row["body"]["change"] for row in outbox(newsroom) if row["kind"] == "update"]
    assert updates == [
        "Update, 6 Mar — 58 dead (was 35), 6,500 displaced (was 4,000) — Valdoria Herald",
        "Update, 7 Mar — 71 dead (was 58) — Coastal Times",
    ]
    posted = newsroom.outbox.posted(100, next(r for r in outbox(newsroom) if r["kind"] == "post")["event"])
    assert posted is not None and posted.state.also == ["Northern Wire", "Metro Post"]
    assert posted.state.updated_at == NOW.isoformat()
    # the same poll told again (a poll killed before it was recorded) plans nothing more
    before = len(outbox(newsroom))
    arrive(app, tmp_path, later, "three")
    assert len(outbox(newsroom)) == before


def test_a_same_day_development_goes_to_the_thread_and_a_rewrite_edits_the_post(
    app: App, newsroom: Newsroom, tmp_path: Path
) -> None:
    """Written anew the same day: "put out" (a development of a new kind) and a toll that
    rose are updates; a report that says what the story said is a copy."""
    f = by_key(load("followups.jsonl"))
    tarvik = [
        "tarvik-refinery-fire@Coastal Times",
        "tarvik-smoke@Harbour Gazette",
        "tarvik-fire-out@Metro Post",
    ]
    ostrel = ["ostrel-dam@Valdoria Herald", "vessen-bursts@Coastal Times", "ostrel-toll-12@Metro Post"]
    arrive(app, tmp_path, [f[k] for k in tarvik + ostrel])
    rows = [
        (r["kind"], (r["body"]["card"] or {}).get("title"), r["body"]["change"]) for r in outbox(newsroom)
    ]
    posts = [title for kind, title, _ in rows if kind == "post"]
    assert posts == [f[ostrel[0]].title, f[tarvik[0]].title]  # one post per story, oldest first
    assert [(title, change) for kind, title, change in rows if kind == "update"] == [
        (f["ostrel-toll-12@Metro Post"].title, "Update, 4 May — 12 dead (was 9) — Metro Post"),
        (f["tarvik-fire-out@Metro Post"].title, "Update, 7 May — Metro Post"),
    ]
    with newsroom.db.read() as conn:
        bodies = [json.loads(b) for (b,) in conn.execute("SELECT body FROM posts ORDER BY rowid")]
    assert [b["also"] for b in bodies] == [["Coastal Times"], ["Harbour Gazette"]]  # the rewrites


def test_a_flood_gets_the_newest_stories_as_posts_and_one_line_for_the_rest(
    app: App, newsroom: Newsroom, tmp_path: Path
) -> None:
    firsts = [r for r in REPORTS if r.kind == "first"][:9]
    arrive(app, tmp_path, firsts)
    rows = outbox(newsroom)
    posts = [row for row in rows if row["kind"] == "post"]
    (more,) = [row for row in rows if row["kind"] == "more"]
    assert len(posts) == 3 and rows[-1] is more  # the line comes after the posts
    newest = sorted(firsts, key=lambda r: r.date)[-3:]
    assert {p["body"]["card"]["title"] for p in posts} == {r.title for r in newest}
    assert more["body"]["heading"] == "…and 6 more stories"
    listed = [c["title"] for c in more["body"]["items"]]
    assert sorted(listed) == sorted(r.title for r in firsts if r not in newest)


def test_channel_filters_and_a_removed_feed(app: App, newsroom: Newsroom, tmp_path: Path) -> None:
    newsroom.config.set_filter(100, (), ("Norvex",))
    newsroom.config.route(Route(FEED, "global", 200), NOW, primed=True)
    newsroom.config.set_filter(200, ("marathon", "heavy rain"), ())
    arrive(app, tmp_path, [R["norvex-jobs@The Ledger"], R["portmere-marathon@City Star"]])
    posted = {(row["target"], row["body"]["card"]["title"]) for row in outbox(newsroom)}
    marathon = R["portmere-marathon@City Star"].title
    assert posted == {(100, marathon), (200, marathon)}
    newsroom.config.unroute(FEED, "global")  # a removed feed: what it had not posted is dropped
    assert {row["state"] for row in outbox(newsroom)} == {"dropped"}


def test_a_topic_matches_its_event_not_a_shared_place_or_a_shared_word(app: App, tmp_path: Path) -> None:
    reports = [
        R[k]
        for k in (
            "arven-floods@Coastal Times",
            "sella-bridge@Valdoria Herald",
            "rivermouth-floods@Harbour Gazette",
            "meskel-vote@Northern Wire",
            "flood-toll-58@Valdoria Herald",
        )
    ]
    assert app.ingest([str(_jsonl(tmp_path / "t.jsonl", reports))]).ok
    matcher = TopicMatcher(app.retriever, app.settings.min_evidence)
    ids = [r.id for r in reports]
    found = matcher.match("Valdoria floods", ids, Filters())
    assert set(found) == {R["arven-floods@Coastal Times"].id, R["flood-toll-58@Valdoria Herald"].id}
    assert set(matcher.match("Rivermouth", ids, Filters())) == {R["rivermouth-floods@Harbour Gazette"].id}
    assert matcher.match("Keltia earthquake", ids, Filters()) == {}


def test_a_followed_topic_messages_once_per_story(app: App, newsroom: Newsroom, tmp_path: Path) -> None:
    newsroom.config.follow(Follow(0, "42", 7, "Valdoria floods"), limit=5, now=NOW)
    arrive(app, tmp_path, [R["arven-floods@Coastal Times"], R["rivermouth-floods@Harbour Gazette"]], "a")
    arrive(app, tmp_path, [R["flood-toll-58@Valdoria Herald"], R["sella-bridge@Valdoria Herald"]], "b")
    dms = [row for row in outbox(newsroom) if row["kind"] == "dm"]
    assert [(d["target"], d["body"]["card"]["title"]) for d in dms] == [
        (7, R["arven-floods@Coastal Times"].title)
    ]


def test_the_digest_is_planned_once_at_its_time(app: App, newsroom: Newsroom, tmp_path: Path) -> None:
    newsroom.config.route(Route(FEED, "global", 100), NOW, primed=True)
    newsroom.config.set_digest(Digest(300, "42", time(8, 0), "Europe/Paris"), 300)  # 07:00 UTC
    newsroom.clock = lambda: datetime(2026, 3, 12, 6, 59, tzinfo=UTC)
    arrive(
        app,
        tmp_path,
        [R["arven-floods@Coastal Times"], R["arven-floods@Northern Wire"], R["kesh-ferry@Harbour Gazette"]],
    )
    assert not [row for row in outbox(newsroom) if row["kind"] == "digest"]
    newsroom.clock = lambda: datetime(2026, 3, 12, 7, 0, 30, tzinfo=UTC)
    newsroom.round_done()
    newsroom.round_done()
    (digest,) = [row for row in outbox(newsroom) if row["kind"] == "digest"]
    titles = [c["title"] for c in digest["body"]["items"]]
    assert titles[0] == R["kesh-ferry@Harbour Gazette"].title  # newest first; one line for the copies
    assert R["arven-floods@Coastal Times"].title in titles and len(titles) == 2
    assert digest["body"]["items"][1]["lead"] == "2 reports"


def test_newsdesk_stories_lists_each_event_with_its_reports_in_order(
    app: App, tmp_path: Path, settings: Settings
) -> None:
    reports = [
        R[k]
        for k in (
            "waters-recede@Coastal Times",
            "arven-floods@Coastal Times",
            "arven-floods@Northern Wire",
            "flood-toll-58@Valdoria Herald",
            "sella-bridge@Valdoria Herald",
        )
    ]
    assert app.ingest([str(_jsonl(tmp_path / "s.jsonl", reports))]).ok
    result = CliRunner().invoke(cli, ["stories", "--json"])
    assert result.exit_code == 0, result.output
    stories = json.loads(result.output)
    assert [s["title"] for s in stories] == [
        R["arven-floods@Coastal Times"].title,
        R["sella-bridge@Valdoria Herald"].title,
    ]
    floods = stories[0]["articles"]
    assert [(a["source"], a["date"], a["role"]) for a in floods] == [
        ("Coastal Times", "2026-03-05", "first"),
        ("Northern Wire", "2026-03-05", "copy"),
        ("Valdoria Herald", "2026-03-06", "update"),
        ("Coastal Times", "2026-03-07", "update"),
    ]
    assert set(floods[0]) == {"id", "url", "source", "date", "title", "role"}
    since = json.loads(CliRunner().invoke(cli, ["stories", "--json", "--since", "2026-03-07"]).output)
    assert [s["title"] for s in since] == [R["arven-floods@Coastal Times"].title]


def test_a_followed_topic_fires_for_an_undated_article_and_in_a_busy_store(
    app: App, newsroom: Newsroom, tmp_path: Path
) -> None:
    """Matched among the round's own articles: an entry without a date still fires, and
    forty older articles on the topic do not push the round's new one out."""
    busy = [
        {
            "id": f"https://archive.example/keltia-{n}",
            "title": f"Keltia earthquake: aftershock report {n}",
            "text": f"Keltia earthquake aftershock {n} shook western Keltia. The Keltia earthquake agency logged"
            f" {n} tremors as the earthquake zone in Keltia stayed on alert.",
            "url": f"https://archive.example/keltia-{n}",
            "date": f"2026-03-{6 + n % 3:02d}",
            "source": "Archive",
        }
        for n in range(40)
    ]
    old = tmp_path / "busy.jsonl"
    old.write_text("".join(json.dumps(b) + "\n" for b in busy))
    assert app.ingest([str(old)]).ok  # stored earlier, not by this poll: no arrivals
    newsroom.config.follow(Follow(0, "42", 7, "Valdoria floods"), limit=5, now=NOW)
    newsroom.config.follow(Follow(0, "42", 8, "Keltia earthquake"), limit=5, now=NOW)
    undated = R["arven-floods@Coastal Times"]
    fields = ("id", "title", "text", "url", "source")
    entry = tmp_path / "undated.jsonl"
    entry.write_text(json.dumps({f: getattr(undated, f) for f in fields} | {"date": None}) + "\n")
    assert app.ingest([str(entry)]).ok
    newsroom.polled(Subscription(FEED, "global", 60, NOW), [undated.id])
    newsroom.round_done()
    arrive(app, tmp_path, [R["keltia-quake@Northern Wire"]], "quake")
    dms = [(d["target"], d["body"]["card"]["title"]) for d in outbox(newsroom) if d["kind"] == "dm"]
    assert dms == [(7, undated.title), (8, R["keltia-quake@Northern Wire"].title)]


def test_a_storys_follow_up_is_answered_from_its_articles_first(app: App, tmp_path: Path) -> None:
    """A story's thread hands the engine the story's articles (`prefer`) apart from the
    rolling history (the fourth question: the headline has left the window, the history
    is on another story): answered from them when they answer, else from the store."""
    floods = [
        R["arven-floods@Coastal Times"],
        R["flood-toll-58@Valdoria Herald"],
        R["waters-recede@Coastal Times"],
    ]
    rivermouth = R["rivermouth-floods@Harbour Gazette"]
    assert app.ingest([str(_jsonl(tmp_path / "f.jsonl", [*floods, rivermouth]))]).ok
    history = [
        "who won the Portmere marathon?",
        "what happened in Rivermouth?",
        "who is the mayor of Rivermouth?",
    ]
    story = [f.id for f in floods]
    answer = app.engine.answer("how many people were killed?", history, prefer=story)
    assert not answer.refused and {c.article_id for c in answer.citations} <= set(story)
    other = app.engine.answer("who declared an emergency?", history, prefer=story)
    assert {c.article_id for c in other.citations} == {rivermouth.id}  # not in the story: read elsewhere


def test_an_article_stored_under_its_id_as_title_is_shown_by_its_first_sentence(
    app: App, newsroom: Newsroom, tmp_path: Path
) -> None:
    """Entries stored before untitled entries were titled carry their id as title: a post
    and a digest never show it."""
    odd = Report(
        "http://feeds.example/odd.xml#31a37ac0",
        "",
        "http://feeds.example/odd.xml#31a37ac0",
        "Ferries between Rivermouth and Kesh run again from Monday. Tickets stay valid.",
        "2026-03-11",
        "Odd Feed",
        "ferries",
        "first",
    )
    arrive(app, tmp_path, [odd])
    (post,) = [row for row in outbox(newsroom) if row["kind"] == "post"]
    assert post["body"]["card"]["title"] == "Ferries between Rivermouth and Kesh run again from Monday."
    stories, cards = newsroom.recent(datetime(2026, 3, 1, tzinfo=UTC), ("global",))
    assert (
        [s.title for s in stories]
        == [c.title for c in cards.values()]
        == ["Ferries between Rivermouth and Kesh run again from Monday."]
    )


def test_newsdesk_stories_labels_a_same_day_development_an_update(app: App, tmp_path: Path) -> None:
    f = by_key(load("followups.jsonl"))
    keys = [
        "tarvik-refinery-fire@Coastal Times",
        "tarvik-smoke@Harbour Gazette",
        "tarvik-fire-out@Metro Post",
    ]
    assert app.ingest([str(_jsonl(tmp_path / "t.jsonl", [f[k] for k in keys]))]).ok
    stories = json.loads(CliRunner().invoke(cli, ["stories", "--json"]).output)
    (tarvik,) = [s for s in stories if s["title"] == f[keys[0]].title]
    roles = {(a["source"], a["role"]) for a in tarvik["articles"]}
    # the same day: a rewrite is a report, "put out" an update
    assert roles == {("Coastal Times", "first"), ("Harbour Gazette", "report"), ("Metro Post", "update")}
