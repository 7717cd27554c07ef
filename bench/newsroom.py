"""The newsroom under load, over the real wire: 20 feeds x 50 entries (30% wire copies of
another feed's story, 10% next-day updates with new figures) served on 127.0.0.1, each
feed routed to one of 5 channels, polled by the real bot (built by the composition root,
connected to the Discord stand-in on its own thread, which enforces Discord's per-channel
rate limit of 5 messages / 5 s) in 50 rounds of 20 new entries. Prints:

- posts per story and channel (goal: exactly 1), updates in their story's thread;
- the time from the start of a poll round to each post reaching Discord (p50/p95);
- the process's memory (the bot, and the stand-in on its thread);
- /ask p50/p95 while a delivery burst runs beside it (goal: under 1 s over the stand-in);
- with --grouping, the story grouping on the fixtures: pairwise precision/recall, follow-ups
  split and events merged, and how many same-day developments add a fact (and rewrites).

    .venv/bin/python bench/newsroom.py [--rounds 50] [--grouping]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pydantic import SecretStr  # noqa: E402

from bot.app import App, bot_settings  # noqa: E402
from bot.discord_app.client import NewsBot  # noqa: E402
from bot.discord_app.lifecycle import connect, stop  # noqa: E402
from bot.discord_app.runner import build_bot  # noqa: E402
from bot.newsroom import Route  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.bot.discord_standin import DiscordStandIn  # noqa: E402
from tests.bot.discord_standin.thread import StandInThread  # noqa: E402
from tests.bot.discord_standin.world import Channel, User, snowflake  # noqa: E402
from tests.bot.e2e.helpers import SAMPLE_QUESTIONS  # noqa: E402
from tests.bot.newsroom.fixtures import Feeds, Report, grouping, load, pairwise  # noqa: E402
from tests.helpers import serving  # noqa: E402
from vectorstore.embedding import Embedder  # noqa: E402
from vectorstore.models import GLOBAL_SCOPE  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
FEEDS, PER_FEED, CHANNELS = 20, 50, 5
START = date(2026, 1, 1)
_NUMBER = re.compile(r"\b\d{2,}\b")


@dataclass(frozen=True)
class Entry:
    report: Report
    feed: int
    story: str  # the truth: the original it reports


def originals(rng: random.Random, count: int) -> list[Report]:
    """Distinct stories: Wikinews articles, and SQuAD's Wikipedia paragraphs dated so that
    two paragraphs of one article are never within a story's window of each other."""
    out = []
    for line in (EVAL / "wikinews" / "articles.jsonl").open():
        a = json.loads(line)
        day = START + timedelta(days=rng.randrange(150))
        out.append(Report(a["id"], "", a["title"], a["text"][:1500], day.isoformat(), "", a["id"], "first"))
    for n, line in enumerate((EVAL / "squad-dev" / "articles.jsonl").open()):
        a = json.loads(line)
        paragraphs = [p for p in a["text"].split("\n\n") if len(p) > 300][:30]
        for j, p in enumerate(paragraphs):
            day = START + timedelta(days=j * 5 + n % 5)
            title = f"{a['title'].replace('_', ' ')}: {' '.join(p.split()[:7])}…"
            out.append(Report(f"{a['id']}-{j}", "", title, p, day.isoformat(), "", f"{a['id']}-{j}", "first"))
    rng.shuffle(out)
    return out[:count]


def corpus(seed: int) -> list[Entry]:
    rng = random.Random(seed)
    total = FEEDS * PER_FEED
    firsts = originals(rng, total * 6 // 10)
    entries = [Entry(r, rng.randrange(FEEDS), r.id) for r in firsts]
    home = {e.story: e.feed for e in entries}
    for n in range(total * 3 // 10):  # wire copies: another feed, the same day
        r = rng.choice(firsts)
        text = f"{r.title.split(':')[0].upper()[:20]} (Wire) - {r.text}\n\n(Reporting by wire staff.)"
        copy = Report(f"{r.id}~copy{n}", "", r.title, text, r.date, "", r.id, "copy")
        entries.append(Entry(copy, rng.choice([f for f in range(FEEDS) if f != home[r.id]]), r.id))
    numbered = [r for r in firsts if _NUMBER.search(r.text[:300])]
    for n, r in enumerate(rng.sample(numbered, total // 10)):  # the next day, new figures
        text = _NUMBER.sub(lambda m: str(int(m.group()) + 7), r.text, count=3)
        later = (date.fromisoformat(r.date) + timedelta(days=1)).isoformat()
        update = Report(f"{r.id}~update{n}", "", f"Update: {r.title}", text, later, "", r.id, "update")
        entries.append(Entry(update, rng.randrange(FEEDS), r.id))
    return sorted(entries, key=lambda e: (e.report.date, e.report.kind != "first", e.report.id))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def rounded(value: float) -> int | None:
    """A figure for the JSON: None for one with no samples (NaN)."""
    return None if math.isnan(value) else round(value)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_until(predicate: object, within: float) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def ask_beside(wire: StandInThread, channel: object, n: int) -> list[float]:
    """n /ask sent one after another while deliveries go on; their answer times (ms)."""
    discord = wire.standin
    times = []
    for i in range(n):
        sent = await wire.call(
            discord.interactions.command,
            "ask",
            {"question": SAMPLE_QUESTIONS[i % 10]},
            channel=channel,
            user=User(snowflake(), f"asker-{i}"),
        )
        await wait_until(lambda s=sent: s.answered_at is not None, 60)
        times.append(((sent.answered_at or sent.created) - sent.created) * 1000)
    return times


@dataclass
class Measured:
    latencies: list[float] = field(default_factory=list)  # poll round start -> post at Discord, ms
    asks: list[float] = field(default_factory=list)  # /ask beside the deliveries, ms
    peak_mb: float = 0.0
    polls: list[float] = field(default_factory=list)  # a round's polls and planning, s
    sends: list[float] = field(default_factory=list)  # then until the ledger is empty, s


Started = tuple[NewsBot, asyncio.Task[None], list[Channel]]


async def start(wire: StandInThread, tmp: str, feeds: Feeds, routed: bool) -> Started:
    """The real bot over the stand-in; 20 feeds followed from the CLI's side, each routed to
    one of the channels."""
    discord = wire.standin
    async with wire.changing():  # the stand-in's state changes between two of its steps
        guild = discord.add_guild("newsroom")
        channels = [discord.add_channel(guild, f"news-{i}", 0) for i in range(CHANNELS)]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        newsdesk_data_dir=Path(tmp),
        discord_token=SecretStr(discord.state.token),
        discord_api_base=discord.api_base,
        discord_guild_ids=str(guild.id),
    )
    app = App(bot_settings(settings))
    app.ingest([str(REPO / "samples")])
    now = datetime.now(UTC)
    for i in range(FEEDS):
        url = feeds.serve(f"Outlet {i}", [])
        app.feeds.follow(url, GLOBAL_SCOPE, 60)
        if routed:  # else the feeds only feed the store, as before the newsroom
            app.newsroom.config.route(Route(url, GLOBAL_SCOPE, channels[i % CHANNELS].id), now)
    app.feeds.poll_all()  # the feeds are read while empty: every entry they bring later is news
    bot = build_bot(app.settings, app)
    connection = asyncio.create_task(connect(bot, app.settings))
    await wait_until(lambda: connection.done() or bot.is_ready(), 120)
    if connection.done():
        connection.result()
    return bot, connection, channels


async def one_round(wire: StandInThread, bot: NewsBot, channels: list[Channel], measured: Measured) -> None:
    """Poll every feed; while the deliveries go out, ask three questions; until the ledger is empty."""
    discord = wire.standin
    t0, before = time.monotonic(), await wire.between_steps(lambda: len(discord.requests))
    await bot.ingests.run(bot.feeds.poll_all)
    polled = time.monotonic()
    bot.newsroom_planned()
    general = await wire.between_steps(
        lambda: discord.channel(discord.state.guilds[channels[0].guild_id or 0], "general")
    )
    asking = asyncio.create_task(ask_beside(wire, general, 3))
    await wait_until(lambda: bot.newsroom.outbox.open_count() == 0, 300)
    measured.asks += await asking
    ids = {c.id for c in channels}
    sent = await wire.between_steps(lambda: discord.requests[before:])
    posted = [c for c in sent if c.route == "create_message" and c.status == 200]
    measured.latencies += [(c.at - t0) * 1000 for c in posted if int(c.params["channel"]) in ids]
    measured.peak_mb = max(measured.peak_mb, rss_mb())
    measured.polls.append(polled - t0)
    measured.sends.append(time.monotonic() - polled)
    took = f"poll+plan {polled - t0:.1f} s, send {time.monotonic() - polled:.1f} s"
    print(f"round: {took}, rss {rss_mb():.0f} MB", file=sys.stderr)


async def run(rounds: int, seed: int, routed: bool) -> dict[str, object]:
    entries = corpus(seed)
    measured = Measured(peak_mb=rss_mb())
    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-newsroom-") as tmp,
        StandInThread(channel_rate=(5, 5.0)) as wire,
        serving({}) as server,
    ):
        feeds = Feeds(server)
        bot, connection, channels = await start(wire, tmp, feeds, routed)
        after_start = rss_mb()
        per_round = len(entries) // rounds
        started = time.perf_counter()
        for r in range(rounds):
            shown = entries[: (r + 1) * per_round] if r < rounds - 1 else entries
            for i in range(FEEDS):
                feeds.serve(f"Outlet {i}", [e.report for e in shown if e.feed == i][-PER_FEED:])
            await one_round(wire, bot, channels, measured)
        wall = time.perf_counter() - started
        figures = await wire.between_steps(lambda: outcome(wire.standin, channels, entries, feeds))
        figures |= grouped(bot, entries, feeds)
        await stop(bot, "end of the bench", connection)
        refused = len(wire.standin.rate.refused)
    lat, asks = measured.latencies, measured.asks
    return {
        "entries": len(entries),
        "feeds": FEEDS,
        "channels": CHANNELS,
        "rounds": rounds,
        "wall_s": round(wall, 1),
        **figures,
        "poll_to_post_p50_ms": rounded(percentile(lat, 0.5)),  # None without posts (--no-routes)
        "poll_to_post_p95_ms": rounded(percentile(lat, 0.95)),
        "ask_beside_p50_ms": round(statistics.median(asks)),
        "ask_beside_p95_ms": round(percentile(asks, 0.95)),
        "routed": routed,
        "rss_mb_after_start": round(after_start),
        "rss_mb_end": round(rss_mb()),
        "rss_mb_peak_sampled": round(measured.peak_mb),
        "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rate_limited_429": refused,
        "round_poll_and_plan_s_p50": round(statistics.median(measured.polls), 1),
        "round_send_s_p50": round(statistics.median(measured.sends), 1),
    }


def expected_updates(entries: list[Entry], channels: list[Channel]) -> int:
    """Updates whose story had an earlier report routed to the same channel: they belong in
    the story's thread (the others are the story's first report there, so its post)."""
    seen: set[tuple[int, str]] = set()
    count = 0
    for e in entries:  # in order of date
        key = (channels[e.feed % CHANNELS].id, e.story)
        count += e.report.kind == "update" and key in seen
        seen.add(key)
    return count


def outcome(
    discord: DiscordStandIn, channels: list[Channel], entries: list[Entry], feeds: Feeds
) -> dict[str, object]:
    """Posts per (channel, story) against the truth; updates found in their thread."""
    story_of = {feeds.link(e.report): e.story for e in entries}
    routed: dict[int, set[str]] = {}
    for e in entries:
        routed.setdefault(channels[e.feed % CHANNELS].id, set()).add(e.story)
    counts: Counter[tuple[int, str]] = Counter()
    listed: Counter[tuple[int, str | None]] = Counter()
    updates = 0
    for channel in channels:
        mine = discord.messages_by_bot(channel)
        for m in mine:
            embed = (m.get("embeds") or [{}])[0]
            if embed.get("url") in story_of:
                counts[(channel.id, story_of[embed["url"]])] += 1
            for url in re.findall(r"\(<([^>]+)>\)", embed.get("description") or ""):
                listed[(channel.id, story_of.get(url))] += 1
        for thread in discord.threads_of(channel):
            updates += len(discord.messages_by_bot(thread))
    pairs = [(c, s) for c, stories in routed.items() for s in stories]
    spread = Counter(min(counts[p], 2) for p in pairs)
    unposted = [p for p in pairs if counts[p] == 0]
    return {
        "channel_stories": len(pairs),
        "posted_exactly_once": spread[1],
        "posted_twice_or_more": spread[2],
        "not_posted": spread[0],
        "not_posted_but_listed_in_more_line": sum(1 for p in unposted if listed[p]),
        "posts_per_story_mean": round(sum(counts[p] for p in pairs) / len(pairs), 4),
        "updates_in_threads": updates,
        "updates_routed": sum(1 for e in entries if e.report.kind == "update"),
        "updates_after_a_report_in_their_channel": expected_updates(entries, channels),
    }


def _together(sizes: Iterable[int]) -> int:
    """Pairs within groups of these sizes."""
    return sum(n * (n - 1) // 2 for n in sizes)


def grouped(bot: NewsBot, entries: list[Entry], feeds: Feeds) -> dict[str, object]:
    """How the story grouping did on this corpus: pairwise precision/recall of its events
    against the truth (each original with its copies and updates)."""
    links = {feeds.link(e.report): e.story for e in entries}
    known = bot.newsroom.events.known(list(links))
    pairs = Counter((links[a], i.event_id) for a, i in known.items())
    both = _together(pairs.values())
    truth = _together(Counter(links[a] for a in known).values())
    said = _together(Counter(i.event_id for i in known.values()).values())
    return {
        "grouping_precision": round(both / said, 3) if said else 1.0,
        "grouping_recall": round(both / truth, 3) if truth else 1.0,
        "events": len({i.event_id for i in known.values()}),
        "stories": len(set(links.values())),
    }


def grouping_figures() -> dict[str, object]:
    """Pairwise precision/recall of the story grouping on both fixture sets, at the chosen
    NAME_SIM and around it (the threshold a shared name needs)."""
    from bot.newsroom import events
    from vectorstore.embedding import make_embedder

    embedder = make_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    chosen = events.NAME_SIM
    out: dict[str, object] = {"NAME_SIM": chosen, "ALONE_SIM": events.ALONE_SIM, "window": events.WINDOW_DAYS}
    out |= {"FOLLOW_SIM": events.FOLLOW_SIM, "FOLLOW_NAMES": events.FOLLOW_NAMES}
    for threshold in (0.50, 0.55, chosen, 0.65, 0.70):
        events.NAME_SIM = threshold
        for name in ("reports.jsonl", "heldout.jsonl", "followups.jsonl"):
            out[f"{name} @ {threshold:.2f}"] = fixture_figures(load(name), embedder)
    events.NAME_SIM = chosen
    follow_up = events.follows_up
    events.follows_up = lambda report, story: None  # type: ignore[assignment]
    out["followups.jsonl without the follow-up rule"] = fixture_figures(load("followups.jsonl"), embedder)
    events.follows_up = follow_up
    out["same-day reports (followups.jsonl)"] = development_figures(load("followups.jsonl"))
    return out


def development_figures(reports: list[Report]) -> dict[str, object]:
    """The reports written anew on their story's newest day (not wire copies): how many
    developments (labelled development or update) add a fact (changes.new_facts, as the
    planner asks it), and how many rewrites (labelled rewrite) are taken for one."""
    from bot.newsroom.changes import Facts, figures_of, new_facts
    from bot.newsroom.events import names_of, opening_of
    from bot.newsroom.lexicon import outcomes_of
    from bot.newsroom.reading import without_credits

    def facts(r: Report) -> Facts:
        opening = opening_of(r.text)
        said = f"{r.title}. {opening}"
        names = frozenset(n for n in names_of(r.title, without_credits(opening)) if not n.startswith("^"))
        return Facts(figures_of(said), outcomes_of(said), names)

    known: dict[str, tuple[Facts, str]] = {}
    delivered, missed, taken, kept = [], [], [], []
    for r in sorted(reports, key=lambda r: r.date):
        mine = facts(r)
        story = known.get(r.event)
        if story is not None and r.date == story[1] and r.kind != "copy":
            added = bool(new_facts(story[0], mine))
            if r.kind in ("development", "update"):
                (delivered if added else missed).append(r.key)
            else:
                (taken if added else kept).append(r.key)
        joined = story[0].joined(mine) if story else mine
        known[r.event] = (joined, max(r.date, story[1] if story else r.date))
    return {
        "developments_delivered": f"{len(delivered)} of {len(delivered) + len(missed)}",
        "missed": missed,
        "rewrites_taken_for_developments": f"{len(taken)} of {len(taken) + len(kept)}",
        "taken": taken,
    }


def fixture_figures(reports: list[Report], embedder: Embedder) -> dict[str, object]:
    """Pairwise precision/recall; split: reports not in their event's first report's story;
    merged: pairs of events whose first reports are in one story."""
    with tempfile.TemporaryDirectory() as tmp:
        assigned = grouping(reports, embedder, Path(tmp))
    precision, recall = pairwise({r.key: r.event for r in reports}, assigned)
    firsts: dict[str, str] = {}
    for r in sorted(reports, key=lambda r: r.date):
        firsts.setdefault(r.event, r.key)
    later = [r for r in reports if r.key != firsts[r.event]]
    split = [r.key for r in later if assigned[r.key] != assigned[firsts[r.event]]]
    pairs = list(itertools.combinations(sorted(firsts), 2))
    merged = [(a, b) for a, b in pairs if assigned[firsts[a]] == assigned[firsts[b]]]
    return {
        "reports": len(reports),
        "events": len(firsts),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "split": f"{len(split)} of {len(later)} later reports",
        "split_reports": split,
        "merged": f"{len(merged)} of {len(pairs)} event pairs",
        "merged_events": merged,
    }


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--grouping", action="store_true", help="only the grouping's precision/recall")
    parser.add_argument("--no-routes", action="store_true", help="the same polls, no channel: the baseline")
    parser.add_argument("--verbose", action="store_true", help="log the polls and rounds")
    args = parser.parse_args()
    if args.verbose:
        for name in ("ingest.feeds.poller", "bot.newsroom.service", "bot.discord_app.delivery"):
            logging.getLogger(name).setLevel(logging.INFO)
    if args.grouping:
        print(json.dumps(grouping_figures(), indent=2))
        return
    print(json.dumps(asyncio.run(run(args.rounds, args.seed, not args.no_routes)), indent=2))


if __name__ == "__main__":
    main()
