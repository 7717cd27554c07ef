"""A fleet, with real processes: a real `chroma run` on 127.0.0.1, two `python
-m bot` processes holding shard 0 and shard 1 of 2, and one `newsdesk watch`, over the
Discord stand-in (which sends each server's events to its shard). Questions in servers of
both shards are answered; an article the watcher ingests from a feed is answered in both
at the first question asked once its write is over (the seconds from stored to answered
are printed: bench/fleet.py measures them); the watcher (the feed poller) is killed with
-9 and a bot takes its lease over; in every period each feed is polled exactly once, by
one process."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from ingest.feeds import feeds_path
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import Guild, User
from tests.bot.e2e.conftest import SAMPLES, START_S
from tests.bot.e2e.fleet import Fleet, Member
from tests.bot.e2e.helpers import OPENAI, ask, text_of
from tests.ingest.test_feeds_poll import FeedServer, feed_server, page, rss
from tests.processes import Children
from tests.vectorstore.conftest import chroma_server  # noqa: F401  (a fixture)
from vectorstore import GLOBAL_SCOPE, ChromaStore, canonical_model_name
from vectorstore.embedding import Embedder

pytestmark = pytest.mark.slow
WITHIN_S = 120.0  # not a speed goal: what never happens fails here
# leases made for a slow machine: a renewal may come 2 s (poller) or 3 s (writer) late
LEASES = {"POLLER_LEASE_S": "5", "WRITER_LEASE_S": "8"}

TRAM = (
    "Quayside trams",
    [
        "The Quayside tram line to Norbury opens on 14 May, the transit authority said.",
        "Twelve trams will run every six minutes from the harbour to the hospital.",
    ],
)
LIBRARY = (
    "Harrowgate library",
    [
        "The Harrowgate library will add 3,400 books in a new east wing.",
        "The wing, paid for by a local bequest, opens to readers in the autumn.",
    ],
)
FERRY = ("Island ferry", ["The island ferry will run twice a day from June, the harbour board said."])


@pytest.fixture
def served() -> Iterator[FeedServer]:
    with feed_server() as server:
        server.resources["/city.xml"] = rss(server, [], etag='"empty"')
        server.resources["/county.xml"] = rss(server, [], etag='"empty"')
        yield server


def _publish(
    server: FeedServer, feed: str, entries: list[tuple[str, tuple[str, list[str]]]], etag: str
) -> None:
    for path, (title, sentences) in entries:
        server.resources[path] = page(title, sentences)
    server.resources[feed] = rss(server, [(p, t, s[0]) for p, (t, s) in entries], etag=etag)


def _due_now(data: Path) -> None:
    """A new period for every feed, without waiting for it."""
    with sqlite3.connect(feeds_path(data)) as db:
        db.execute("UPDATE feeds SET next_due = '2000-01-01T00:00:00+00:00'")


async def _polled(
    server: FeedServer,
    counts: dict[str, int],
    members: Sequence[Member],
    recorded: int,
    within: float = WITHIN_S,
) -> None:
    """Each feed fetched `counts` times in all and the live `members` counting `recorded`
    polls (a poll is counted once it is recorded), by a deadline, and by one process. The
    fetch counts cannot prove the one: the pollers share feeds.sqlite3, whose claims would
    keep a second poller off a claimed feed. The proof is the fleet's `newsdesk_feed_poller`
    gauges: their sum over its live processes is 1."""
    deadline = time.monotonic() + within
    while not all(server.hits(f) >= n for f, n in counts.items()) or await _counted(members) < recorded:
        assert time.monotonic() < deadline, (
            f"feeds fetched {[(f, server.hits(f)) for f in counts]}, not {counts}"
        )
        await asyncio.sleep(0.1)
    assert {f: server.hits(f) for f in counts} == counts, "each feed polled once this period"
    live = [m for m in members if m.process.returncode is None]
    gauges = [await m.value("newsdesk_feed_poller") for m in live]
    assert sum(gauges) == 1, (
        f"one feed poller in the fleet: {dict(zip([m.name for m in live], gauges, strict=True))}"
    )


async def _counted(members: Sequence[Member]) -> float:
    """The polls the live `members` counted, whatever their result."""
    live = [m for m in members if m.process.returncode is None]
    statuses = ("ingested", "not_modified", "failed")
    return sum([await m.value("newsdesk_feed_polls_total", status=s) for m in live for s in statuses])


@pytest.fixture
async def fleet(
    tmp_path: Path,
    chroma_server: int,  # noqa: F811
    onnx_dir: Path,
    discord: DiscordStandIn,
    children: Children,
) -> AsyncIterator[Fleet]:
    fleet = Fleet(tmp_path / "host", chroma_server, onnx_dir, discord, "", children)
    yield fleet
    await fleet.close()


async def _written(store: ChromaStore, title: str) -> float:
    """The moment (monotonic) the article titled `title` is in the store's manifest and the
    write that stored it is over: the writer lease free again (its holder moved the store's
    generation before letting go, locks.py)."""
    deadline = time.monotonic() + WITHIN_S

    def done() -> bool:
        stored = any(r.title == title for r in store.records().values())
        return stored and store.writer_lock.holder() is None

    while not await asyncio.to_thread(done):
        assert time.monotonic() < deadline, f"{title!r} never stored"
        await asyncio.sleep(0.05)
    return time.monotonic()


async def _first_answer(
    discord: DiscordStandIn, guild: Guild, member: User, question: str, expected: str, stored_at: float
) -> float:
    """The first question asked in the server holds `expected`; seconds from `stored_at`."""
    interaction = await ask(discord, discord.channel(guild, "general"), member, question)
    assert expected in text_of(interaction.messages[-1]), text_of(interaction.messages[-1])
    return float(interaction.answered_at or 0) - stored_at


async def _answered_everywhere(
    discord: DiscordStandIn, guilds: list[Guild], member: User, question: str, expected: str, stored_at: float
) -> list[float]:
    """Ask in every server at once, once: each answer holds `expected`; seconds from stored."""
    return list(
        await asyncio.gather(
            *(_first_answer(discord, g, member, question, expected, stored_at) for g in guilds)
        )
    )


async def _poller(members: list[Member]) -> list[str]:
    return [
        m.name for m in members if m.process.returncode is None and await m.value("newsdesk_feed_poller") == 1
    ]


async def test_two_shard_processes_and_a_watcher_share_one_chroma_server(
    fleet: Fleet,
    discord: DiscordStandIn,
    served: FeedServer,
    settings: Settings,
    embedder: Embedder,
    chroma_server: int,  # noqa: F811
    member: User,
) -> None:
    async with discord.changing():
        discord.state.shard_count = 2
    guilds = [discord.add_guild(f"shard-{n}", shard=n) for n in (0, 1)]
    fleet.guilds = ",".join(str(g.id) for g in guilds)
    remote = settings.model_copy(
        update={
            "chroma_host": "127.0.0.1",
            "chroma_port": chroma_server,
            "newsdesk_data_dir": fleet.data,
            "embedding_onnx_dir": fleet.onnx_dir,
        }
    )
    app = App(remote, embedder=embedder)
    assert app.ingest([str(SAMPLES)]).count("added") == 6
    for feed in ("/city.xml", "/county.xml"):
        app.feeds.follow(served.url(feed), GLOBAL_SCOPE, 5)
    app.stand_down()  # the test's own App polled nothing; it does not compete

    watcher = await fleet.watch(**LEASES)
    await fleet.ready(watcher, START_S)
    await _polled(
        served, {"/city.xml": 1, "/county.xml": 1}, [watcher], recorded=2
    )  # the first period: empty feeds
    bots = await asyncio.gather(fleet.bot("0", **LEASES), fleet.bot("1", **LEASES))
    await asyncio.gather(*(fleet.ready(b, START_S) for b in bots))
    assert await _poller([watcher, *bots]) == ["watch"], "one poller: the process that took the lease first"

    for guild in guilds:  # questions in servers of both shards
        answer = await ask(discord, discord.channel(guild, "general"), member, OPENAI)
        assert "London" in text_of(answer.messages[-1])

    store = ChromaStore(remote, canonical_model_name(remote.embedding_model))
    _publish(served, "/city.xml", [("/tram", TRAM)], etag='"c1"')
    _publish(served, "/county.xml", [("/ferry", FERRY)], etag='"k1"')
    _due_now(fleet.data)
    stored_at = await _written(store, TRAM[0])
    waits = await _answered_everywhere(
        discord, guilds, member, "when does the Quayside tram line open?", "14 May", stored_at
    )
    await _polled(served, {"/city.xml": 2, "/county.xml": 2}, [watcher, *bots], recorded=4)

    watcher.process.send_signal(signal.SIGKILL)
    assert await watcher.process.wait() == -signal.SIGKILL
    killed_at = time.monotonic()
    while not await _poller(bots):
        assert time.monotonic() - killed_at < WITHIN_S, "the poller lease was not taken over"
        await asyncio.sleep(0.2)
    took_over = time.monotonic() - killed_at
    assert len(await _poller(bots)) == 1, "one bot took it over"

    _publish(served, "/city.xml", [("/tram", TRAM), ("/library", LIBRARY)], etag='"c2"')
    _due_now(fleet.data)
    stored_at = await _written(store, LIBRARY[0])
    waits += await _answered_everywhere(
        discord, guilds, member, "how many books will the Harrowgate library add?", "3,400", stored_at
    )
    await _polled(served, {"/city.xml": 3, "/county.xml": 3}, bots, recorded=2)
    polls = [await b.value("newsdesk_feed_polls_total", status="ingested") for b in bots]
    assert sorted(polls) == [0, 1], f"the new poller polled the changed feed; the other bot nothing ({polls})"
    for b in bots:
        assert await b.healthz() == 200 and "Traceback" not in b.text
    print(f"\nfleet: poller lease taken over {took_over:.1f} s after kill -9; answers {waits} s after stored")
