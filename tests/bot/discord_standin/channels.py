"""Channels and messages: sending (with replies, and Discord's `nonce` + `enforce_nonce`:
the same nonce again within minutes returns the first message), edits, history, one
message, deletes, threads started from a message (once: a second is 160004), direct
message channels (closed DMs answer 50007), typing, and attachments (Discord's CDN), each
checked against Discord's rules and the bot's permissions in that server and channel. A
per-channel rate limit (5 messages / 5 s by default, with Discord's X-RateLimit headers
and 429s) applies when the stand-in is made with `channel_rate`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.bot.discord_standin import limits
from tests.bot.discord_standin.limits import ApiError
from tests.bot.discord_standin.world import (
    DM,
    GUILD_FORUM,
    GUILD_TEXT,
    PUBLIC_THREAD,
    Channel,
    json_response,
    message_json,
)

if TYPE_CHECKING:
    from tests.bot.discord_standin.server import DiscordStandIn


class ChannelRoutes:
    def __init__(self, standin: DiscordStandIn) -> None:
        self.standin = standin

    def add_routes(self, r: web.UrlDispatcher, api: str) -> None:
        r.add_post(f"{api}/channels/{{channel}}/messages", self._create_message, name="create_message")
        r.add_get(f"{api}/channels/{{channel}}/messages", self._history, name="history")
        r.add_get(f"{api}/channels/{{channel}}/messages/{{message}}", self._get_message, name="get_message")
        r.add_patch(
            f"{api}/channels/{{channel}}/messages/{{message}}", self._edit_message, name="edit_message"
        )
        r.add_post(f"{api}/users/@me/channels", self._create_dm, name="create_dm")
        r.add_delete(
            f"{api}/channels/{{channel}}/messages/{{message}}", self._delete_message, name="delete_message"
        )
        r.add_post(
            f"{api}/channels/{{channel}}/messages/{{message}}/threads",
            self._create_thread,
            name="create_thread",
        )
        r.add_post(f"{api}/channels/{{channel}}/typing", self._typing, name="typing")
        r.add_get("/attachments/{key}/{filename}", self._attachment, name="attachment")

    def _channel(self, request: web.Request) -> Channel:
        channel = self.standin.state.channels.get(int(request.match_info["channel"]))
        if channel is None:
            raise ApiError(404, limits.UNKNOWN_CHANNEL, "Unknown Channel")
        return channel

    def _require(self, channel: Channel, permission: int) -> None:
        if channel.guild_id is None:
            return
        granted = self.standin.state.guilds[channel.guild_id].bot_permissions & ~channel.denied
        if not granted & permission == permission:
            raise limits.missing_permissions()

    async def _create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body = dict(self.standin.body(request) or {})
        files = body.pop("_files", [])
        send = limits.SEND_MESSAGES_IN_THREADS if channel.is_thread else limits.SEND_MESSAGES
        self._require(channel, limits.VIEW_CHANNEL | send)
        if channel.type == GUILD_FORUM:
            raise ApiError(400, limits.WRONG_CHANNEL_TYPE, "Cannot execute action on this channel type")
        if (
            channel.type == DM
            and channel.recipient is not None
            and channel.recipient.id in self.standin.state.closed_dms
        ):
            raise ApiError(403, limits.CANNOT_DM, "Cannot send messages to this user")
        limits.check_message(body)
        limits.check_not_empty(body, has_files=bool(files))
        headers = self.standin.rate.take(channel.id)
        repeat = channel.repeated(body)
        if repeat is not None:  # enforce_nonce: the first message, not a second one
            return json_response(repeat, headers=headers)
        reference = body.get("message_reference")
        if reference:
            self._require(channel, limits.READ_MESSAGE_HISTORY)
            if int(reference["message_id"]) not in channel.messages:
                raise ApiError(
                    400,
                    limits.INVALID_FORM_BODY,
                    "Invalid Form Body",
                    {
                        "message_reference": {
                            "_errors": [
                                {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}
                            ]
                        }
                    },
                )
            reference = {"message_id": str(reference["message_id"]), "channel_id": str(channel.id)}
        message = message_json(channel, self.standin.state.bot, body, reference=reference)
        channel.remember_nonce(body, message)
        stored = await self.standin.post_message(channel, message)
        await self.standin.hold_point("create_message")
        return json_response(stored, headers=headers)

    async def _edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, limits.VIEW_CHANNEL)
        message = channel.messages.get(int(request.match_info["message"]))
        if message is None:
            raise ApiError(404, limits.UNKNOWN_MESSAGE, "Unknown Message")
        if message["author"]["id"] != str(self.standin.state.bot.id):
            raise ApiError(403, limits.CANNOT_EDIT_OTHERS, "Cannot edit a message authored by another user")
        return await self.edited(request, message)

    async def edited(self, request: web.Request, message: dict[str, Any]) -> web.Response:
        """A stored message changed by the request's body (content, embeds, components)."""
        body = dict(self.standin.body(request) or {})
        body.pop("_files", None)
        limits.check_message(body)
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        message["edited_timestamp"] = message["timestamp"]
        await self.standin.gateway.offer("MESSAGE_UPDATE", message)
        return json_response(message)

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = self.standin.body(request) or {}
        return json_response(self.standin.dm_with(int(body["recipient_id"])).json())

    async def _history(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, limits.VIEW_CHANNEL | limits.READ_MESSAGE_HISTORY)
        limit = int(request.query.get("limit", "50"))
        after = int(request.query.get("after", "0"))
        before = int(request.query.get("before", str(1 << 63)))
        ids = sorted((i for i in channel.messages if after < i < before), reverse=True)[:limit]
        return json_response([channel.messages[i] for i in ids])

    async def _get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = channel.messages.get(int(request.match_info["message"]))
        if message is None:
            raise ApiError(404, limits.UNKNOWN_MESSAGE, "Unknown Message")
        return json_response(message)

    async def _delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        channel.messages.pop(int(request.match_info["message"]), None)
        return web.Response(status=204)

    async def _create_thread(self, request: web.Request) -> web.Response:
        parent = self._channel(request)
        if parent.is_thread or parent.type not in (GUILD_TEXT, 5):
            raise ApiError(400, limits.WRONG_CHANNEL_TYPE, "Cannot execute action on this channel type")
        self._require(parent, limits.VIEW_CHANNEL | limits.CREATE_PUBLIC_THREADS)
        message_id = int(request.match_info["message"])
        if message_id not in parent.messages:
            raise ApiError(404, limits.UNKNOWN_MESSAGE, "Unknown Message")
        if message_id in self.standin.state.channels:
            raise ApiError(
                400, limits.THREAD_ALREADY_CREATED, "A thread has already been created for this message"
            )
        body = self.standin.body(request) or {}
        limits.check_thread_name(body.get("name"))
        thread = Channel(
            message_id,
            PUBLIC_THREAD,
            body["name"],
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.standin.state.bot.id,
        )
        self.standin.state.guilds[parent.guild_id or 0].channels[thread.id] = thread
        self.standin.state.channels[thread.id] = thread
        data = thread.json()
        await self.standin.gateway.offer("THREAD_CREATE", data | {"newly_created": True})
        return json_response(data, status=201)

    async def _typing(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(channel, limits.VIEW_CHANNEL)
        return web.Response(status=204)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.standin.state.attachments.get(
            f"{request.match_info['key']}/{request.match_info['filename']}"
        )
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")
