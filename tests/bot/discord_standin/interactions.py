"""Interactions: slash commands and button clicks sent to the bot as INTERACTION_CREATE,
the callback that must come within 3 seconds (else 10062 Unknown interaction, as Discord
answers), and the webhook routes of followups and of edits of the @original response.

After a deferral ("thinking..."), Discord turns the first followup into the original
response: the loading message is replaced, not followed by a second one.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.bot.discord_standin import limits
from tests.bot.discord_standin.limits import ApiError
from tests.bot.discord_standin.world import Channel, Guild, Role, User, json_response, message_json, snowflake

if TYPE_CHECKING:
    from tests.bot.discord_standin.server import DiscordStandIn

PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE = 1, 4, 5, 6, 7
LOADING = 1 << 7
OPTION_TYPES = {str: 3, int: 4, bool: 5}
SUBCOMMAND, CHANNEL_OPTION, ROLE_OPTION, ATTACHMENT_OPTION = 1, 7, 8, 11


@dataclass
class Interaction:
    """One interaction as the stand-in saw it, for tests to assert on."""

    id: int
    token: str
    type: int  # 2: command, 3: component
    channel: Channel
    user: User
    created: float  # time.monotonic() when dispatched
    callback_type: int | None = None
    callback_at: float | None = None
    ephemeral: bool = False
    original_id: int | None = None
    loading: bool = False
    answered_at: float | None = None  # when the user first saw a final response
    messages: list[dict[str, Any]] = field(default_factory=list)  # what the user saw, in order

    @property
    def deferral_s(self) -> float | None:
        return None if self.callback_at is None else self.callback_at - self.created


class InteractionRoutes:
    def __init__(self, standin: DiscordStandIn, deadline_s: float) -> None:
        self.standin = standin
        self.deadline_s = deadline_s
        self.all: dict[int, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}

    _ROUTES = ("callback", "followup", "original_get", "webhook_edit", "webhook_delete")

    def owns(self, route: str) -> bool:
        """Interaction routes are authorised by the interaction's token, not the bot's."""
        return route in self._ROUTES

    def add_routes(self, router: web.UrlDispatcher, api: str) -> None:
        router.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback, name="callback")
        router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup, name="followup")
        hook = f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}"
        router.add_get(hook, self._get, name="original_get")
        router.add_patch(hook, self._edit, name="webhook_edit")
        router.add_delete(hook, self._delete, name="webhook_delete")

    # -- driving the bot ------------------------------------------------------------------

    async def command(
        self,
        name: str,
        options: dict[str, Any],
        *,
        channel: Channel,
        user: User,
        attachments: dict[str, dict[str, Any]] | None = None,
        subcommand: str | None = None,
    ) -> Interaction:
        """A member runs /name (or /name subcommand); `attachments` maps option names to
        `standin.attach(...)`; an option's value may be a Channel or a role (`Role`), which
        Discord sends resolved."""
        state = self.standin.state
        guild_id = channel.guild_id
        registered = state.commands.get(guild_id) or state.commands.get(None) or []
        command = next((c for c in registered if c["name"] == name), None)
        if command is None:
            raise LookupError(f"/{name} was never synced")
        values, resolved = self._options(options, channel)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": values}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if attachments:
            data["options"] += [
                {"name": k, "type": ATTACHMENT_OPTION, "value": a["id"]} for k, a in attachments.items()
            ]
            resolved["attachments"] = {a["id"]: a for a in attachments.values()}
        if subcommand is not None:
            data["options"] = [{"name": subcommand, "type": SUBCOMMAND, "options": data["options"]}]
        if resolved:
            data["resolved"] = resolved
        return await self._dispatch(2, data, channel, user)

    def _options(
        self, options: dict[str, Any], where: Channel
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        values: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        guild = self.standin.state.guilds.get(where.guild_id or 0)
        for key, value in options.items():
            if isinstance(value, Channel):
                permissions = str(guild.bot_permissions if guild else 0)
                resolved.setdefault("channels", {})[str(value.id)] = value.json() | {
                    "permissions": permissions
                }
                values.append({"name": key, "type": CHANNEL_OPTION, "value": str(value.id)})
            elif isinstance(value, Role):
                resolved.setdefault("roles", {})[str(value.id)] = value.json()
                values.append({"name": key, "type": ROLE_OPTION, "value": str(value.id)})
            else:
                values.append({"name": key, "type": OPTION_TYPES[type(value)], "value": value})
        return values, resolved

    async def click(self, message: dict[str, Any], custom_id: str, *, user: User) -> Interaction:
        """A member presses a button under a message."""
        channel = self.standin.state.channels[int(message["channel_id"])]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._dispatch(3, data, channel, user, message=message)

    async def _dispatch(
        self,
        type_: int,
        data: dict[str, Any],
        channel: Channel,
        user: User,
        message: dict[str, Any] | None = None,
    ) -> Interaction:
        state = self.standin.state
        interaction = Interaction(snowflake(), secrets.token_urlsafe(32), type_, channel, user, 0.0)
        payload: dict[str, Any] = {
            "id": str(interaction.id),
            "application_id": str(state.application_id),
            "type": type_,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel.json(),
            "token": interaction.token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10_485_760,
            "authorizing_integration_owners": {"0": str(channel.guild_id)}
            if channel.guild_id
            else {"1": str(user.id)},
            "context": 0 if channel.guild_id else 1,
        }
        if channel.guild_id is not None:
            guild: Guild = state.guilds[channel.guild_id]
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                app_permissions=str(guild.bot_permissions),
                member=user.member_json(guild.member_permissions(user), []),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
            )
        else:
            payload.update(user=user.json(), app_permissions=str(limits.README_INVITE))
        if message is not None:
            payload["message"] = message
        self.all[interaction.id] = interaction
        self._by_token[interaction.token] = interaction
        interaction.created = time.monotonic()
        await self.standin.gateway.dispatch("INTERACTION_CREATE", payload)
        return interaction

    # -- routes ---------------------------------------------------------------------------

    def _by(self, request: web.Request) -> Interaction:
        interaction = self._by_token.get(request.match_info["token"])
        if interaction is None:
            raise ApiError(404, limits.UNKNOWN_WEBHOOK, "Unknown Webhook")
        if time.monotonic() - interaction.created > limits.WEBHOOK_TOKEN_LIFETIME_S:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return interaction

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.all.get(int(request.match_info["id"]))
        now = time.monotonic()
        if (
            interaction is None
            or interaction.token != request.match_info["token"]
            or now - interaction.created > self.deadline_s
        ):
            raise ApiError(404, limits.UNKNOWN_INTERACTION, "Unknown interaction")
        if interaction.callback_type is not None:
            raise ApiError(400, limits.ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
        body = self.standin.body(request) or {}
        type_, data = body["type"], body.get("data") or {}
        if type_ in (MESSAGE, UPDATE):
            limits.check_message(data)
        # tests read an interaction from another thread: "thinking..." is set before the
        # acknowledgement, and a response's message is in place before it ends the loading
        interaction.loading = type_ == DEFERRED_MESSAGE
        interaction.callback_type, interaction.callback_at = type_, now
        interaction.ephemeral = bool(int(data.get("flags") or 0) & limits.EPHEMERAL)
        response: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_loading": type_ == DEFERRED_MESSAGE,
                "response_message_ephemeral": interaction.ephemeral,
            }
        }
        if type_ in (MESSAGE, DEFERRED_MESSAGE):
            if type_ == MESSAGE:
                limits.check_not_empty(data)
            flags = (limits.EPHEMERAL if interaction.ephemeral else 0) | (
                LOADING if type_ == DEFERRED_MESSAGE else 0
            )
            message = await self._post(interaction, {**data, "flags": flags})
            interaction.original_id = int(message["id"])
            if type_ == MESSAGE:
                interaction.answered_at = now
            response["interaction"]["response_message_id"] = message["id"]
            response["resource"] = {"type": type_, "message": message}
        elif type_ == UPDATE:
            response["resource"] = {"type": type_}
        return json_response(response)

    async def _post(self, interaction: Interaction, body: dict[str, Any]) -> dict[str, Any]:
        state = self.standin.state
        message = message_json(interaction.channel, state.bot, body, webhook_id=state.application_id)
        message["interaction_metadata"] = {
            "id": str(interaction.id),
            "type": interaction.type,
            "user": interaction.user.json(),
        }
        interaction.messages.append(message)
        return await self.standin.post_message(interaction.channel, message)

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._by(request)
        if interaction.callback_type is None:
            raise ApiError(404, limits.UNKNOWN_WEBHOOK, "Unknown Webhook")
        body = dict(self.standin.body(request) or {})
        body.pop("_files", None)
        limits.check_message(body)
        limits.check_not_empty(body)
        if interaction.loading and interaction.original_id is not None:  # the first followup after a deferral
            message = self._edit_stored(interaction, interaction.original_id, body)
            interaction.loading = False
        else:
            flags = limits.EPHEMERAL if int(body.get("flags") or 0) & limits.EPHEMERAL else 0
            message = await self._post(interaction, {**body, "flags": flags})
            interaction.answered_at = interaction.answered_at or time.monotonic()
        return (
            json_response(message)
            if request.query.get("wait") in ("true", "1", "True")
            else web.Response(status=204)
        )

    def _message_id(self, interaction: Interaction, request: web.Request) -> int:
        raw = request.match_info["message"]
        if raw == "@original":
            if interaction.original_id is None:
                raise ApiError(404, limits.UNKNOWN_MESSAGE, "Unknown Message")
            return interaction.original_id
        return int(raw)

    def _edit_stored(self, interaction: Interaction, message_id: int, body: dict[str, Any]) -> dict[str, Any]:
        message = interaction.channel.messages.get(message_id)
        if message is None:
            raise ApiError(404, limits.UNKNOWN_MESSAGE, "Unknown Message")
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if interaction.answered_at is None:
            interaction.answered_at = time.monotonic()
        message["flags"] = message["flags"] & ~LOADING
        message["edited_timestamp"] = message["timestamp"]
        interaction.messages.append(dict(message))
        return message

    async def _get(self, request: web.Request) -> web.Response:
        interaction = self._by(request)
        message = interaction.channel.messages.get(self._message_id(interaction, request))
        if message is None:
            raise ApiError(404, limits.UNKNOWN_MESSAGE, "Unknown Message")
        return json_response(message)

    async def _edit(self, request: web.Request) -> web.Response:
        interaction = self._by(request)
        body = dict(self.standin.body(request) or {})
        body.pop("_files", None)
        limits.check_message(body)
        message_id = self._message_id(interaction, request)
        message = self._edit_stored(interaction, message_id, body)
        if message_id == interaction.original_id:
            interaction.loading = False
        return json_response(message)

    async def _delete(self, request: web.Request) -> web.Response:
        interaction = self._by(request)
        interaction.channel.messages.pop(self._message_id(interaction, request), None)
        return web.Response(status=204)
