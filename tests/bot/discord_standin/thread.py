"""The stand-in on an event loop of its own, in a thread: the way tests and benches run it,
so that the bot's event loop carries only the bot's work. Sharing one loop, the stand-in's
JSON, compression and routing would count as the bot's loop lag, and a bot loop slowed by a
busy machine would delay the stand-in's own sending and timing (Discord's clock does not
wait for the bot).

`async with StandInThread() as discord:` gives a view of the stand-in for the test's loop:
its coroutine methods run on the stand-in's loop and are awaited from the caller's; its
other methods run there too (the caller waits for them), so nothing reads or changes the
stand-in's state while its loop is half-way through a change. `wait_for` polls on the
caller's loop, where predicates may also read the bot's state, and evaluates each poll
while the stand-in's loop waits between two of its steps: a predicate sees what it would
see on one shared loop (a request answered, never a message stored and its request not yet
answered).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar, cast

from tests.bot.discord_standin.gateway import Gateway
from tests.bot.discord_standin.interactions import InteractionRoutes
from tests.bot.discord_standin.pacing import Holds
from tests.bot.discord_standin.server import DiscordStandIn
from tests.bot.discord_standin.webhooks import WebhookRoutes

T = TypeVar("T")
SERVICES = (Gateway, InteractionRoutes, Holds, WebhookRoutes)  # parts whose methods a test calls
START_S = 60.0  # generous: the machine is shared; starting takes a few milliseconds


class StandInThread:
    def __init__(self, **options: Any) -> None:
        self._options = options
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="discord-standin", daemon=True)
        self._parked_for: int | None = None  # the thread for which the stand-in's loop waits
        self.standin: DiscordStandIn

    # -- for tests: async, with a view that runs every call on the stand-in's loop --------

    async def __aenter__(self) -> DiscordStandIn:
        self._thread.start()
        self.standin = await asyncio.wait_for(asyncio.wrap_future(self._submit(self._start())), START_S)
        return cast(DiscordStandIn, OnItsLoop(self.standin, self))

    async def __aexit__(self, *exc: object) -> None:
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._submit(self.standin.__aexit__(None, None, None))), START_S)
        finally:
            self._stop()

    # -- for benches: sync, with the stand-in itself and `call` ---------------------------

    def __enter__(self) -> StandInThread:
        self._thread.start()
        self.standin = self._submit(self._start()).result(timeout=START_S)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._submit(self.standin.__aexit__(None, None, None)).result(timeout=START_S)
        finally:
            self._stop()

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run one of the stand-in's coroutines on its loop; await it from another loop."""
        return await asyncio.wrap_future(self._submit(fn(*args, **kwargs)))

    # -- the thread -----------------------------------------------------------------------

    async def _start(self) -> DiscordStandIn:
        return await DiscordStandIn(**self._options).__aenter__()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=START_S)
        if not self._thread.is_alive():
            self._loop.close()

    def _submit(self, coro: Awaitable[T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]

    def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a plain method on the stand-in's loop and wait for its result."""
        if threading.current_thread() is self._thread or self._parked_for == threading.get_ident():
            return fn(*args, **kwargs)

        async def run() -> T:
            return fn(*args, **kwargs)

        return self._submit(run()).result(timeout=START_S)

    def between_steps(self, fn: Callable[[], T]) -> T:
        """fn(), in the caller's thread, while the stand-in's loop waits between two steps."""
        parked, resume = threading.Event(), threading.Event()

        def park() -> None:
            parked.set()
            resume.wait(START_S)

        self._loop.call_soon_threadsafe(park)
        if not parked.wait(START_S):
            raise TimeoutError(f"the stand-in's loop did not stop between two steps within {START_S} s")
        self._parked_for = threading.get_ident()
        try:
            return fn()
        finally:
            self._parked_for = None
            resume.set()

    async def wait_for(self, predicate: Callable[[], object], within: float = 10.0, what: str = "") -> None:
        """The stand-in's `wait_for`, on the caller's loop, each poll between two steps of the
        stand-in's."""
        await self.standin.wait_for(lambda: self.between_steps(predicate), within, what or str(predicate))

    def run_async(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        return asyncio.wrap_future(self._submit(fn(*args, **kwargs)))


class OnItsLoop:
    """A view of the stand-in (or one of its parts) whose methods run on the stand-in's loop;
    data attributes are read and set on the object itself."""

    def __init__(self, target: object, thread: StandInThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_thread", thread)

    def __getattr__(self, name: str) -> Any:
        target, thread = self._target, self._thread
        if name == "wait_for" and isinstance(target, DiscordStandIn):
            return thread.wait_for  # polls on the caller's loop: predicates read the bot too
        value = getattr(target, name)
        if isinstance(value, SERVICES):
            return OnItsLoop(value, thread)
        if not inspect.ismethod(value):
            return value
        if inspect.iscoroutinefunction(value):
            return functools.partial(thread.run_async, value)
        return functools.partial(thread.run_sync, value)

    def __setattr__(self, name: str, value: object) -> None:
        setattr(self._target, name, value)

