"""Two things about time the newsroom's tests need from the stand-in:

- Discord's per-channel message rate limit (a bucket of `limit` messages per `window`
  seconds): every create-message answer carries the X-RateLimit-* headers discord.py
  paces itself by, and a message over the limit is a 429 with `retry_after`, as Discord
  answers. Off unless the stand-in is made with `channel_rate`.
- Holds: the n-th call of a route (after it did its work) waits until released, as a
  request does whose answer never arrives — the moment a test kills the bot's process.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from tests.bot.discord_standin.limits import ApiError

RATE_LIMITED = 0  # Discord's JSON code of a 429 body


@dataclass(frozen=True)
class RateLimitedError(ApiError):
    retry_after: float = 0.0

    def body(self) -> dict[str, object]:
        return {"message": self.message, "retry_after": round(self.retry_after, 3), "global": False}


class ChannelRate:
    """Per-channel buckets; `take` returns the headers of an allowed message or raises a 429."""

    def __init__(self, limit: int | None = None, window: float = 5.0) -> None:
        self.limit = limit
        self.window = window
        self._sent: dict[int, deque[float]] = {}
        self.refused: list[int] = []  # channels of the messages answered 429

    def take(self, channel_id: int) -> dict[str, str]:
        if self.limit is None:
            return {}
        now = time.monotonic()
        sent = self._sent.setdefault(channel_id, deque())
        while sent and now - sent[0] >= self.window:
            sent.popleft()
        if len(sent) >= self.limit:
            self.refused.append(channel_id)
            raise RateLimitedError(
                429, RATE_LIMITED, "You are being rate limited.", retry_after=self.window - (now - sent[0])
            )
        sent.append(now)
        reset_after = self.window - (now - sent[0])
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - len(sent)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"channel-{channel_id}",
        }


@dataclass
class Hold:
    after: int  # calls that go through before the hold
    seen: int = 0
    held: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)


class Holds:
    def __init__(self) -> None:
        self._holds: dict[str, Hold] = {}

    def hold(self, route: str, after: int) -> Hold:
        """Calls of `route` after the first `after` do their work, then wait for `release`."""
        self._holds[route] = hold = Hold(after)
        return hold

    async def point(self, route: str) -> None:
        hold = self._holds.get(route)
        if hold is None:
            return
        hold.seen += 1
        if hold.seen > hold.after and not hold.release.is_set():
            hold.held += 1
            await hold.release.wait()

    def release_all(self) -> None:
        for hold in self._holds.values():
            hold.release.set()
        self._holds.clear()
