"""Load test of the Discord door over the real wire: N concurrent /ask from S servers,
sent as INTERACTION_CREATE by the Discord stand-in (tests/bot/discord_standin: real HTTP
and a real zstd-stream gateway websocket on 127.0.0.1) to the real bot, built by the
composition root and connected by the same code as `python -m bot`. The stand-in runs on
an event loop of its own, in a thread, so the bot's loop carries only the bot's work.

Prints the worst deferral (Discord's deadline is 3 s), the answer times (from the event
to the answer shown, p50/p95/max), how many were told "busy", and the event loop's lag.

    .venv/bin/python bench/discord_load.py [--questions 50] [--servers 10] [--queue 32]
        [--corpus ../shared/eval/wikinews/articles.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pydantic import SecretStr  # noqa: E402

from bot.app import App, bot_settings  # noqa: E402
from bot.discord_app.lifecycle import connect, stop  # noqa: E402
from bot.discord_app.runner import build_bot  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.bot.discord_standin.interactions import Interaction  # noqa: E402
from tests.bot.discord_standin.thread import StandInThread  # noqa: E402
from tests.bot.discord_standin.world import Guild, User, snowflake  # noqa: E402
from tests.bot.e2e.helpers import SAMPLE_QUESTIONS  # noqa: E402


async def lag_monitor(done: asyncio.Event, lags: list[float], tick: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while not done.is_set():
        start = loop.time()
        await asyncio.sleep(tick)
        lags.append((loop.time() - start - tick) * 1000)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def wait_until(predicate: object, within: float) -> None:
    async with asyncio.timeout(within):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def ask_all(wire: StandInThread, guilds: list[Guild], n: int) -> list[Interaction]:
    """n /ask at once, spread over the servers, each from its own member (no cooldown)."""
    discord = wire.standin

    def one(i: int) -> Awaitable[Interaction]:
        question = SAMPLE_QUESTIONS[i % len(SAMPLE_QUESTIONS)]
        channel = discord.channel(guilds[i % len(guilds)], "general")
        return wire.call(
            discord.interactions.command,
            "ask",
            {"question": question},
            channel=channel,
            user=User(snowflake(), f"member-{i}"),
        )

    sent = await asyncio.gather(*(one(i) for i in range(n)))
    await wait_until(lambda: all(i.answered_at is not None for i in sent), 120)
    return sent


def figures(sent: list[Interaction], lags: list[float]) -> dict[str, object]:
    deferrals = [(i.deferral_s or 0) * 1000 for i in sent]
    answers = [((i.answered_at or 0) - i.created) * 1000 for i in sent]
    busy = [i for i in sent if "many questions" in i.messages[-1]["content"]]
    return {
        "deferral_worst_ms": round(max(deferrals), 1),
        "deferral_p50_ms": round(statistics.median(deferrals), 1),
        "answer_p50_ms": round(statistics.median(answers)),
        "answer_p95_ms": round(percentile(answers, 0.95)),
        "answer_max_ms": round(max(answers)),
        "told_busy": len(busy),
        "loop_lag_max_ms": round(max(lags), 1),
        "loop_lag_p99_ms": round(percentile(lags, 0.99), 1),
    }


async def run(n: int, servers: int, queue: int | None, corpus: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="newsdesk-load-") as tmp, StandInThread() as wire:
        guilds = [wire.standin.add_guild(f"server-{i}") for i in range(servers)]
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            newsdesk_data_dir=Path(tmp),
            discord_token=SecretStr(wire.standin.state.token),
            discord_api_base=wire.standin.api_base,
            discord_guild_ids=",".join(str(g.id) for g in guilds),
        )
        if queue is not None:
            settings = settings.model_copy(update={"answer_queue": queue})
        app = App(bot_settings(settings))
        report = app.ingest([str(REPO / "samples"), *corpus])
        bot = build_bot(app.settings, app)
        connection = asyncio.create_task(connect(bot, app.settings))
        await wait_until(lambda: connection.done() or len(bot.guilds) == servers, 60)
        if connection.done():
            connection.result()
        stop_lag, lags = asyncio.Event(), list[float]()
        monitor = asyncio.create_task(lag_monitor(stop_lag, lags))
        t0 = time.perf_counter()
        sent = await ask_all(wire, guilds, n)
        wall = time.perf_counter() - t0
        stop_lag.set()
        await monitor
        await stop(bot, "end of the bench", connection)
        return {
            "questions": n,
            "servers": servers,
            "chunks": report.chunks_embedded,
            "workers": app.settings.answer_workers,
            "answer_queue": app.settings.answer_queue,
            "wall_s": round(wall, 2),
            **figures(sent, lags),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--queue", type=int, default=None, help="ANSWER_QUEUE (default: the setting's)")
    parser.add_argument("--corpus", action="append", default=[], help="more articles (e.g. wikinews JSONL)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.questions, args.servers, args.queue, args.corpus)), indent=2))


if __name__ == "__main__":
    main()
