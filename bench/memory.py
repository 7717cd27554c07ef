"""Memory of newsdesk's processes, as a small server would run them.

    .venv/bin/python bench/memory.py [--only ask ingest watch bot q100k bm25]
        [--store100k DIR] [--rounds 50] [--questions 200] [--watch-rounds 10]

Every figure is one real process's, read from /proc (VmRSS, sampled every 0.2 s, and VmHWM
for the peak) or from wait4 (the peak of a process that has exited):

- ask: a cold `newsdesk ask` on a store of samples/ (median of 5: wall, peak), beside
  `python -c pass`.
- ingest: `newsdesk ingest` of the 89 Wikinews articles into a new store (peak, wall).
- watch: `newsdesk watch` polling 20 feeds served on 127.0.0.1, fed --watch-rounds rounds
  of 20 new articles (after start, peak, end).
- bot: `python -m bot` over the Discord stand-in (on a thread of this process), 20 feeds
  routed to 5 channels, fed --articles articles (1,000) in --rounds rounds (bench/newsroom.py's corpus)
  while --questions questions are asked with /ask (after start, peak, end).
- q100k: over a 100k-chunk store (`bench/query.py --copies 85 --store DIR` builds it): a
  first process (a store written before the replica's mirror and segments existed pays
  for them once), a cold `newsdesk ask` (median of 5), and a process answering
  --questions questions (after its first answer, peak, end).
- bm25: in a process of its own over the same store, the BM25 postings of its widest
  segment built again from the rows (as a merge or a rebuild does: SEGMENT_ROWS x MERGE^TOP
  rows): the process's memory before, its peak, and the CPU time.

ONNX Runtime's arena and the batch size are measured by bench/onnx_memory.py. Polls are
made due by setting the feeds' `next_due` in feeds.sqlite3 (with POLLER_LEASE_S=3 a poller
looks every second), as time passing would. Prints one table; writes
bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.proc import PYTHON, Sampled, environment, exported, finished, load, status, wait_until  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
WIKINEWS = EVAL / "wikinews" / "articles.jsonl"
QUESTION = "where is OpenAI's first international office?"
FEEDS, PER_FEED, CHANNELS = 20, 50, 5


# -- one-shot commands -------------------------------------------------------------------------


def cold(command: list[str], env: dict[str, str], runs: int = 5) -> dict[str, object]:
    """The median wall time and peak of `runs` cold runs, beside `python -c pass`."""
    walls, peaks, bases = [], [], []
    for _ in range(runs):
        wall, peak, code = finished(command, env)
        if code != 0:
            raise RuntimeError(f"{command} exited {code}")
        walls.append(wall)
        peaks.append(peak)
        bases.append(finished([PYTHON, "-c", "pass"], env)[0])
    return {
        "wall_s": round(statistics.median(walls), 2),
        "peak_mb": round(statistics.median(peaks)),
        "python_c_pass_s": round(statistics.median(bases), 3),
        "load": load(),
    }


def ask(tmp: Path, onnx: Path) -> dict[str, object]:
    env = environment(tmp / "demo", onnx)
    newsdesk = [PYTHON, "-c", "from bot.cli import main; main()"]
    subprocess.run([*newsdesk, "ingest", "-q", str(REPO / "samples")], env=env, check=True)
    return cold([*newsdesk, "ask", QUESTION], env)


def ingest(tmp: Path, onnx: Path) -> dict[str, object]:
    env = environment(tmp / "wikinews", onnx, INGEST_NICE="0")
    command = [PYTHON, "-c", "from bot.cli import main; main()", "ingest", "-q", str(WIKINEWS)]
    wall, peak, code = finished(command, env)
    return {"articles": 89, "wall_s": round(wall, 1), "peak_mb": round(peak), "exit": code, "load": load()}


# -- feeds: the watcher and the bot --------------------------------------------------------------


def make_due(data: Path) -> str:
    """Every feed due now; the time, as last_poll is written."""
    now = datetime.now(UTC).replace(microsecond=0)
    with sqlite3.connect(data / "feeds.sqlite3", timeout=60) as db:
        db.execute("UPDATE feeds SET next_due = ?", (now.isoformat(timespec="seconds"),))
    return now.isoformat(timespec="seconds")


def polled_since(data: Path, since: str) -> bool:
    with sqlite3.connect(data / "feeds.sqlite3", timeout=60) as db:
        polls = [p for (p,) in db.execute("SELECT last_poll FROM feeds")]
    return all(p is not None and p >= since for p in polls)


def feed_rounds(rounds: int, articles: int = FEEDS * PER_FEED) -> list[list[list[object]]]:
    """For each round, each feed's entries (the first `articles` of bench/newsroom.py's
    corpus, last PER_FEED)."""
    from bench.newsroom import corpus

    entries = corpus(22)[:articles]
    per_round = len(entries) // rounds
    out = []
    for r in range(rounds):
        shown = entries[: (r + 1) * per_round] if r < rounds - 1 else entries
        out.append([[e.report for e in shown if e.feed == i][-PER_FEED:] for i in range(FEEDS)])
    return out


def watch(tmp: Path, onnx: Path, rounds: int) -> dict[str, object]:
    """`newsdesk watch` fed the first `rounds` of the bot's 50 rounds (20 articles each)."""
    from bot.app import App
    from bot.settings import Settings
    from tests.bot.newsroom.fixtures import Feeds
    from tests.helpers import serving
    from vectorstore.models import GLOBAL_SCOPE

    data = tmp / "watch"
    env = environment(data, onnx, POLLER_LEASE_S="3", INGEST_NICE="0")
    with serving({}) as server:
        feeds = Feeds(server)
        app = App(Settings(_env_file=None, newsdesk_data_dir=data))  # type: ignore[call-arg]
        urls = [feeds.serve(f"Outlet {i}", []) for i in range(FEEDS)]
        for url in urls:
            app.feeds.follow(url, GLOBAL_SCOPE, 60)
        process = subprocess.Popen(
            [PYTHON, "-c", "from bot.cli import main; main()", "watch"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sampled = Sampled(process)
        wait_until(lambda: polled_since(data, "0"), 120, "the first polls")
        time.sleep(2)
        after_start = sampled.now()
        for shown in feed_rounds(50)[:rounds]:
            for i, reports in enumerate(shown):
                feeds.serve(f"Outlet {i}", reports)  # type: ignore[arg-type]
            since = make_due(data)
            wait_until(lambda s=since: polled_since(data, s), 600, "a round of polls")  # type: ignore[misc]
        time.sleep(2)
        end, peak = sampled.now(), sampled.peak()
        code = sampled.stop()
    return {
        "articles": rounds * FEEDS,
        "rss_after_start_mb": round(after_start),
        "rss_peak_mb": round(peak),
        "rss_end_mb": round(end),
        "exit": code,
        "load": load(),
    }


def bot(tmp: Path, onnx: Path, rounds: int, questions: int, articles: int) -> dict[str, object]:
    from tests.bot.discord_standin.thread import StandInThread
    from tests.bot.newsroom.fixtures import Feeds
    from tests.helpers import serving

    with StandInThread(channel_rate=(5, 5.0)) as wire, serving({}) as server:
        guild = wire.standin.add_guild("newsroom")
        env = environment(
            tmp / "bot",
            onnx,
            POLLER_LEASE_S="3",
            DISCORD_TOKEN=wire.standin.state.token,
            DISCORD_API_BASE=wire.standin.api_base,
            DISCORD_GUILD_IDS=str(guild.id),
            LOG_LEVEL="WARNING",
        )
        return _bot(wire, guild, Feeds(server), env, (rounds, questions, articles))


def _bot(
    wire: Any, guild: Any, feeds: Any, env: dict[str, str], plan: tuple[int, int, int]
) -> dict[str, object]:
    from bot.app import App
    from bot.newsroom import Route
    from bot.settings import Settings
    from vectorstore.models import GLOBAL_SCOPE

    rounds, questions, articles = plan
    discord, data = wire.standin, Path(env["NEWSDESK_DATA_DIR"])
    channels = [discord.add_channel(guild, f"news-{i}", 0) for i in range(CHANNELS)]
    newsdesk = [PYTHON, "-c", "from bot.cli import main; main()"]
    subprocess.run([*newsdesk, "ingest", "-q", str(REPO / "samples")], env=env, check=True)
    app = App(Settings(_env_file=None, newsdesk_data_dir=data))  # type: ignore[call-arg]
    for i in range(FEEDS):
        url = feeds.serve(f"Outlet {i}", [])
        app.feeds.follow(url, GLOBAL_SCOPE, 60)
        app.newsroom.config.route(Route(url, GLOBAL_SCOPE, channels[i % CHANNELS].id), datetime.now(UTC))
    process = subprocess.Popen(
        [PYTHON, "-m", "bot"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    sampled = Sampled(process)
    wait_until(
        lambda: bool(discord.calls("sync_guild")) or process.poll() is not None, 180, "the bot's start"
    )
    wait_until(lambda: polled_since(data, "0"), 120, "the first polls")
    time.sleep(3)
    after_start = sampled.now()
    times: list[float] = []
    for r, shown in enumerate(feed_rounds(rounds, articles)):
        for i, reports in enumerate(shown):
            feeds.serve(f"Outlet {i}", reports)
        since = make_due(data)
        while len(times) < questions * (r + 1) // rounds:
            times.append(asked(wire, discord.channel(guild, "general"), len(times)))
        wait_until(lambda s=since: polled_since(data, s), 600, "a round of polls")  # type: ignore[misc]
        time.sleep(1)
        wait_until(lambda: app.newsroom.outbox.open_count() == 0, 600, "the deliveries")
    end, peak = sampled.now(), sampled.peak()
    code = sampled.stop()
    return {
        "articles": articles,
        "questions": len(times),
        "messages": len(discord.calls("create_message")),
        "ask_p50_ms": round(1000 * statistics.median(times)),
        "rss_after_start_mb": round(after_start),
        "rss_peak_mb": round(peak),
        "rss_end_mb": round(end),
        "exit": code,
        "load": load(),
    }


def asked(wire: Any, channel: Any, n: int) -> float:
    """One /ask over the stand-in, answered; its time in s."""
    from tests.bot.discord_standin.world import User, snowflake
    from tests.bot.e2e.helpers import SAMPLE_QUESTIONS

    t0 = time.monotonic()
    command = wire.standin.interactions.command
    question = {"question": SAMPLE_QUESTIONS[n % len(SAMPLE_QUESTIONS)]}
    sent = asyncio.run(
        wire.call(command, "ask", question, channel=channel, user=User(snowflake(), f"asker-{n}"))
    )
    wait_until(lambda: sent.answered_at is not None, 120, "an answer")
    return time.monotonic() - t0


# -- the answering process at 100k chunks -------------------------------------------------------


def answering_child(count: int) -> dict[str, object]:
    """In a process of its own: `count` squad-dev questions answered one after another."""
    from bot.app import App
    from bot.settings import Settings

    questions = [json.loads(line)["question"] for line in (EVAL / "squad-dev" / "questions.jsonl").open()][
        :count
    ]
    engine = App(Settings()).engine
    engine.answer(questions[0])
    first = status()["VmRSS"]
    times = []
    for q in questions:
        t0 = time.perf_counter()
        engine.answer(q)
        times.append(time.perf_counter() - t0)
    now = status()
    return {
        "questions": count,
        "rss_after_first_mb": round(first),
        "rss_peak_mb": round(now["VmHWM"]),
        "rss_end_mb": round(now["VmRSS"]),
        "answer_p50_ms": round(1000 * statistics.median(times), 1),
    }


def q100k(store: Path, onnx: Path, questions: int) -> dict[str, object]:
    env = environment(store, onnx)
    newsdesk = [PYTHON, "-c", "from bot.cli import main; main()", "ask", QUESTION]
    first_wall, first_peak, _ = finished(newsdesk, env)
    code = f"import json, bench.memory as m; print(json.dumps(m.answering_child({questions})))"
    done = subprocess.run([PYTHON, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return {
        "first_process_s": round(first_wall, 1),
        "first_process_peak_mb": round(first_peak),
        "cold_ask": cold(newsdesk, env),
        "answering": json.loads(done.stdout.strip().splitlines()[-1]),
        "load": load(),
    }


def bm25_child() -> dict[str, object]:
    """In a process of its own: the widest BM25 segment's postings built again (not saved)."""
    from vectorstore.replica.postings import Postings
    from vectorstore.replica.rows import ChunkRows, rows_file
    from vectorstore.settings import StoreSettings

    settings = StoreSettings()
    rows = ChunkRows(settings.data_dir / rows_file(settings))
    widest = max(rows.segments(), key=lambda s: s.hi - s.lo)
    before = status()["VmRSS"]
    started = time.process_time()
    built = Postings.build(rows.rows_between(widest.lo, widest.hi))
    return {
        "rows": len(built),
        "rss_before_mb": round(before),
        "rss_peak_mb": round(status()["VmHWM"]),
        "cpu_s": round(time.process_time() - started, 2),
    }


def bm25(store: Path, onnx: Path) -> dict[str, object]:
    code = "import json, bench.memory as m; print(json.dumps(m.bm25_child()))"
    env = environment(store, onnx)
    done = subprocess.run([PYTHON, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load": load()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="+", default=["ask", "ingest", "watch", "bot", "q100k"])
    parser.add_argument("--store100k", type=Path, default=Path("/tmp/q100k"))
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--articles", type=int, default=FEEDS * PER_FEED, help="fed to the bot")
    parser.add_argument("--watch-rounds", type=int, default=10)
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="newsdesk-memory-") as folder:
        tmp = Path(folder)
        onnx = exported(Path(os.environ.get("EMBEDDING_ONNX_DIR") or tmp / "models"))
        sections: dict[str, Callable[[], object]] = {
            "ask": lambda: ask(tmp, onnx),
            "ingest": lambda: ingest(tmp, onnx),
            "watch": lambda: watch(tmp, onnx, args.watch_rounds),
            "bot": lambda: bot(tmp, onnx, args.rounds, args.questions, args.articles),
            "q100k": lambda: q100k(args.store100k, onnx, args.questions),
            "bm25": lambda: bm25(args.store100k, onnx),
        }
        for name in args.only:
            results[name] = sections[name]()
            print(name, json.dumps(results[name]), flush=True)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "memory.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


def table(results: dict[str, object]) -> str:
    """One line per process: after start, peak, end (MB), wall (s)."""
    lines = ["process                                   start    peak     end    wall   load"]

    def row(name: str, start: object, peak: object, end: object, wall: object, at: object) -> None:
        lines.append(f"{name:40s} {start!s:>6} {peak!s:>7} {end!s:>7} {wall!s:>7}   {at}")

    get: Callable[[str], dict[str, object]] = lambda key: results.get(key) or {}  # type: ignore[assignment,return-value]  # noqa: E731
    if a := get("ask"):
        row("newsdesk ask, cold (samples/)", "", a["peak_mb"], "", a["wall_s"], a["load"])
    if i := get("ingest"):
        row("newsdesk ingest (89 Wikinews articles)", "", i["peak_mb"], "", i["wall_s"], i["load"])
    if w := get("watch"):
        row(
            f"newsdesk watch ({w['articles']} articles)",
            w["rss_after_start_mb"],
            w["rss_peak_mb"],
            w["rss_end_mb"],
            "",
            w["load"],
        )
    if b := get("bot"):
        row(
            f"bot + newsroom ({b['articles']} articles, {b['questions']} asks)",
            b["rss_after_start_mb"],
            b["rss_peak_mb"],
            b["rss_end_mb"],
            "",
            b["load"],
        )
    if q := get("q100k"):
        c, n = q["cold_ask"], q["answering"]
        row("newsdesk ask, cold, 100k chunks", "", c["peak_mb"], "", c["wall_s"], c["load"])  # type: ignore[index]
        row(
            f"answering process, 100k ({n['questions']} answers)",
            n["rss_after_first_mb"],  # type: ignore[index]
            n["rss_peak_mb"],
            n["rss_end_mb"],
            "",
            q["load"],
        )  # type: ignore[index]
    if m := get("bm25"):
        name = f"BM25 build of {m['rows']} rows, 100k store"
        row(name, m["rss_before_mb"], m["rss_peak_mb"], "", m["cpu_s"], m["load"])
    return "\n".join(lines)


if __name__ == "__main__":
    main()
