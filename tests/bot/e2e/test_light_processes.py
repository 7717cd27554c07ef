"""What a running process holds once the model is exported: the bot (`python -m bot` over
the Discord stand-in), the watcher (`newsdesk watch`), an ingest and an ask, each a real
process, never import torch or transformers (about 540 MB) nor scipy (54 MB); an ask answered from the
host's replica does not import chromadb either, nor what only other commands print with
(rich's tables and progress bars, the ingest summary), nor usearch in a store small enough
to be compared whole (vectorstore/replica/dense.py).

Each process is started by a wrapper (`python -c`) that runs the entry point as its
console script would, and writes the names of the modules it imported when the
interpreter exits: nothing in the program itself reports them. For the long-running
ones it also counts, once the program has returned, the malloc arenas that eight threads
allocating at once end up with (malloc_info): at most two when the process limited them
before its threads started (vectorstore/system.py), one per thread otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from ingest.feeds import FeedRegistry, feeds_path
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.world import Guild, User
from tests.bot.e2e.conftest import REPO, SAMPLES, START_S, process_env
from tests.bot.e2e.helpers import ANSWER_S, OPENAI, answered
from tests.helpers import ARENA_PROBE, Route, arenas_in, serving
from vectorstore.system import MALLOC_ARENAS

pytestmark = pytest.mark.slow

HEAVY = {"torch", "transformers", "sentence_transformers", "scipy"}  # scipy: datasketch's import, 54 MB
NOT_FOR_AN_ASK = {
    "chromadb",
    "rich.table",
    "rich.progress",
    "bot.cli_ingest",
    "ingest.report",
    "usearch",
    "tqdm",
    "asyncio",
}
# argv: the report's path, the entry point ("bot" for `python -m bot`, "cli" for `newsdesk`),
# then the program's own arguments
WRAPPER = (
    ARENA_PROBE
    + """
import atexit, json, os, runpy, sys
report, entry = sys.argv[1], sys.argv[2]
atexit.register(lambda: open(report, "w").write(json.dumps(sorted(sys.modules))))
try:
    if entry == "bot":
        sys.argv = ["bot", *sys.argv[3:]]
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
    else:
        sys.argv = ["newsdesk", *sys.argv[3:]]
        from bot.cli import main
        main()
finally:
    if os.environ.get("COUNT_ARENAS"):
        count_arenas(report + ".malloc")
"""
)
PAGE = (
    b"<html><head><title>Harbour reopens</title></head><body><article>"
    b"<p>The harbour reopened to fishing boats on Tuesday after the storm damage was repaired.</p>"
    b"<p>The repairs to the north pier took six weeks and cost about two million euros.</p>"
    b"</article></body></html>"
)


def wrapped(report: Path, entry: str, *args: str) -> list[str]:
    return [sys.executable, "-c", WRAPPER, str(report), entry, *args]


def imported(report: Path) -> set[str]:
    """The modules the process imported, by full name and by top-level package."""
    names = set(json.loads(report.read_text()))
    return names | {name.split(".")[0] for name in names}


def cli_env(data: Path, onnx_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "NEWSDESK_DATA_DIR": str(data),
        "EMBEDDING_ONNX_DIR": str(onnx_dir),
        "INGEST_NICE": "0",
    }


def test_ingest_and_ask_import_neither_torch_nor_chromadb_to_answer(tmp_path: Path, onnx_dir: Path) -> None:
    env = cli_env(tmp_path / "data", onnx_dir)
    ingest, ask = tmp_path / "ingest.json", tmp_path / "ask.json"
    subprocess.run(wrapped(ingest, "cli", "ingest", "-q", str(SAMPLES)), env=env, check=True, cwd=tmp_path)
    answer = subprocess.run(
        wrapped(ask, "cli", "ask", OPENAI), env=env, check=True, cwd=tmp_path, capture_output=True, text=True
    )
    assert "London" in answer.stdout
    assert not imported(ingest) & HEAVY, "an ingest embeds with ONNX Runtime only"
    assert {"chromadb", "bot.cli_ingest"} <= imported(ingest), (
        "the writer writes Chroma (the wrapper sees imports)"
    )
    assert not imported(ask) & (HEAVY | NOT_FOR_AN_ASK), "an ask reads the host's replica, which is current"
    assert {"rich.console", "onnxruntime"} <= imported(ask), "it embedded the question and printed with rich"


def test_the_watcher_imports_no_torch_while_it_polls_and_ingests(tmp_path: Path, onnx_dir: Path) -> None:
    data, report = tmp_path / "data", tmp_path / "watch.json"
    with serving({"/harbour": Route(PAGE)}) as server:
        feed = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Coast News</title>'
            f"<item><title>Harbour reopens</title><link>{server.url('/harbour')}</link>"
            "<description>The harbour reopened.</description></item></channel></rss>"
        ).encode()
        server.routes["/feed.xml"] = Route(feed, "application/rss+xml")
        FeedRegistry(feeds_path(data)).add(server.url("/feed.xml"), "global", 5, datetime.now(UTC))
        env = {k: v for k, v in cli_env(data, onnx_dir).items() if k != "MALLOC_ARENA_MAX"}
        watcher = subprocess.Popen(
            wrapped(report, "cli", "watch"),
            env=env | {"COUNT_ARENAS": "1"},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            registry = FeedRegistry(feeds_path(data))
            _wait_for(
                lambda: registry.subscriptions()[0].articles_added == 1 or watcher.poll() is not None, 120
            )
            watcher.send_signal(signal.SIGTERM)
            _, stderr = watcher.communicate(timeout=30)
        finally:
            if watcher.poll() is None:
                watcher.kill()
    assert watcher.returncode == 0, stderr.decode()
    assert server.hits.get("/harbour") == 1, "the watcher ingested the feed's article"
    assert not imported(report) & HEAVY
    assert arenas_in(Path(f"{report}.malloc")) <= MALLOC_ARENAS, (
        "the watcher limits malloc's arenas, as the bot does"
    )


async def test_the_bot_imports_no_torch_from_start_to_stop(
    bot_settings: Settings, discord: DiscordStandIn, guild: Guild, member: User, tmp_path: Path
) -> None:
    report = tmp_path / "bot.json"
    env = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    env |= {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", **process_env(bot_settings)}
    process = await asyncio.create_subprocess_exec(
        *wrapped(report, "bot"),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await discord.wait_for(
            lambda: discord.gateway.connected or process.returncode is not None, START_S, "IDENTIFY"
        )
        asked = await discord.interactions.command(
            "ask", {"question": OPENAI}, channel=discord.channel(guild, "general"), user=member
        )
        await discord.wait_for(lambda: answered(asked), ANSWER_S, "the answer")
        process.send_signal(signal.SIGTERM)
        assert process.stderr is not None
        stderr = await asyncio.wait_for(process.stderr.read(), 30)
        assert await asyncio.wait_for(process.wait(), 30) == 0, stderr.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "London" in str(asked.messages[-1])
    assert not imported(report) & HEAVY


def _wait_for(condition: object, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.2)
