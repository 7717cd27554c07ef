"""Show an LLM answer as it is written: partial text arrives from a worker thread, and the
reply is edited at most once per interval; the final edit carries the verified answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import discord

from bot.discord_app.rendering import MESSAGE_LIMIT, clip, safe

log = logging.getLogger(__name__)


class LiveText:
    def __init__(self, edit: Callable[[str], Awaitable[object]], interval: float = 1.0) -> None:
        self._loop = asyncio.get_running_loop()
        self._edit = edit
        self._interval = interval
        self._text = ""
        self._shown = ""
        self.edits = 0
        self._task: asyncio.Task[None] | None = None

    def push(self, text: str) -> None:
        """Called from the worker thread with the text so far."""
        self._loop.call_soon_threadsafe(self._set, text)

    def _set(self, text: str) -> None:
        self._text = text

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            if self._text and self._text != self._shown:
                self._shown = self._text
                self.edits += 1
                try:
                    await self._edit(clip(safe(self._text), MESSAGE_LIMIT - 2) + " …")
                except discord.HTTPException:  # a partial edit is best effort: the final reply says it all
                    log.info("could not show a partial answer", exc_info=True)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
