"""Blocking work (embedding, Chroma, BM25, fetching) off the event loop, in bounded pools.

Answers and ingests have separate pools, so a long ingest never delays an answer, and a
question that finds the queue full is told so at once instead of waiting for minutes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from common.errors import NewsdeskError

P = ParamSpec("P")
T = TypeVar("T")


class BusyError(NewsdeskError):
    """Too many questions are waiting; the user should try again shortly."""


class WorkerPool:
    def __init__(self, name: str, workers: int, max_waiting: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"newsdesk-{name}")
        self._limit = workers + max_waiting
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._in_flight >= self._limit:
            raise BusyError("I am answering many questions right now; please ask again in a minute.")
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))
        finally:
            self._in_flight -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
