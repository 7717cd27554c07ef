"""Start the Discord bot from settings (`newsdesk bot`, `python -m bot`) and run it like a
service: build the parts with the composition root and hand them to NewsBot; every
failure to start is one clear line on stderr and an exit code (2: a setting to fix — the
token, the portal's intent; 1: anything else), never a traceback; SIGTERM (systemd,
`docker stop`) is handled as SIGINT is (lifecycle.stop: in-flight answers finished,
websocket closed), exit code 0.

No retry at start-up. When Discord cannot be reached as the bot starts (DNS, refused
connection, timeout), it exits with 1 at once instead of retrying with backoff in-process:
the service manager restarts it with its own, configurable backoff (systemd
`Restart=on-failure` + `RestartSec`/`RestartSteps`, Docker's `restart: on-failure` with
its doubling delay), the failure is visible in its status, and a wrong DISCORD_API_BASE
or DNS set-up is not hidden inside a retry loop. Once logged in, a network that drops is
discord.py's business: `Client.connect` reconnects with exponential backoff and RESUMEs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import dataclass

import aiohttp
import discord
import yarl

from bot.app import App, bot_settings
from bot.discord_app.client import NewsBot
from bot.discord_app.lifecycle import connect, stop
from bot.discord_app.workers import WorkerPool
from bot.health import start as start_health
from bot.settings import Settings
from common.errors import NewsdeskError
from common.signals import on_stop_signals
from vectorstore.system import few_malloc_arenas

log = logging.getLogger(__name__)
EXIT_FAILURE, EXIT_SETTINGS = 1, 2
MISSING_ACCESS = 50001  # Discord's JSON error code


@dataclass(frozen=True)
class StartError(Exception):
    """Why the bot could not start, in one line, and the exit code."""

    line: str
    code: int = EXIT_FAILURE


def build_bot(settings: Settings, app: App | None = None) -> NewsBot:
    """The bot with its parts loaded (model, snapshot, vector index) and its pools."""
    app = app or App(bot_settings(settings))
    settings = app.settings
    parts = app.bot_parts()
    answers = WorkerPool("answer", settings.answer_workers, settings.answer_queue)
    ingests = WorkerPool("ingest", 1, 4)
    return NewsBot(settings, parts, answers, ingests)


class _StoppedError(Exception):
    """SIGTERM or SIGINT while the parts were being loaded (before the event loop runs)."""


def _stopped(sig: signal.Signals) -> None:
    """SIGTERM (and SIGINT) while the model and the store load end the start cleanly, exit
    code 0, as they do once the bot runs (serve)."""
    raise _StoppedError(sig.name)


def run_bot(settings: Settings) -> int:
    few_malloc_arenas()  # before the bot's threads start: `newsdesk bot` and `python -m bot`
    if not settings.token:
        sys.stderr.write(
            "DISCORD_TOKEN is not set. Copy .env.example to .env and put your bot's token in it "
            "(see docs/operator/discord.md).\n"
        )
        return EXIT_SETTINGS
    app = App(bot_settings(settings))
    try:
        with on_stop_signals(_stopped):
            bot = build_bot(settings, app)
        asyncio.run(serve(bot, settings))
    except _StoppedError as why:
        sys.stderr.write(f"newsdesk bot: stopped ({why}) before it connected\n")
    except NewsdeskError as exc:  # the store or the model could not be opened
        sys.stderr.write(f"newsdesk bot: {exc}\n")
        return EXIT_FAILURE
    except StartError as failure:
        sys.stderr.write(f"newsdesk bot: {failure.line}\n")
        return failure.code
    finally:
        app.stand_down()  # the poller seat, if this process held it: another takes it at once
    return 0


async def serve(bot: NewsBot, settings: Settings) -> None:
    """Run until the bot is closed or SIGTERM/SIGINT arrives; then stop it cleanly."""
    loop = asyncio.get_running_loop()
    signals: list[str] = []
    signalled = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        signals.append(sig.name)
        signalled.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C stays KeyboardInterrupt
            loop.add_signal_handler(sig, on_signal, sig)
    server = start_health(bot.metrics, settings.metrics_host, settings.metrics_port)
    try:
        await _serve(bot, settings, signals, signalled)
    finally:
        if server is not None:
            server.close()


async def _serve(bot: NewsBot, settings: Settings, signals: list[str], signalled: asyncio.Event) -> None:
    async with bot:
        running = asyncio.create_task(connect(bot, settings))
        waiting = asyncio.create_task(signalled.wait())
        await asyncio.wait({running, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if signals:  # whatever the start was doing no longer matters
            await stop(bot, signals[0], running)
            return
        try:
            running.result()
        except Exception as exc:
            raise start_failure(exc, settings) from exc


def start_failure(exc: Exception, settings: Settings) -> Exception:
    """The one line (and exit code) for what stopped the start; unknown errors as they are."""
    if isinstance(exc, discord.LoginFailure):
        return StartError("Discord rejected DISCORD_TOKEN: check it in the developer portal.", EXIT_SETTINGS)
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return StartError(
            "Enable the Message Content intent for this bot in the developer portal "
            "(Bot -> Privileged Gateway Intents).",
            EXIT_SETTINGS,
        )
    if isinstance(exc, discord.Forbidden) and exc.code == MISSING_ACCESS:
        return StartError(_sync_refused(exc, settings))
    if isinstance(exc, discord.HTTPException):
        reason = exc.text or exc.response.reason
        return StartError(f"Discord answered {exc.status} while starting: {reason}")
    if isinstance(exc, discord.ConnectionClosed):
        return StartError(f"Discord's gateway closed the connection with code {exc.code} while starting.")
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError | discord.GatewayNotFound):
        host = yarl.URL(settings.discord_api_base).host if settings.discord_api_base else "discord.com"
        why = str(exc) or type(exc).__name__
        return StartError(f"cannot reach Discord at {host} ({why}); check the network and DNS.")
    return exc


def _sync_refused(exc: discord.Forbidden, settings: Settings) -> str:
    parts = yarl.URL(str(exc.response.url)).parts
    guild = parts[parts.index("guilds") + 1] if "guilds" in parts else settings.discord_guild_ids
    return (
        f"Discord refused to register the commands in server {guild} (403 Missing Access): the bot "
        "is not in that server, or was invited without the applications.commands scope. Fix "
        "DISCORD_GUILD_IDS, or invite the bot again with the scopes bot and applications.commands "
        "(docs/operator/discord.md, 'Set it up')."
    )
