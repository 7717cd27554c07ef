"""Connecting the bot, and stopping it like a service.

Connecting: with `DISCORD_API_BASE` set (a REST proxy through which large bots share
Discord's rate limits, e.g. nirn-proxy or twilight-http-proxy; or a test stand-in),
discord.py's REST base (`discord.http.Route.BASE`, a class attribute) is pointed at it
before logging in, and the gateway URL is then read from its `GET /gateway/bot`, as
Discord asks clients to do. discord.py 2.7's `Client.connect` would otherwise use the
fixed `DiscordWebSocket.DEFAULT_GATEWAY`; a proxy that forwards `/gateway/bot` to Discord
returns Discord's own gateway, so the websocket still goes to Discord.

Stopping (SIGTERM from systemd or `docker stop`, SIGINT from Ctrl-C): questions being
answered are finished for up to STOP_GRACE_S, while new ones are told that the bot is
restarting; then the websocket is closed with 1000 and the HTTP session ends. Answers
not finished within the grace are dropped deliberately, and their members are told so
(inflight.py) before the connection closes. An /ingest in progress is dropped too, which
is safe: a write is visible only once its manifest record flips, and ingesting the same
thing again completes it.
Votes and answers are written to SQLite in worker threads that `asyncio.run` waits for
before the process exits, so none is lost.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord_app.client import NewsBot
from bot.discord_app.inflight import DropNotice
from bot.settings import Settings

log = logging.getLogger(__name__)

STOP_GRACE_S = 8.0  # within docker stop's 10 s before its SIGKILL


def point_at_api(api_base: str) -> None:
    """Send discord.py's REST calls (including interaction webhooks) to `api_base`. Plain
    http to a host that is not this machine sends the bot's token unencrypted: warned."""
    parts = urlsplit(api_base)
    if parts.scheme == "http" and (parts.hostname or "") not in ("localhost", "127.0.0.1", "::1"):
        log.warning("DISCORD_API_BASE is plain http to %s: the token goes unencrypted", parts.hostname)
    Route.BASE = api_base.rstrip("/")


async def connect(bot: NewsBot, settings: Settings) -> None:
    """Log in (which syncs the commands: setup_hook), then hold the gateway connection
    until the bot is closed. Raises what stops the start (see runner.run_bot)."""
    if settings.discord_api_base:
        point_at_api(settings.discord_api_base)
    await bot.login(settings.token)
    if settings.discord_api_base:
        _shards, url, _limits = await bot.http.get_bot_gateway()
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    await bot.connect(reconnect=True)


async def stop(bot: NewsBot, why: str, connection: asyncio.Task[None], grace: float = STOP_GRACE_S) -> None:
    """Finish what is in flight (up to `grace` s; members whose answers are dropped are told
    so), then close the websocket with 1000 and the HTTP session. `connection` is the task
    running `connect`: it is cancelled first, because discord.py's poll loop, woken by a
    close from another task, would close the socket itself with 4000 (Discord then keeps
    the session, and the bot shown online)."""
    log.info("stopping (%s): finishing %d answer(s) in flight", why, bot.in_flight.count)
    dropped = await bot.in_flight.drain(grace)
    if dropped:
        log.warning("stopping: %d answer(s) not finished within %.0f s are dropped", len(dropped), grace)
        await _tell_dropped([notice for notice in dropped if notice is not None])
    connection.cancel()
    await asyncio.wait({connection})
    await bot.close()
    log.info("stopped")


async def _tell_dropped(notices: list[DropNotice], within: float = 1.0) -> None:
    async def send(notice: DropNotice) -> None:
        try:
            await notice()
        except Exception:  # a notice is a courtesy: a failure must not hold up the stop
            log.warning("could not tell a member their question was dropped", exc_info=True)

    if notices:
        await asyncio.wait([asyncio.create_task(send(n)) for n in notices], timeout=within)
