"""The gateway websocket: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats and their
ACKs, RESUME (replaying what was missed) and INVALID_SESSION, and dispatches (events are
numbered and kept, so that a resumed session gets the ones sent while it was away).

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

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 7, 9, 10, 11
AUTHENTICATION_FAILED = 4004
DISALLOWED_INTENTS = 4014


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
            await ws.send_bytes(self._zstd.compress(raw) + self._zstd.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))
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
    ) -> None:
        self._token, self._ready, self._guilds = token, ready, guilds
        self._resume_url, self._allowed_intents = resume_url, allowed_intents
        self.heartbeat_ms = heartbeat_ms
        self.session: Session | None = None
        self.log = GatewayLog()

    @property
    def connected(self) -> bool:
        return self.session is not None and self.session.connection is not None

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
            if self.session is not None and self.session.connection is conn:
                self.session.connection = None
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
        if intents & limits.MESSAGE_CONTENT_INTENT and not self._allowed_intents() & limits.MESSAGE_CONTENT_INTENT:
            await conn.ws.close(code=DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return
        self.session = Session(id=uuid.uuid4().hex)
        self.session.connection = conn
        await self.dispatch("READY", self._ready(self.session.id) | {"resume_gateway_url": self._resume_url()})
        for guild in self._guilds():
            await self.dispatch("GUILD_CREATE", guild)

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> None:
        session = self.session
        if session is None or data.get("session_id") != session.id or data.get("token") != self._token():
            await conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        session.connection = conn
        seq = int(data.get("seq") or 0)
        for event in session.events:
            if event["s"] > seq:
                await conn.send(event)
        await self.dispatch("RESUMED", {})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the session (kept for a RESUME if it is not connected now)."""
        session = self.session
        if session is None:
            raise RuntimeError("no gateway session: the bot has not identified")
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
        if self.session is not None and self.session.connection is not None:
            await self.session.connection.ws.close(code=1001, message=b"going away")
