"""Channel webhooks as Discord's API documents them: Create Webhook and Get Channel
Webhooks (POST/GET /channels/{id}/webhooks, the bot needs Manage Webhooks; a name is 1 to
80 characters without "discord" or "clyde"), Execute Webhook (POST
/webhooks/{id}/{token}, authorised by the token, not the bot's: `username` and
`avatar_url` override the webhook's on that message; `?wait=true` returns the message,
else 204), and Get/Edit Webhook Message (/webhooks/{id}/{token}/messages/{message}: only
that webhook's messages). A webhook's message has `webhook_id` and an author whose id is
the webhook's, named as executed; its avatar is a hash of the URL given (Discord stores
its own copy: the URL itself is not on the message)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.bot.discord_standin import limits
from tests.bot.discord_standin.limits import ApiError
from tests.bot.discord_standin.world import Channel, json_response, message_json, snowflake

if TYPE_CHECKING:
    from tests.bot.discord_standin.server import DiscordStandIn

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MANAGE_WEBHOOKS = 1 << 29
UNKNOWN_WEBHOOK = 10015


@dataclass
class Webhook:
    id: int
    channel: Channel
    name: str
    token: str
    creator: dict[str, Any]
    application_id: int

    def json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": 1,
            "guild_id": str(self.channel.guild_id),
            "channel_id": str(self.channel.id),
            "user": self.creator,
            "name": self.name,
            "avatar": None,
            "token": self.token,
            "application_id": str(self.application_id),
        }


def _check_name(name: object, field: str) -> str:
    text = str(name or "")
    if not 1 <= len(text) <= 80 or any(w in text.lower() for w in ("discord", "clyde")):
        raise ApiError(
            400,
            limits.INVALID_FORM_BODY,
            "Invalid Form Body",
            {field: {"_errors": [{"code": "USERNAME_INVALID", "message": "Username cannot contain this"}]}},
        )
    return text


class WebhookRoutes:
    _ROUTES = ("execute_webhook", "get_webhook_message", "edit_webhook_message")

    def __init__(self, standin: DiscordStandIn) -> None:
        self.standin = standin
        self.hooks: dict[int, Webhook] = {}

    def owns(self, route: str) -> bool:
        """Executing and editing are authorised by the webhook's token, not the bot's."""
        return route in self._ROUTES

    def add_routes(self, r: web.UrlDispatcher, api: str) -> None:
        """/webhooks/{id}/{token}... is also where an interaction's followups go (its
        webhook is the application's): those paths are the interactions' routes, and
        `claim` hands a channel webhook's calls to this class under its own names."""
        r.add_post(f"{api}/channels/{{channel}}/webhooks", self._create, name="create_webhook")
        r.add_get(f"{api}/channels/{{channel}}/webhooks", self._list, name="channel_webhooks")

    def claim(self, request: web.Request, route: str, handler: Handler) -> tuple[str, Handler]:
        """The route's name and handler: a channel webhook's when the call is to one."""
        mine = {"followup": ("execute_webhook", self._execute), "original_get": ("get_webhook_message",
                self._get_message), "webhook_edit": ("edit_webhook_message", self._edit_message)}  # fmt: skip
        app = request.match_info.get("app", "")
        if route in mine and app.isdigit() and int(app) in self.hooks:
            return mine[route]
        return route, handler

    def _managed(self, request: web.Request) -> Channel:
        channel = self.standin.channels._channel(request)
        self.standin.channels._require(channel, limits.VIEW_CHANNEL | MANAGE_WEBHOOKS)
        return channel

    async def _create(self, request: web.Request) -> web.Response:
        channel = self._managed(request)
        body = self.standin.body(request) or {}
        state = self.standin.state
        hook = Webhook(
            snowflake(),
            channel,
            _check_name(body.get("name"), "name"),
            secrets.token_urlsafe(32),
            state.bot.json(),
            state.application_id,
        )
        self.hooks[hook.id] = hook
        return json_response(hook.json())

    async def _list(self, request: web.Request) -> web.Response:
        channel = self._managed(request)
        return json_response([h.json() for h in self.hooks.values() if h.channel.id == channel.id])

    def _hook(self, request: web.Request) -> Webhook:
        hook = self.hooks.get(int(request.match_info["app"]))
        if hook is None or not secrets.compare_digest(hook.token, request.match_info["token"]):
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        return hook

    def _message(self, request: web.Request, hook: Webhook) -> dict[str, Any]:
        message = hook.channel.messages.get(int(request.match_info["message"]))
        if message is None or message.get("webhook_id") != str(hook.id):
            raise ApiError(404, limits.UNKNOWN_MESSAGE, "Unknown Message")
        return message

    async def _execute(self, request: web.Request) -> web.StreamResponse:
        hook = self._hook(request)
        body = dict(self.standin.body(request) or {})
        files = body.pop("_files", [])
        limits.check_message(body)
        limits.check_not_empty(body, has_files=bool(files))
        name = _check_name(body.get("username") or hook.name, "username")
        avatar = (
            hashlib.sha1(str(body["avatar_url"]).encode()).hexdigest()[:32]
            if body.get("avatar_url")
            else None
        )
        headers = self.standin.rate.take(hook.channel.id)
        message = message_json(hook.channel, self.standin.state.bot, body, webhook_id=hook.id)
        message["author"] = {
            "id": str(hook.id),
            "username": name,
            "discriminator": "0000",
            "global_name": None,
            "avatar": avatar,
            "bot": True,
            "public_flags": 0,
        }
        stored = await self.standin.post_message(hook.channel, message)
        if request.query.get("wait", "false").lower() not in ("true", "1"):
            return web.Response(status=204, headers=headers)
        return json_response(stored, headers=headers)

    async def _get_message(self, request: web.Request) -> web.Response:
        return json_response(self._message(request, self._hook(request)))

    async def _edit_message(self, request: web.Request) -> web.Response:
        hook = self._hook(request)
        return await self.standin.channels.edited(request, self._message(request, hook))
