"""What the stand-in knows: users, servers, channels, threads and messages, and their JSON
as Discord's API v10 sends it (the fields discord.py reads)."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.bot.discord_standin import limits

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count(1)

GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
GUILD_FORUM = 15
THREAD_TYPES = (PUBLIC_THREAD, 12)


def snowflake() -> int:
    """A new id that sorts by time, like Discord's."""
    return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_counter) & 0x3FFFFF)


def _iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), UTC).isoformat()


@dataclass
class User:
    id: int
    username: str
    bot: bool = False

    def json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.username,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def member_json(self, permissions: int, roles: list[int]) -> dict[str, Any]:
        return {
            "user": self.json(),
            "roles": [str(r) for r in roles],
            "joined_at": _iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "pending": False,
            "permissions": str(permissions),
        }


@dataclass
class Channel:
    id: int
    type: int
    name: str
    guild_id: int | None = None
    parent_id: int | None = None
    owner_id: int | None = None  # threads: who started it
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    recipient: User | None = None  # DMs
    denied: int = 0  # permissions an overwrite takes from the bot in this channel
    nonces: dict[str, tuple[int, float]] = field(default_factory=dict)  # nonce -> (message id, when)

    def repeated(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The message a repeated nonce names (with enforce_nonce, within Discord's window)."""
        nonce = body.get("nonce")
        if not body.get("enforce_nonce") or nonce is None or str(nonce) not in self.nonces:
            return None
        message_id, at = self.nonces[str(nonce)]
        if time.monotonic() - at > limits.NONCE_WINDOW_S:
            return None
        return self.messages.get(message_id)

    def remember_nonce(self, body: dict[str, Any], message: dict[str, Any]) -> None:
        if body.get("nonce") is not None:
            self.nonces[str(body["nonce"])] = (int(message["id"]), time.monotonic())
            message["nonce"] = str(body["nonce"])

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "rate_limit_per_user": 0,
            "flags": 0,
            "last_message_id": str(max(self.messages)) if self.messages else None,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.parent_id is not None:
            data["parent_id"] = str(self.parent_id)
        if self.type == DM and self.recipient is not None:
            data["recipients"] = [self.recipient.json()]
        if self.type == GUILD_FORUM:
            data.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None)
        if self.is_thread:
            data.update(
                owner_id=str(self.owner_id),
                message_count=len(self.messages),
                member_count=1,
                total_message_sent=len(self.messages),
                applied_tags=[],
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": _iso(),
                    "locked": False,
                    "create_timestamp": _iso(),
                },
            )
        return data


@dataclass(frozen=True)
class Role:
    """A server's role, as an option's resolved data carries it."""

    id: int
    name: str

    def json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": "0",
            "position": 1,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": True,
            "flags": 0,
        }


@dataclass
class Guild:
    id: int
    name: str
    owner: User
    bot_permissions: int = limits.README_INVITE
    has_commands_scope: bool = True  # invited with applications.commands
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, User] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)  # the server's own (not @everyone, the bot's)

    @property
    def bot_role_id(self) -> int:
        return self.id + 1

    def member_permissions(self, user: User) -> int:
        return (1 << 41) - 1 if user.id == self.owner.id else limits.VIEW_CHANNEL | limits.SEND_MESSAGES

    def json(self, bot: User) -> dict[str, Any]:
        roles = [
            {
                "id": str(self.id),
                "name": "@everyone",
                "permissions": "0",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            {
                "id": str(self.bot_role_id),
                "name": bot.username,
                "permissions": str(self.bot_permissions),
                "position": 1,
                "color": 0,
                "hoist": False,
                "managed": True,
                "mentionable": False,
                "flags": 0,
                "tags": {"bot_id": str(bot.id)},
            },
            *(r.json() for r in self.roles.values()),
        ]
        channels = [c.json() for c in self.channels.values() if not c.is_thread]
        threads = [c.json() for c in self.channels.values() if c.is_thread]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner.id),
            "roles": roles,
            "channels": channels,
            "threads": threads,
            "emojis": [],
            "stickers": [],
            "features": [],
            "members": [bot.member_json(self.bot_permissions, [self.bot_role_id])],
            "member_count": len(self.members) + 1,
            "large": False,
            "unavailable": False,
            "joined_at": _iso(),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "mfa_level": 0,
            "verification_level": 0,
            "explicit_content_filter": 0,
            "default_message_notifications": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "nsfw_level": 0,
            "afk_timeout": 300,
            "application_id": None,
            "afk_channel_id": None,
            "system_channel_id": None,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "splash": None,
            "discovery_splash": None,
            "premium_progress_bar_enabled": False,
        }


def message_json(
    channel: Channel,
    author: User,
    payload: dict[str, Any],
    *,
    mentions: list[User] = (),  # type: ignore[assignment]
    attachments: list[dict[str, Any]] = (),  # type: ignore[assignment]
    reference: dict[str, Any] | None = None,
    webhook_id: int | None = None,
) -> dict[str, Any]:
    """A message as Discord returns it and dispatches it in MESSAGE_CREATE."""
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "channel_id": str(channel.id),
        "author": author.json(),
        "content": payload.get("content") or "",
        "timestamp": _iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [u.json() for u in mentions],
        "mention_roles": [],
        "attachments": list(attachments),
        "embeds": payload.get("embeds") or [],
        "pinned": False,
        "type": 19 if reference else 0,
        "flags": payload.get("flags") or 0,
        "components": payload.get("components") or [],
    }
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
    if reference:
        data["message_reference"] = {**reference, "type": 0}
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
        data["application_id"] = str(webhook_id)
    if channel.is_thread:
        data["position"] = len(channel.messages)
    return data


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON as Discord sends it: `Content-Type: application/json` exactly (discord.py parses
    a body as JSON only when the header is exactly that)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
