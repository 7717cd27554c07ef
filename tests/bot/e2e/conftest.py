"""End-to-end tests: the real bot over the real wire (discord.py's HTTP client and gateway
websocket) against the Discord stand-in on 127.0.0.1, with a store holding samples/. The
stand-in runs on an event loop of its own, in a thread (`StandInThread`), as Discord runs
on machines of its own: a bot loop slowed by a busy machine does not slow the stand-in.

Two ways to run the bot:
- `bot`: the real `NewsBot` built by the real composition root, connected and stopped by
  the same code as `python -m bot` (lifecycle.connect, lifecycle.stop), on this test's
  event loop;
- `bot_process`: the real `python -m bot` process, configured by environment variables.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import App
from bot.discord_app.client import NewsBot
from bot.discord_app.lifecycle import connect, stop
from bot.discord_app.runner import build_bot
from bot.settings import Settings
from tests.bot.discord_standin import DiscordStandIn
from tests.bot.discord_standin.thread import StandInThread
from tests.bot.discord_standin.world import GUILD_TEXT, Channel, Guild, User, snowflake
from tests.bot.newsroom.fixtures import Feeds
from tests.helpers import serving
from tests.processes import Children
from vectorstore.embedding import Embedder

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "samples"
START_S = 60.0  # generous: the machine is shared; a healthy start takes about 3 s


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory, onnx_dir: Path, embedder: Embedder) -> Path:
    """samples/ ingested once a session; each test gets its own copy (data_dir)."""
    data = tmp_path_factory.mktemp("e2e-samples")
    settings = Settings(_env_file=None, newsdesk_data_dir=data, embedding_onnx_dir=onnx_dir)  # type: ignore[call-arg]
    report = App(settings, embedder=embedder).ingest([str(SAMPLES)])
    assert report.ok and report.count("added") == 6
    return data


@pytest.fixture
def data_dir(sample_data: Path, tmp_path: Path) -> Path:
    target = tmp_path / "bot-data"
    shutil.copytree(sample_data, target)
    return target


@pytest.fixture
async def discord() -> AsyncIterator[DiscordStandIn]:
    """The stand-in on its own loop, in a thread (tests/bot/discord_standin/thread.py)."""
    async with StandInThread() as standin:
        yield standin


@pytest.fixture
def guild(discord: DiscordStandIn) -> Guild:
    return discord.add_guild("newsroom")


@pytest.fixture
def news(discord: DiscordStandIn, guild: Guild) -> Channel:
    """The server's #news channel, where the newsroom tests route their feeds."""
    return discord.add_channel(guild, "news", GUILD_TEXT)


@pytest.fixture
def feeds() -> Iterator[Feeds]:
    """Feeds served on 127.0.0.1 (tests/bot/newsroom/fixtures.py)."""
    with serving({}) as server:
        yield Feeds(server)


@pytest.fixture
def member() -> User:
    return User(snowflake(), "alice")


@pytest.fixture
def bot_settings(data_dir: Path, onnx_dir: Path, discord: DiscordStandIn, guild: Guild) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        newsdesk_data_dir=data_dir,
        embedding_onnx_dir=onnx_dir,
        discord_token=discord.state.token,
        discord_guild_ids=str(guild.id),
        discord_api_base=discord.api_base,
        ask_rate=1000,  # the per-member cooldown has its own tests; here one member asks a lot
    )


@dataclass
class RunningBot:
    bot: NewsBot
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await asyncio.wait_for(stop(self.bot, "end of test", self.task), 10)


async def start_bot(settings: Settings, embedder: Embedder, discord: DiscordStandIn) -> RunningBot:
    """The real bot from the real composition root, connected; returns once every server
    the stand-in has is in its cache (on_ready itself waits 2 s more, as discord.py does)."""
    bot = build_bot(settings, App(settings, embedder=embedder))
    running = RunningBot(bot, asyncio.create_task(connect(bot, settings)))
    expected = set(discord.state.guilds)
    await discord.wait_for(
        lambda: running.task.done() or expected <= {g.id for g in bot.guilds}, START_S, "the bot's guilds"
    )
    if running.task.done():
        running.task.result()  # raises what stopped it
    return running


@pytest.fixture
async def bot(bot_settings: Settings, embedder: Embedder, discord: DiscordStandIn) -> AsyncIterator[NewsBot]:
    running = await start_bot(bot_settings, embedder, discord)
    yield running.bot
    await running.stop()


# -- the real process -----------------------------------------------------------------------


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    stderr: bytearray

    async def wait(self, within: float) -> int:
        """Its exit code; fails the test if it is still running after `within` s."""
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"the bot did not exit within {within} s; stderr:\n{self.text}") from None

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    @property
    def text(self) -> str:
        return self.stderr.decode(errors="replace")


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)


@pytest.fixture
async def bot_process(
    tmp_path: Path, children: Children
) -> AsyncIterator[Callable[[dict[str, str]], Awaitable[BotProcess]]]:
    """Start `python -m bot` with these settings (environment variables) and nothing else
    inherited but PATH, HOME and PYTHONPATH; ended at the end if still running."""
    readers: list[asyncio.Task[None]] = []

    async def start(env: dict[str, str]) -> BotProcess:
        base = {k: os.environ[k] for k in ("PATH", "HOME", "PYTHONPATH") if k in os.environ}
        base.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
        process = await children.exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env={**base, **env},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        running = BotProcess(process, bytearray())
        readers.append(asyncio.create_task(_drain(process.stderr, running.stderr)))
        return running

    yield start
    await children.aend_all()
    await asyncio.gather(*readers, return_exceptions=True)


def process_env(settings: Settings) -> dict[str, str]:
    """The environment that gives `python -m bot` these settings."""
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    return {
        "NEWSDESK_DATA_DIR": str(settings.data_dir),
        "EMBEDDING_ONNX_DIR": str(settings.embedding_onnx_dir),
        "DISCORD_TOKEN": token,
        "DISCORD_GUILD_IDS": settings.discord_guild_ids,
        "DISCORD_API_BASE": settings.discord_api_base,
        "LOG_LEVEL": "INFO",
    }
