"""The stand-in on an event loop of its own, in a thread: the way tests and benches run it,
so that the bot's event loop carries only the bot's work. Sharing one loop, the stand-in's
JSON, compression and routing would count as the bot's loop lag, and a bot loop slowed by a
busy machine would delay the stand-in's own sending and timing (Discord's clock does not
wait for the bot).

`async with StandInThread() as discord:` gives a view of the stand-in for the test's loop:
its coroutine methods run on the stand-in's loop and are awaited from the caller's; its
other methods run on the caller's thread while the stand-in's loop waits between two steps
(the caller's thread blocked meanwhile: one step of the stand-in's), so nothing reads or
changes the stand-in's state while its loop is half-way through a change.

What a test reads or changes of the stand-in's state directly (`discord.state`, a `Channel`,
`discord.gateway.log`) it does while the stand-in's loop waits between two of its steps:

- `await discord.wait_for(predicate, within, what)` polls on the caller's loop, where
  predicates may also read the bot's state, each poll between two steps of the stand-in's:
  a predicate sees what it would see on one shared loop (a request answered, never a
  message stored and its request not yet answered). What the stand-in records after the
  bot's side has finished (a close code, a message stored after its request returned) is
  awaited this way, never read at once.
- `async with discord.changing(): ...` for a test's own reads and writes (a channel
  deleted, a permission taken, the shard count): plain code, no await inside.

Neither blocks the caller's loop: the caller asks the stand-in's loop to stop between two
steps and awaits that stop (the bot's work goes on meanwhile); the stand-in then waits for
the caller's loop to come round to it, at most CLAIM_S, and goes on if it does not (a busy
or departed caller: the caller asks again), so a stop nobody claims never stalls it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from tests.bot.discord_standin.gateway import Gateway
from tests.bot.discord_standin.interactions import InteractionRoutes
from tests.bot.discord_standin.pacing import Holds
from tests.bot.discord_standin.server import DiscordStandIn
from tests.bot.discord_standin.webhooks import WebhookRoutes

T = TypeVar("T")
SERVICES = (Gateway, InteractionRoutes, Holds, WebhookRoutes)  # parts whose methods a test calls
START_S = 60.0  # generous: the machine is shared; starting takes a few milliseconds
CLAIM_S = 1.0  # how long the stopped stand-in waits for its caller's loop before it goes on
POLL_S = 0.01  # between two polls of `wait_for`


class _Stop:
    """One stop of the stand-in's loop between two of its steps, for a caller on another
    thread: asked -> stopped (the caller is told) -> claimed (the caller's code runs) ->
    over. A stop not claimed within CLAIM_S is over: the stand-in goes on. A caller that
    awaits its stop (`caller`: its loop) may meanwhile block its thread in `run_sync`; that
    call borrows the stop (stopped -> borrowed -> stopped) instead of waiting behind it."""

    def __init__(self, caller: asyncio.AbstractEventLoop | None) -> None:
        self.thread = threading.get_ident()  # the caller's
        self._caller = caller
        self._lock = threading.Lock()
        self._state = "asked"
        self._over = threading.Event()
        self.now = threading.Event()  # set when stopped: a caller that blocks waits on it
        self.stopped: asyncio.Future[None] | None = caller.create_future() if caller else None

    def here(self) -> None:
        """On the stand-in's loop, as one of its steps: wait for the caller (or give up)."""
        with self._lock:
            if self._state != "asked":  # the caller has gone
                return
            self._state = "stopped"
        self.now.set()
        try:
            if self._caller is not None:
                self._caller.call_soon_threadsafe(self._tell)
        except RuntimeError:  # the caller's loop is closed
            self.end()
            return
        if self._over.wait(CLAIM_S) or self._give_up():
            return
        self._over.wait(START_S)  # claimed: the caller's code runs

    def _tell(self) -> None:
        if self.stopped is not None and not self.stopped.done():
            self.stopped.set_result(None)

    def _give_up(self) -> bool:
        with self._lock:
            if self._state in ("claimed", "borrowed"):
                return False
            self._state = "over"
            return True

    def claim(self, state: str = "claimed") -> bool:
        """On the caller's thread: True if the stand-in still waits (now for `let_go`)."""
        with self._lock:
            if self._state != "stopped":
                return False
            self._state = state
            return True

    def let_go(self) -> None:
        """The caller's code is done: a borrowed stop goes back to its caller, any other ends."""
        with self._lock:
            if self._state == "borrowed":
                self._state = "stopped"
                return
        self.end()

    def end(self) -> None:
        with self._lock:
            self._state = "over"
        self._over.set()


class StandInThread:
    def __init__(self, **options: Any) -> None:
        self._options = options
        self.loop = asyncio.new_event_loop()  # the stand-in's
        self._thread = threading.Thread(target=self.loop.run_forever, name="discord-standin", daemon=True)
        self._stopped_for: int | None = None  # the thread for which the stand-in's loop waits
        self._awaited: set[_Stop] = set()  # stops callers await on their loops
        self.standin: DiscordStandIn

    # -- for tests: async, with a view that runs every call on the stand-in's loop --------

    async def __aenter__(self) -> DiscordStandIn:
        self._thread.start()
        self.standin = await asyncio.wait_for(asyncio.wrap_future(self._submit(self._start())), START_S)
        return cast(DiscordStandIn, OnItsLoop(self.standin, self))

    async def __aexit__(self, *exc: object) -> None:
        try:
            await asyncio.wait_for(
                asyncio.wrap_future(self._submit(self.standin.__aexit__(None, None, None))), START_S
            )
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
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=START_S)
        if not self._thread.is_alive():
            self.loop.close()

    def _submit(self, coro: Awaitable[T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]

    def _stopped_for_me(self) -> bool:
        return threading.current_thread() is self._thread or self._stopped_for == threading.get_ident()

    def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """fn() while the stand-in's loop waits between two steps, the caller's thread blocked
        meanwhile (for one step of the stand-in's, or none: a stop this thread already awaits
        is borrowed)."""
        if self._stopped_for_me():
            return fn(*args, **kwargs)
        stop = self._stop_blocking()
        self._stopped_for = threading.get_ident()
        try:
            return fn(*args, **kwargs)
        finally:
            self._stopped_for = None
            stop.let_go()

    def _stop_blocking(self) -> _Stop:
        """A stop claimed by this thread, which blocks until the stand-in makes it."""
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            mine = _Stop(None)
            self.loop.call_soon_threadsafe(mine.here)
            while not mine.now.wait(POLL_S):
                awaited = next(
                    (s for s in list(self._awaited) if s.thread == mine.thread and s.claim("borrowed")), None
                )
                if awaited is not None:
                    mine.end()
                    return awaited
                if time.monotonic() > deadline:
                    break
            if mine.claim():
                return mine
            mine.end()
        raise TimeoutError(f"the stand-in's loop did not stop between two steps within {START_S} s")

    def run_async(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        return asyncio.wrap_future(self._submit(fn(*args, **kwargs)))

    # -- between two steps of the stand-in's ----------------------------------------------

    async def _claim_stop(self) -> _Stop:
        """The stand-in's loop stopped between two steps, waiting for this caller; awaited,
        never blocking the caller's loop."""
        caller = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(START_S):
                while True:
                    stop = _Stop(caller)
                    assert stop.stopped is not None
                    self._awaited.add(stop)
                    try:
                        self.loop.call_soon_threadsafe(stop.here)
                        await stop.stopped
                    except BaseException:
                        stop.end()  # a caller cancelled (or timed out) never leaves the stand-in stopped
                        raise
                    finally:
                        self._awaited.discard(stop)
                    if stop.claim():
                        return stop
        except TimeoutError:
            raise TimeoutError(
                f"the stand-in's loop did not stop between two steps within {START_S} s"
            ) from None

    @asynccontextmanager
    async def changing(self) -> AsyncIterator[None]:
        """The block runs while the stand-in's loop waits between two of its steps: a test's
        reads and writes of the stand-in's state (plain code; no await inside)."""
        if self._stopped_for_me():
            yield
            return
        stop = await self._claim_stop()
        self._stopped_for = threading.get_ident()
        try:
            yield
        finally:
            self._stopped_for = None
            stop.let_go()

    async def between_steps(self, fn: Callable[[], T]) -> T:
        """fn(), on the caller's thread, while the stand-in's loop waits between two steps."""
        async with self.changing():
            return fn()

    async def wait_for(self, predicate: Callable[[], object], within: float = 10.0, what: str = "") -> None:
        """Poll on the caller's loop until `predicate()` holds, each poll between two steps of
        the stand-in's; a TimeoutError names what was awaited and how long it waited."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(within) as bound:
                # polled: predicates also read the bot's own state, which signals nothing
                while not await self.between_steps(predicate):  # noqa: ASYNC110
                    await asyncio.sleep(POLL_S)
        except TimeoutError:
            if not bound.expired():
                raise
            waited = time.monotonic() - started
            raise TimeoutError(
                f"the stand-in waited {waited:.1f} s (bound {within} s) for {what or predicate}"
            ) from None


class OnItsLoop:
    """A view of the stand-in (or one of its parts): coroutine methods run on the stand-in's
    loop, other methods between two of its steps (`run_sync`); data attributes are read and
    set on the object itself (in `changing()` or a predicate)."""

    def __init__(self, target: object, thread: StandInThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_thread", thread)

    def __getattr__(self, name: str) -> Any:
        target, thread = self._target, self._thread
        if isinstance(target, DiscordStandIn) and name in ("wait_for", "changing", "between_steps"):
            return getattr(thread, name)  # on the caller's loop: predicates read the bot too
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
