"""A fleet under load: /ask over the Discord stand-in while `newsdesk watch` ingests.

    .venv/bin/python bench/fleet.py [--questions 100] [--servers 25] [--articles 40] [--queue N]
        [--mode fleet|single|both]

Each mode starts afresh: a real `chroma run` on 127.0.0.1, a store of samples/ plus the
Wikinews articles the feed does not serve, one followed feed on a 127.0.0.1 site, and real
processes over the stand-in (on a thread of its own; two shards, `--servers` servers each):
- `fleet`: two `python -m bot` processes holding shard 0 and shard 1 of 2, and `newsdesk watch`;
- `single`: one `python -m bot` holding both shards, and `newsdesk watch`.
Then the feed publishes `--articles` Wikinews pages; once the watcher has fetched them all (it
embeds and writes next, at its INGEST_NICE), `--questions` /ask arrive at once, spread over every
server. Prints, per mode: answer p50/p95/max (from the interaction to the answer shown),
errors (told busy, "went wrong"; a question unanswered in 120 s stops the bench), refusals,
how many of the feed's articles were stored when the last answer came (fewer than all: the
answers ran beside the ingest), and each process's RSS (now and peak), as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.discord_load import ask_all, percentile  # noqa: E402
from bench.feeds_poll import EVAL, Site, serve  # noqa: E402
from bot.app import App  # noqa: E402
from bot.settings import Settings  # noqa: E402
from ingest.feeds import feeds_path  # noqa: E402
from tests.bot.discord_standin.interactions import Interaction  # noqa: E402
from tests.bot.discord_standin.thread import StandInThread  # noqa: E402
from tests.bot.e2e.fleet import Fleet, Member, status_mb  # noqa: E402
from tests.bot.e2e.helpers import text_of  # noqa: E402
from tests.vectorstore.conftest import ChromaRun, chroma_run  # noqa: E402
from vectorstore import GLOBAL_SCOPE, ChromaStore, canonical_model_name  # noqa: E402

START_S = 120.0
ONNX = REPO / "data" / "models" / "onnx"  # the export made once, kept across runs


def wikinews(n: int) -> tuple[list[dict[str, str]], Path]:
    """The first n articles (the feed's) and a JSONL of the rest (the store's)."""
    rows = [json.loads(line) for line in (EVAL / "wikinews" / "articles.jsonl").open()]
    rest = Path(tempfile.mkstemp(prefix="newsdesk-fleet-", suffix=".jsonl")[1])
    rest.write_text("".join(json.dumps(r) + "\n" for r in rows[n:]))
    return rows[:n], rest


def remote_settings(data: Path, chroma: ChromaRun) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        newsdesk_data_dir=data,
        chroma_host="127.0.0.1",
        chroma_port=chroma.port,
        embedding_onnx_dir=ONNX,
    )


def prepare(settings: Settings, site: Site, corpus: Path) -> int:
    """The store and the followed feed, written by this process, which then polls nothing."""
    app = App(settings)
    chunks = app.ingest([str(REPO / "samples"), str(corpus)]).chunks_embedded
    app.feeds.follow(site.url("/feed.xml"), GLOBAL_SCOPE, 5)
    app.stand_down()
    return chunks


async def start(fleet: Fleet, mode: str, queue: int | None) -> tuple[list[Member], Member]:
    watcher = await fleet.watch(INGEST_NICE="10")  # as `newsdesk watch` runs by default
    await fleet.ready(watcher, START_S)
    shards = ["0", "1"] if mode == "fleet" else [None]
    extra = {"ANSWER_QUEUE": str(queue)} if queue else {}
    bots = await asyncio.gather(*(fleet.bot(s, **extra) for s in shards))
    await asyncio.gather(*(fleet.ready(b, START_S) for b in bots))
    return list(bots), watcher


async def until(predicate: object, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


async def publish(site: Site, articles: list[dict[str, str]], data: Path) -> None:
    """The feed's new entries, due now; returns once the watcher has fetched every page."""
    site.articles, site.etag = articles, '"2"'
    with sqlite3.connect(feeds_path(data)) as db:
        db.execute("UPDATE feeds SET next_due = '2000-01-01T00:00:00+00:00'")
    await until(lambda: site.hits.get("page", 0) >= len(articles), 120, "the watcher's page fetches")


def answer_figures(sent: list[Interaction]) -> dict[str, object]:
    answers = [((i.answered_at or 0) - i.created) * 1000 for i in sent]
    texts = [text_of(i.messages[-1]) for i in sent]
    return {
        "answer_p50_ms": round(statistics.median(answers)),
        "answer_p95_ms": round(percentile(answers, 0.95)),
        "answer_max_ms": round(max(answers)),
        "errors": sum(1 for t in texts if "many questions" in t or "went wrong" in t),
        "refused": sum(1 for t in texts if "could not find" in t),
    }


def memory(members: list[Member], chroma: ChromaRun) -> dict[str, dict[str, int]]:
    rows = {m.name: m.process.pid for m in members} | {"chroma run": chroma.pid}
    return {
        name: {"rss_mb": round(status_mb(pid)), "peak_mb": round(status_mb(pid, "VmHWM"))}
        for name, pid in rows.items()
    }


async def measure(mode: str, args: argparse.Namespace, wire: StandInThread, tmp: Path) -> dict[str, object]:
    feed_articles, corpus = wikinews(args.articles)
    site = Site([])
    httpd = serve(site)
    with chroma_run(tmp / "chroma") as chroma:
        settings = remote_settings(tmp / "host", chroma)
        chunks = prepare(settings, site, corpus)
        async with wire.changing():  # the stand-in's state changes between two of its steps
            guilds = [
                wire.standin.add_guild(f"{mode}-{s}-{i}", shard=s)
                for s in (0, 1)
                for i in range(args.servers)
            ]
        fleet = Fleet(tmp / "host", chroma.port, ONNX, wire.standin, ",".join(str(g.id) for g in guilds))
        try:
            bots, watcher = await start(fleet, mode, args.queue)
            await ask_all(wire, guilds, 2)  # the first question of each process is not measured
            store = ChromaStore(settings, canonical_model_name(settings.embedding_model))
            before = len(store.records())
            await publish(site, feed_articles, tmp / "host")
            t0 = time.perf_counter()
            sent = await ask_all(wire, guilds, args.questions)
            wall, stored = time.perf_counter() - t0, len(store.records()) - before
            figures = answer_figures(sent)
            rss = memory([*bots, watcher], chroma)
        finally:
            await fleet.close()
            httpd.shutdown()
    return {
        "mode": mode,
        "processes": [m.name for m in fleet.members],
        "questions": args.questions,
        "servers": 2 * args.servers,
        "store_chunks_before": chunks,
        "wall_s": round(wall, 2),
        **figures,
        "feed_articles_stored_when_answered": f"{stored} of {args.articles}",
        "memory": rss,
    }


async def run(args: argparse.Namespace) -> list[dict[str, object]]:
    modes = ["fleet", "single"] if args.mode == "both" else [args.mode]
    results = []
    with StandInThread() as wire:
        async with wire.changing():
            wire.standin.state.shard_count = 2
        for mode in modes:
            with tempfile.TemporaryDirectory(prefix=f"newsdesk-fleet-{mode}-") as tmp:
                results.append(await measure(mode, args, wire, Path(tmp)))
                print(json.dumps(results[-1], indent=2), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--servers", type=int, default=25, help="servers per shard")
    parser.add_argument("--queue", type=int, default=None, help="each bot's ANSWER_QUEUE")
    parser.add_argument("--articles", type=int, default=40, help="pages the watcher ingests")
    parser.add_argument("--mode", choices=["fleet", "single", "both"], default="both")
    results = asyncio.run(run(parser.parse_args()))
    out = REPO / "bench" / "results" / "fleet.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
