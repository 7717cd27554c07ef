"""The REST side of the stand-in: the routes of Discord's API v10 that the bot uses, each
checked against Discord's rules (limits.py), every request recorded, and faults that a
test can inject (a 429 or a 500 on the next N calls of a route).

Start it with `async with DiscordStandIn() as discord:`; point discord.py at
`discord.api_base` (REST; GET /gateway/bot there names the websocket URL).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.bot.discord_standin import limits
from tests.bot.discord_standin.channels import ChannelRoutes
from tests.bot.discord_standin.gateway import Gateway, shard_of
from tests.bot.discord_standin.interactions import InteractionRoutes
from tests.bot.discord_standin.limits import ApiError
from tests.bot.discord_standin.pacing import ChannelRate, Holds, RateLimitedError
from tests.bot.discord_standin.webhooks import WebhookRoutes
from tests.bot.discord_standin.world import (
    DM,
    GUILD_FORUM,
    GUILD_TEXT,
    PUBLIC_THREAD,
    Channel,
    Guild,
    Role,
    User,
    json_response,
    message_json,
    snowflake,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BODY = web.RequestKey("body", object)  # the request's body, read once by the middleware


@dataclass
class Recorded:
    method: str
    route: str  # the route's name, e.g. "create_message"
    path: str
    params: dict[str, str]
    body: Any
    at: float  # time.monotonic()
    status: int = 0


@dataclass
class Fault:
    status: int
    times: int
    retry_after: float = 0.0
    code: int = 0


@dataclass
class StandInState:
    token: str = "standin-token"
    bot: User = field(default_factory=lambda: User(snowflake(), "newsdesk", bot=True))
    application_id: int = field(default_factory=snowflake)
    message_content_intent: bool = True  # the portal's switch
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    attachments: dict[str, bytes] = field(default_factory=dict)
    commands: dict[int | None, list[dict[str, Any]]] = field(default_factory=dict)  # None: global
    closed_dms: set[int] = field(default_factory=set)  # members who accept no direct message
    shard_count: int = 1  # what GET /gateway/bot recommends, and what IDENTIFY must carry


class DiscordStandIn:
    def __init__(
        self,
        *,
        heartbeat_ms: int = 41_250,
        interaction_deadline_s: float = limits.INTERACTION_DEADLINE_S,
        channel_rate: tuple[int, float] | None = None,
    ) -> None:
        self.state = StandInState()
        self.rate = ChannelRate(*channel_rate) if channel_rate else ChannelRate()
        self.holds = Holds()
        self.requests: list[Recorded] = []
        self.faults: dict[str, Fault] = {}
        self.port = 0
        self.gateway = Gateway(
            token=lambda: self.state.token,
            ready=self._ready,
            guilds=self._guild_payloads,
            resume_url=lambda: self.gateway_url,
            heartbeat_ms=heartbeat_ms,
            allowed_intents=lambda: limits.MESSAGE_CONTENT_INTENT if self.state.message_content_intent else 0,
            shard_count=lambda: self.state.shard_count,
        )
        self.channels = ChannelRoutes(self)
        self.interactions = InteractionRoutes(self, interaction_deadline_s)
        self.webhooks = WebhookRoutes(self)
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> DiscordStandIn:
        app = web.Application(middlewares=[self._middleware], client_max_size=50_000_000)
        self._routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.holds.release_all()
        await self.gateway.shutdown()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def _routes(self, app: web.Application) -> None:
        api = "/api/v10"
        r = app.router
        r.add_get(f"{api}/gateway/bot", self._gateway_bot, name="gateway_bot")
        r.add_get(f"{api}/gateway", self._gateway_bot, name="gateway")
        r.add_get(f"{api}/users/@me", self._me, name="me")
        r.add_get(f"{api}/oauth2/applications/@me", self._application, name="application")
        r.add_put(f"{api}/applications/{{app}}/commands", self._sync, name="sync_global")
        r.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._sync, name="sync_guild")
        r.add_get("/gateway", self.gateway.handle, name="websocket")
        self.channels.add_routes(r, api)
        self.interactions.add_routes(r, api)
        self.webhooks.add_routes(r, api)

    # -- recording, auth and faults -------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route, handler = self.webhooks.claim(request, request.match_info.route.name or "unknown", handler)
        body = request[BODY] = await self._read_body(request)
        record = Recorded(
            request.method, route, request.path, dict(request.match_info), body, time.monotonic()
        )
        if route not in ("websocket", "attachment"):
            self.requests.append(record)
        response = await self._respond(request, handler, route)
        record.status = response.status
        return response

    async def _respond(self, request: web.Request, handler: Handler, route: str) -> web.StreamResponse:
        needs_auth = (
            route not in ("websocket", "attachment", "unknown")
            and not self.interactions.owns(route)
            and not self.webhooks.owns(route)
        )
        if needs_auth and request.headers.get("Authorization") != f"Bot {self.state.token}":
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        fault = self.faults.get(route)
        if fault is not None and fault.times > 0:
            fault.times -= 1
            return self._fault_response(fault)
        try:
            return await handler(request)
        except RateLimitedError as error:
            headers = {
                "Retry-After": f"{error.retry_after:.3f}",
                "X-RateLimit-Scope": "user",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{error.retry_after:.3f}",
            }
            return json_response(error.body(), status=429, headers=headers)
        except ApiError as error:
            return json_response(error.body(), status=error.status)
        except web.HTTPNotFound:
            return json_response({"message": "404: Not Found", "code": 0}, status=404)

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        if fault.status == 429:
            body = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": False,
            }
            headers = {
                "Retry-After": str(fault.retry_after),
                "X-RateLimit-Scope": "user",
                "Via": "1.1 google",
            }
            return json_response(body, status=429, headers=headers)
        return json_response(
            {"message": "500: Internal Server Error", "code": fault.code}, status=fault.status
        )

    @staticmethod
    def body(request: web.Request) -> Any:
        """The request's body, read once by the middleware (JSON, or multipart's payload_json)."""
        return request[BODY]

    @staticmethod
    async def _read_body(request: web.Request) -> Any:
        if request.content_type == "application/json":
            return await request.json()
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    files.append(
                        {"name": part.name, "filename": part.filename, "size": len(await part.read())}
                    )
            return {**payload, "_files": files}
        return None

    def fail(
        self, route: str, status: int, *, times: int = 1, retry_after: float = 0.5, code: int = 0
    ) -> None:
        """The next `times` calls of a route (by name) get this status instead."""
        self.faults[route] = Fault(status, times, retry_after, code)

    def calls(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    @asynccontextmanager
    async def changing(self) -> AsyncIterator[None]:
        """A test's reads and writes of the state (plain code, no await inside). On one loop
        nothing else runs meanwhile; on its own thread (thread.py) its loop waits for them."""
        yield

    async def wait_for(self, predicate: Callable[[], object], within: float = 10.0, what: str = "") -> None:
        """Poll until `predicate()` holds; a TimeoutError names what was awaited."""
        try:
            async with asyncio.timeout(within):
                # polled: predicates also read the bot's own state, which signals nothing
                while not predicate():  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise TimeoutError(f"the stand-in waited {within} s for {what or predicate}") from None

    # -- the world, for tests -------------------------------------------------------------

    def add_guild(
        self, name: str = "newsroom", *, permissions: int = limits.README_INVITE, shard: int | None = None
    ) -> Guild:
        """A server the bot is in; `shard`: one whose events go to that shard."""
        owner = User(snowflake(), f"{name}-owner")
        guild_id = snowflake()
        while shard is not None and shard_of(guild_id, self.state.shard_count) != shard:
            guild_id = snowflake()
        guild = Guild(guild_id, name, owner, bot_permissions=permissions)
        self.state.guilds[guild.id] = guild
        self.add_channel(guild, "general", GUILD_TEXT)
        self.add_channel(guild, "questions", GUILD_FORUM)
        return guild

    def add_channel(self, guild: Guild, name: str, type_: int, **kw: Any) -> Channel:
        channel = Channel(snowflake(), type_, name, guild_id=guild.id, **kw)
        guild.channels[channel.id] = channel
        self.state.channels[channel.id] = channel
        return channel

    def add_role(self, guild: Guild, name: str) -> Role:
        """A role of the server (known to a bot that connects after it is added)."""
        role = Role(snowflake(), name)
        guild.roles[role.id] = role
        return role

    async def set_bot_permissions(self, guild: Guild, permissions: int) -> None:
        """Change what the bot's role grants in the server, as an admin would (GUILD_ROLE_UPDATE)."""
        guild.bot_permissions = permissions
        role = next(r for r in guild.json(self.state.bot)["roles"] if r["id"] == str(guild.bot_role_id))
        await self.gateway.offer("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role})

    def channel(self, guild: Guild, name: str) -> Channel:
        return next(c for c in guild.channels.values() if c.name == name)

    def dm(self, user: User) -> Channel:
        channel = Channel(snowflake(), DM, "", recipient=user)
        self.state.channels[channel.id] = channel
        return channel

    def dm_with(self, user_id: int) -> Channel:
        """The DM channel with a user (made on first use, as Discord's create-DM does)."""
        found = next(
            (c for c in self.state.channels.values() if c.recipient and c.recipient.id == user_id), None
        )
        return found or self.dm(User(user_id, f"user-{user_id}"))

    async def hold_point(self, route: str) -> None:
        await self.holds.point(route)

    async def start_thread(self, parent: Channel, owner: User, name: str) -> Channel:
        """A thread a member started (in a forum channel: a post; its first message has the
        thread's id, so send it with `say(..., message_id=thread.id)`)."""
        thread = Channel(
            snowflake(), PUBLIC_THREAD, name, guild_id=parent.guild_id, parent_id=parent.id, owner_id=owner.id
        )
        guild = self.state.guilds[parent.guild_id or 0]
        guild.channels[thread.id] = thread
        self.state.channels[thread.id] = thread
        await self.gateway.dispatch("THREAD_CREATE", thread.json() | {"newly_created": True})
        return thread

    async def say(
        self,
        channel: Channel,
        author: User,
        content: str,
        *,
        mention_bot: bool = True,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """A member's message: stored, and sent to the bot as MESSAGE_CREATE."""
        bot = self.state.bot
        text = f"<@{bot.id}> {content}" if mention_bot else content
        message = message_json(channel, author, {"content": text}, mentions=[bot] if mention_bot else [])
        if message_id is not None:
            message["id"] = str(message_id)
        if channel.guild_id is not None:
            message["member"] = {
                "roles": [],
                "joined_at": message["timestamp"],
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        channel.messages[int(message["id"])] = message
        await self.gateway.dispatch("MESSAGE_CREATE", message)
        return message

    def messages_by_bot(self, channel: Channel) -> list[dict[str, Any]]:
        return [m for m in channel.messages.values() if m["author"]["id"] == str(self.state.bot.id)]

    def threads_of(self, parent: Channel) -> list[Channel]:
        return [c for c in self.state.channels.values() if c.parent_id == parent.id]

    def attach(self, filename: str, data: bytes, content_type: str = "text/plain") -> dict[str, Any]:
        """A file a member attached, served at a URL of the stand-in (Discord's CDN)."""
        key = str(snowflake())
        self.state.attachments[f"{key}/{filename}"] = data
        return {
            "id": key,
            "filename": filename,
            "size": len(data),
            "content_type": content_type,
            "url": f"{self.base_url}/attachments/{key}/{filename}",
            "proxy_url": f"{self.base_url}/attachments/{key}/{filename}",
        }

    # -- gateway payloads -----------------------------------------------------------------

    def _ready(self, session_id: str) -> dict[str, Any]:
        flags = (1 << 18) if self.state.message_content_intent else 0
        return {
            "v": 10,
            "user": self.state.bot.json() | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.state.guilds],
            "session_id": session_id,
            "session_type": "normal",
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "application": {"id": str(self.state.application_id), "flags": flags},
        }

    def _guild_payloads(self) -> list[dict[str, Any]]:
        return [g.json(self.state.bot) for g in self.state.guilds.values()]

    # -- REST: identity and command sync --------------------------------------------------

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {"url": self.gateway_url, "shards": self.state.shard_count, "session_start_limit": limit}
        )

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(self.state.bot.json() | {"verified": True, "mfa_enabled": False, "flags": 0})

    async def _application(self, request: web.Request) -> web.Response:
        owner = User(snowflake(), "developer")
        return json_response(
            {
                "id": str(self.state.application_id),
                "name": "newsdesk",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner.json(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": (1 << 18) if self.state.message_content_intent else 0,
                "bot": self.state.bot.json(),
                "summary": "",
                "rpc_origins": [],
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild"]) if "guild" in request.match_info else None
        if request.match_info["app"] != str(self.state.application_id):
            raise limits.missing_access()
        if guild_id is not None:
            guild = self.state.guilds.get(guild_id)
            if guild is None or not guild.has_commands_scope:  # not in that server, or no scope
                raise limits.missing_access()
        commands = self.body(request) or []
        limits.check_commands(commands)
        stored = [
            {
                **c,
                "id": str(snowflake()),
                "application_id": str(self.state.application_id),
                "version": str(snowflake()),
                "default_member_permissions": c.get("default_member_permissions"),
                "type": c.get("type", 1),
                **({"guild_id": str(guild_id)} if guild_id else {}),
            }
            for c in commands
        ]
        self.state.commands[guild_id] = stored
        return json_response(stored)

    async def post_message(self, channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
        """Store a message the bot sent and dispatch it back, as Discord does."""
        channel.messages[int(message["id"])] = message
        if not message["flags"] & limits.EPHEMERAL:
            await self.gateway.offer("MESSAGE_CREATE", message)
        return message
