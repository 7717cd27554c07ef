"""Load test of the Discord door: N concurrent /ask through the real cog, core, store and
model (Discord's side is faked with discord.py-shaped objects). Prints each answer's
latency and the event loop's worst lag while they run.

    .venv/bin/python bench/discord_load.py [--questions 20] [--corpus ../shared/eval/wikinews/articles.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.app import App, bot_settings  # noqa: E402
from bot.discord_app.runner import build_bot  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.bot.discord_fakes import invoke, make_bot_user, make_interaction, make_member  # noqa: E402

QUESTIONS = [
    "where is OpenAI's first international office?",
    "when will the harbour bridge close?",
    "how many reefs showed more coral?",
    "until when is the library open during exams?",
    "who broke the course record at the marathon?",
    "what pay rise did the train drivers get?",
    "how much will the bridge repairs cost?",
    "what did Sam Altman say about London?",
    "how many runners took part in the marathon?",
    "who won the men's marathon?",
]


async def lag_monitor(stop: asyncio.Event, lags: list[float], tick: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(tick)
        lags.append((loop.time() - start - tick) * 1000)


async def run(n: int, corpus: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="newsdesk-load-") as tmp:
        settings = Settings(_env_file=None, newsdesk_data_dir=Path(tmp), ask_rate=100)  # type: ignore[call-arg]
        app = App(bot_settings(settings))
        report = app.ingest([str(REPO / "samples"), *corpus])
        bot = build_bot(app.settings, app)
        await bot.prepare()
        bot._connection.user = make_bot_user()
        cog = bot.get_cog("Ask")
        assert cog is not None
        command = cog.ask  # type: ignore[attr-defined]

        # the fakes are built first: building spec'd mocks is slow and is not the bot's work
        interactions = [make_interaction(bot, make_member(1), 1) for _ in range(n)]

        async def one(i: int) -> float:
            interaction = interactions[i]
            t0 = time.perf_counter()
            await invoke(bot, command, interaction, question=QUESTIONS[i % len(QUESTIONS)])
            assert interaction.followup.send.await_count == 1
            return (time.perf_counter() - t0) * 1000

        stop, lags = asyncio.Event(), []
        monitor = asyncio.create_task(lag_monitor(stop, lags))
        t0 = time.perf_counter()
        latencies = await asyncio.gather(*(one(i) for i in range(n)))
        wall = time.perf_counter() - t0
        stop.set()
        await monitor
        bot.answers.shutdown()
        return {
            "questions": n,
            "chunks": report.chunks_embedded,
            "workers": settings.answer_workers,
            "wall_s": round(wall, 2),
            "latency_ms": sorted(round(x) for x in latencies),
            "latency_p50_ms": round(statistics.median(latencies)),
            "latency_max_ms": round(max(latencies)),
            "loop_lag_max_ms": round(max(lags), 1),
            "loop_lag_p99_ms": round(sorted(lags)[int(len(lags) * 0.99) - 1], 1) if lags else None,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--corpus", action="append", default=[], help="more articles (e.g. wikinews JSONL)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.questions, args.corpus)), indent=2))


if __name__ == "__main__":
    main()
