"""The gateway websocket: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats and their
ACKs, RESUME (replaying what was missed) and INVALID_SESSION, and dispatches (events are
numbered and kept, so that a resumed session gets the ones sent while it was away).

Shards as Discord has them: IDENTIFY carries `shard: [id, count]` (absent: [0, 1]); a count
other than the stand-in's (`GET /gateway/bot` tells it) is closed with 4011 (sharding
required) or 4010 (invalid shard); each shard is a session of its own, whose READY and
GUILD_CREATEs name only its guilds, and every event of a guild goes to the session of the
guild's shard, `(guild_id >> 22) % count`; events without a guild (direct messages) go to
shard 0.

Payloads are compressed as the client asks in its URL: `compress=zlib-stream` (one zlib
stream per connection, each message ending in a Z_SYNC_FLUSH) or `compress=zstd-stream`
(one zstd frame per connection, each message a flushed block) — discord.py 2.7 asks for
zstd-stream when `zstandard` is installed, else zlib-stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import zstandard
from aiohttp import WSMsgType, web

from tests.bot.discord_standin import limits

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    0,
    1,
    2,
    6,
    7,
    9,
    10,
    11,
)
AUTHENTICATION_FAILED = 4004
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011
DISALLOWED_INTENTS = 4014


def shard_of(guild_id: int | None, count: int) -> int:
    """The shard that receives a guild's events, as Discord computes it (DMs: shard 0)."""
    return 0 if guild_id is None else (guild_id >> 22) % count


def guild_of(event: str, data: dict[str, Any]) -> int | None:
    """The guild an event belongs to, if any."""
    raw = data.get("id") if event.startswith("GUILD_") and "guild_id" not in data else data.get("guild_id")
    return int(raw) if raw is not None else None


class _Encoder:
    """Turns one gateway payload into one websocket message, as the client asked."""

    def __init__(self, compress: str | None) -> None:
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd = zstandard.ZstdCompressor().compressobj() if compress == "zstd-stream" else None

    async def send(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        if self._zlib is not None:
            await ws.send_bytes(self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH))
        elif self._zstd is not None:
            await ws.send_bytes(
                self._zstd.compress(raw) + self._zstd.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
            )
        else:
            await ws.send_str(raw.decode())


@dataclass
class _Connection:
    ws: web.WebSocketResponse
    encoder: _Encoder
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:  # one compressor stream: messages must go out in order
            if not self.ws.closed:
                await self.encoder.send(self.ws, payload)


@dataclass
class Session:
    id: str
    shard: int = 0
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # every dispatch, numbered
    connection: _Connection | None = None


@dataclass
class GatewayLog:
    """What the client did, for tests: ops received, connections and their compression."""

    received: list[dict[str, Any]] = field(default_factory=list)
    compressions: list[str | None] = field(default_factory=list)
    close_codes: list[int | None] = field(default_factory=list)  # each connection's, as it ended

    def ops(self, op: int) -> list[dict[str, Any]]:
        return [p for p in self.received if p.get("op") == op]


class Gateway:
    def __init__(
        self,
        *,
        token: Callable[[], str],
        ready: Callable[[str], dict[str, Any]],
        guilds: Callable[[], list[dict[str, Any]]],
        resume_url: Callable[[], str],
        allowed_intents: Callable[[], int],
        heartbeat_ms: int = 41_250,
        shard_count: Callable[[], int] = lambda: 1,
    ) -> None:
        self._token, self._ready, self._guilds = token, ready, guilds
        self._resume_url, self._allowed_intents = resume_url, allowed_intents
        self.heartbeat_ms = heartbeat_ms
        self.shard_count = shard_count
        self.sessions: dict[int, Session] = {}  # by shard
        self.log = GatewayLog()

    @property
    def session(self) -> Session | None:
        """Shard 0's session (the only one of an unsharded bot)."""
        return self.sessions.get(0)

    @session.setter
    def session(self, session: Session | None) -> None:
        if session is None:
            self.sessions.pop(0, None)
        else:
            self.sessions[session.shard] = session

    @property
    def connected(self) -> bool:
        return any(s.connection is not None for s in self.sessions.values())

    def connected_shards(self) -> set[int]:
        return {n for n, s in self.sessions.items() if s.connection is not None}

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        self.log.compressions.append(compress)
        conn = _Connection(ws, _Encoder(compress))
        await conn.send({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                self.log.received.append(payload)
                await self._on_op(conn, payload)
        finally:
            self.log.close_codes.append(ws.close_code)
            for session in self.sessions.values():
                if session.connection is conn:
                    session.connection = None
        return ws

    async def _on_op(self, conn: _Connection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            await conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(conn, data or {})
        elif op == RESUME:
            await self._resume(conn, data or {})

    async def _identify(self, conn: _Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self._token():
            await conn.ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        intents = int(data.get("intents") or 0)
        if (
            intents & limits.MESSAGE_CONTENT_INTENT
            and not self._allowed_intents() & limits.MESSAGE_CONTENT_INTENT
        ):
            await conn.ws.close(code=DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return
        shard, count = data.get("shard") or [0, 1]
        if count != self.shard_count():
            await conn.ws.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
            return
        if not 0 <= shard < count:
            await conn.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        session = self.sessions[shard] = Session(id=uuid.uuid4().hex, shard=shard)
        session.connection = conn
        ready = self._ready(session.id)
        ready["guilds"] = [g for g in ready["guilds"] if shard_of(int(g["id"]), count) == shard]
        ready |= {"resume_gateway_url": self._resume_url(), "shard": [shard, count]}
        await self._send_to(session, "READY", ready)
        for guild in self._guilds():
            if shard_of(int(guild["id"]), count) == shard:
                await self._send_to(session, "GUILD_CREATE", guild)

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> None:
        session = next((s for s in self.sessions.values() if s.id == data.get("session_id")), None)
        if session is None or data.get("token") != self._token():
            await conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        session.connection = conn
        seq = int(data.get("seq") or 0)
        for event in session.events:
            if event["s"] > seq:
                await conn.send(event)
        await self._send_to(session, "RESUMED", {})

    def session_for(self, event: str, data: dict[str, Any]) -> Session | None:
        """The session of the shard that receives this event."""
        return self.sessions.get(shard_of(guild_of(event, data), self.shard_count()))

    async def offer(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch an event if its shard's session is connected (Discord sends a bot's own
        messages back to it; with no session there is nobody to tell)."""
        session = self.session_for(event, data)
        if session is not None and session.connection is not None:
            await self._send_to(session, event, data)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to its shard's session (kept for a RESUME if it is not connected now)."""
        session = self.session_for(event, data)
        if session is None:
            raise RuntimeError(
                f"no gateway session for the shard of this {event}: the bot has not identified"
            )
        await self._send_to(session, event, data)

    async def _send_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        if session.connection is not None:
            await session.connection.send(payload)

    # -- faults ---------------------------------------------------------------------------

    async def close(self, code: int = 4000) -> None:
        """Close the current connection as Discord does on an unknown error (4000)."""
        if self.session is not None and self.session.connection is not None:
            connection, self.session.connection = self.session.connection, None
            await connection.ws.close(code=code, message=b"Unknown error.")

    async def invalidate(self, *, resumable: bool = False) -> None:
        """Send INVALID_SESSION; not resumable: the session is forgotten, the bot must IDENTIFY."""
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("nothing to invalidate: the bot is not connected")
        await session.connection.send({"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})
        if not resumable:
            self.session = None

    async def shutdown(self) -> None:
        for session in list(self.sessions.values()):
            if session.connection is not None:
                await session.connection.ws.close(code=1001, message=b"going away")
