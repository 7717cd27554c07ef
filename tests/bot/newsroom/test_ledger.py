"""The delivery ledger (bot/newsroom/outbox.py) on its SQLite file: a target's deliveries
in order, a claim's lease, a killed claimer's deliveries taken over at once (a real
process killed with SIGKILL), a refusing target backed off, a sent post remembered."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.newsroom import Body, Card, NewsroomDB, Outbox, PostState, newsroom_path
from bot.newsroom.outbox import BLOCK_BACKOFF, CLAIM_LEASE, enqueue
from tests.conftest import REPO
from tests.processes import Children

NOW = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)


def _plan(db: NewsroomDB, deliveries: list[tuple[str, int]]) -> None:
    with db.write() as conn:
        for key, target in deliveries:
            enqueue(conn, key, (target, "channel"), "more", Body(heading=key), NOW)


def test_a_targets_deliveries_are_claimed_in_order_once(tmp_path: Path) -> None:
    db = NewsroomDB(newsroom_path(tmp_path))
    _plan(db, [("a1", 1), ("b1", 2), ("a2", 1), ("a1", 1)])  # the same key twice: planned once
    mine, theirs = Outbox(db), Outbox(db)
    claimed = mine.claim(NOW, per_target=1)
    assert [d.key for d in claimed] == ["a1", "b1"]
    assert [d.key for d in theirs.claim(NOW)] == []  # a1 is leased: a2 waits behind it, b1 is leased
    mine.release(claimed[:1])
    assert [d.key for d in theirs.claim(NOW)] == ["a1", "a2"]
    assert [d.key for d in mine.claim(NOW + CLAIM_LEASE)] == ["a1", "b1", "a2"]  # leases ran out


def test_a_killed_claimers_deliveries_are_taken_over_at_once(tmp_path: Path, children: Children) -> None:
    db = NewsroomDB(newsroom_path(tmp_path))
    _plan(db, [("a1", 1)])
    script = textwrap.dedent(f"""
        import os, sys, time
        from datetime import datetime, UTC
        from pathlib import Path
        from bot.newsroom import NewsroomDB, Outbox, newsroom_path
        outbox = Outbox(NewsroomDB(newsroom_path(Path({str(tmp_path)!r}))))
        [d] = outbox.claim(datetime.fromisoformat({NOW.isoformat()!r}))
        outbox.begin(d)
        print("claimed", flush=True)
        time.sleep(60)
    """)
    process = children.popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "claimed"
    assert Outbox(db).claim(NOW) == []  # its lease holds while it lives
    process.kill()
    process.wait(10)
    (taken,) = Outbox(db).claim(NOW)
    assert taken.key == "a1" and taken.tries == 1  # a sender looks for it before sending again


def test_a_target_that_refuses_is_backed_off_doubling(tmp_path: Path) -> None:
    db = NewsroomDB(newsroom_path(tmp_path))
    _plan(db, [("a1", 1), ("b1", 2)])
    outbox = Outbox(db)
    assert outbox.block(1, "403 Missing Permissions", NOW) == NOW + BLOCK_BACKOFF
    assert [d.key for d in outbox.claim(NOW)] == ["b1"]
    again = NOW + BLOCK_BACKOFF
    assert [d.key for d in outbox.claim(again)] == ["a1", "b1"]  # b1's lease ran out too
    assert outbox.block(1, "403 Missing Permissions", again) == again + 2 * BLOCK_BACKOFF
    state = outbox_channel(db, 1)
    assert state == ("403 Missing Permissions", 2)
    outbox.sent(outbox.claim(again + timedelta(hours=1))[0], 99, again)
    assert outbox_channel(db, 1) == (None, 0)  # a success clears it


def outbox_channel(db: NewsroomDB, channel: int) -> tuple[str | None, int]:
    with db.read() as conn:
        error, failures = conn.execute(
            "SELECT last_error, failures FROM channels WHERE channel_id = ?", (channel,)
        ).fetchone()
    return error, int(failures)


def test_a_sent_post_is_remembered_for_its_edits_and_thread(tmp_path: Path) -> None:
    db = NewsroomDB(newsroom_path(tmp_path))
    state = PostState(card=Card(article_id="x", title="Floods"), newest_day="2026-03-05")
    with db.write() as conn:
        conn.execute(
            "INSERT INTO posts (channel_id, event_id, state, body) VALUES (1, 'e', 'post', ?)",
            (state.model_dump_json(),),
        )
        enqueue(conn, "post:1:e:x", (1, "channel"), "post", Body(card=state.card), NOW, "e")
    outbox = Outbox(db)
    assert outbox.posted(1, "e") == outbox.posted(1, "e") and outbox.posted(1, "e").message_id is None  # type: ignore[union-attr]
    (post,) = outbox.claim(NOW)
    outbox.begin(post)
    outbox.sent(post, 1234, NOW)
    outbox.thread_started(1, "e")
    posted = outbox.posted(1, "e")
    assert posted is not None and posted.message_id == 1234 and posted.state.thread
    assert outbox.open_count() == 0


def test_a_target_that_stays_gone_is_forgotten(tmp_path: Path) -> None:
    from bot.newsroom import Config, Digest, Follow, Route
    from bot.newsroom.cleanup import GONE_AFTER

    db = NewsroomDB(newsroom_path(tmp_path))
    config = Config(db)
    config.route(Route("https://a.example/rss", "global", 1), NOW)
    config.route(Route("https://a.example/rss", "global", 2), NOW)
    config.set_digest(Digest(1, "42", datetime(2026, 1, 1, 8).time(), "UTC"), 1)
    config.follow(Follow(0, "42", 7, "Valdoria floods", channel_id=1), limit=5, now=NOW)
    config.follow(Follow(0, "42", 9, "Keltia"), limit=5, now=NOW)  # a direct message to member 9
    _plan(db, [("a1", 1), ("b1", 2)])
    outbox = Outbox(db)
    moment = NOW
    for _ in range(GONE_AFTER - 1):  # gone for a while: kept, backed off
        moment = outbox.block(1, "the channel is gone", moment, gone=True)
    outbox.block(9, "the channel is gone", NOW, gone=True)
    outbox.block(2, "403 Missing Permissions", NOW)  # refused, not gone: kept however long
    assert {r.channel_id for r in config.routes()} == {1, 2} and len(config.follows()) == 2
    outbox.block(1, "the channel is gone", moment, gone=True)
    assert [r.channel_id for r in config.routes()] == [2]
    assert config.digests() == [] and [f.user_id for f in config.follows()] == [9]
    assert [d.key for d in outbox.claim(moment + timedelta(days=2))] == ["b1"]  # a1 dropped


def test_a_paused_feeds_deliveries_wait_and_every_send_is_in_the_history(tmp_path: Path) -> None:
    from bot.newsroom import Config

    db = NewsroomDB(newsroom_path(tmp_path))
    feed = ("https://a.example/rss", "global")
    card = Card(article_id="x", title="Floods")
    with db.write() as conn:
        enqueue(
            conn,
            "more:1",
            (1, "channel"),
            "more",
            Body(heading="…and 2 more stories", items=[card]),
            NOW,
            None,
            feed,
        )
        enqueue(
            conn,
            "more:2",
            (2, "channel"),
            "more",
            Body(heading="other"),
            NOW,
            None,
            ("https://b.example/rss", "global"),
        )
    config, outbox = Config(db), Outbox(db)
    assert config.pause(*feed, NOW) and not config.pause(*feed, NOW)
    assert [d.key for d in outbox.claim(NOW)] == ["more:2"]  # the paused feed's delivery waits
    assert config.resume(*feed) and not config.resume(*feed)
    resumed, other = outbox.claim(NOW + CLAIM_LEASE)  # the other's lease ran out meanwhile
    assert resumed.key == "more:1"
    outbox.sent(resumed, 7, NOW)
    outbox.drop(other, "Discord refused it: 400 Invalid Form Body", NOW)
    from bot.newsroom.history import read

    entries = read(db)
    assert [(e.outcome, e.channel_id, e.title, e.url) for e in entries] == [
        ("dropped", 2, "other", "https://b.example/rss"),
        ("listed", 1, "…and 2 more stories", "https://a.example/rss"),
    ]
    assert "400" in entries[0].reason and read(db, channels=[1]) == entries[1:]
    assert read(db, feeds=[feed]) == entries[1:] and read(db, channels=[]) == []
