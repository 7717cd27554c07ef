"""The stand-in on an event loop of its own, in a thread: for measurements, so that the
bot's event loop carries only the bot's work (the stand-in's JSON, compression and
routing would otherwise count as the bot's loop lag)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from tests.bot.discord_standin.server import DiscordStandIn

T = TypeVar("T")


class StandInThread:
    def __init__(self, **options: Any) -> None:
        self._options = options
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="discord-standin", daemon=True)
        self.standin: DiscordStandIn

    def __enter__(self) -> StandInThread:
        self._thread.start()
        self.standin = self._submit(self._start()).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._submit(self.standin.__aexit__(None, None, None)).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> DiscordStandIn:
        return await DiscordStandIn(**self._options).__aenter__()

    def _submit(self, coro: Awaitable[T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run one of the stand-in's coroutines on its loop; await it from another loop."""
        return await asyncio.wrap_future(self._submit(fn(*args, **kwargs)))
