"""The answers being worked on: a stop (lifecycle.py) lets them finish for a grace, tells
the members whose answers it drops (DROPPED_TEXT), and refuses new questions meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable

from common.errors import NewsdeskError

DROPPED_TEXT = "I was restarted before I could answer; please ask again."


class RestartingError(NewsdeskError):
    """A question that arrives while the bot stops."""


DropNotice = Callable[[], Awaitable[object]]  # tells a member their question was dropped


class InFlight:
    """The answers being worked on, so that a stop can wait for them; refuses new ones
    once stopping. Each may come with a notice to send if it has to be dropped."""

    def __init__(self) -> None:
        self._work: dict[int, DropNotice | None] = {}
        self._ids = itertools.count()
        self._idle = asyncio.Event()
        self._idle.set()
        self.stopping = False

    @property
    def count(self) -> int:
        return len(self._work)

    @contextlib.asynccontextmanager
    async def track(self, on_drop: DropNotice | None = None) -> AsyncIterator[None]:
        if self.stopping:
            raise RestartingError("I am restarting; please ask again in a minute.")
        key = next(self._ids)
        self._work[key] = on_drop
        self._idle.clear()
        try:
            yield
        finally:
            del self._work[key]
            if not self._work:
                self._idle.set()

    async def drain(self, grace: float) -> list[DropNotice | None]:
        """Stop taking work; wait up to `grace` s for what is running. Returns the notices
        of the answers still unfinished (which are dropped)."""
        self.stopping = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self._idle.wait()
        return list(self._work.values())
