"""Blocking work off the event loop, in bounded pools."""

from __future__ import annotations

import asyncio

import pytest

from bot.discord_app.workers import BusyError, WorkerPool


async def test_full_queue_says_busy_instead_of_waiting() -> None:
    pool = WorkerPool("test", workers=1, max_waiting=1)
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow() -> int:
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=5)
        return 1

    first = asyncio.create_task(pool.run(slow))
    second = asyncio.create_task(pool.run(lambda: 2))
    await asyncio.sleep(0.05)
    with pytest.raises(BusyError):
        await pool.run(lambda: 3)
    release.set()
    assert await first == 1 and await second == 2
    pool.shutdown()
