"""Discord's own validation rules, as its API documents and enforces them (v10).

Each check returns the error Discord would answer, or None. The texts and codes are
Discord's: https://discord.com/developers/docs/topics/opcodes-and-status-codes#json and the
"Invalid Form Body" (50035) shape, where each bad field carries its `_errors`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# -- JSON error codes -------------------------------------------------------------------
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
MISSING_ACCESS = 50001
CANNOT_SEND_EMPTY = 50006
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
WRONG_CHANNEL_TYPE = 50024
ALREADY_ACKNOWLEDGED = 40060
CANNOT_EDIT_OTHERS = 50005
CANNOT_DM = 50007
THREAD_ALREADY_CREATED = 160004
NONCE_WINDOW_S = 300.0  # enforce_nonce: a repeated nonce within this returns the first message

# -- limits -----------------------------------------------------------------------------
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
THREAD_NAME_MAX = 100
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW_MAX = 5
CUSTOM_ID_MAX = 100
INTERACTION_DEADLINE_S = 3.0  # the initial response must come within 3 s of the event
WEBHOOK_TOKEN_LIFETIME_S = 15 * 60  # followups work for 15 minutes
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
EPHEMERAL = 1 << 6

# -- permissions (bit positions from Discord's permission table) ------------------------
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_GUILD = 1 << 5
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
# What the README's invite grants the bot: View Channels, Send Messages, Send Messages in
# Threads, Create Public Threads, Embed Links, Read Message History.
README_INVITE = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
    | EMBED_LINKS
    | READ_MESSAGE_HISTORY
)
MESSAGE_CONTENT_INTENT = 1 << 15


@dataclass(frozen=True)
class ApiError(Exception):
    """An error response: HTTP status and Discord's JSON body."""

    status: int
    code: int
    message: str
    errors: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def _too_long(limit: int) -> dict[str, Any]:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


class _Form:
    """Collects field errors under their JSON paths, as Discord nests them."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def length(self, path: list[str | int], value: object, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.put(path, _too_long(limit))

    def put(self, path: list[str | int], error: dict[str, Any]) -> None:
        node = self.errors
        for part in path[:-1]:
            node = node.setdefault(str(part), {})
        node[str(path[-1])] = error

    def raise_if_any(self) -> None:
        if self.errors:
            raise ApiError(400, INVALID_FORM_BODY, "Invalid Form Body", self.errors)


def embed_length(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards the 6,000 of a message's embeds."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def _check_embed(form: _Form, i: int, embed: dict[str, Any]) -> None:
    base: list[str | int] = ["embeds", i]
    form.length([*base, "title"], embed.get("title"), EMBED_TITLE_MAX)
    form.length([*base, "description"], embed.get("description"), EMBED_DESCRIPTION_MAX)
    form.length([*base, "footer", "text"], (embed.get("footer") or {}).get("text"), EMBED_FOOTER_MAX)
    form.length([*base, "author", "name"], (embed.get("author") or {}).get("name"), EMBED_AUTHOR_MAX)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        form.put([*base, "fields"], _too_long(EMBED_FIELDS_MAX))
    for j, f in enumerate(fields):
        if not f.get("name") or not f.get("value"):
            form.put(
                [*base, "fields", j],
                {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]},
            )
        form.length([*base, "fields", j, "name"], f.get("name"), EMBED_FIELD_NAME_MAX)
        form.length([*base, "fields", j, "value"], f.get("value"), EMBED_FIELD_VALUE_MAX)


def _check_allowed_mentions(form: _Form, mentions: dict[str, Any]) -> None:
    parse = mentions.get("parse", [])
    if any(p not in ("roles", "users", "everyone") for p in parse):
        form.put(
            ["allowed_mentions", "parse"],
            {
                "_errors": [
                    {"code": "ENUM_TYPE_COERCE", "message": "Value must be one of roles, users, everyone."}
                ]
            },
        )
    for kind in ("users", "roles"):
        if kind in parse and mentions.get(kind):
            form.put(
                ["allowed_mentions", kind],
                {
                    "_errors": [
                        {
                            "code": "ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                            "message": f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                        }
                    ]
                },
            )


def _check_components(form: _Form, rows: list[dict[str, Any]]) -> None:
    if len(rows) > ACTION_ROWS_MAX:
        form.put(["components"], _too_long(ACTION_ROWS_MAX))
    for i, row in enumerate(rows):
        children = row.get("components") or []
        if len(children) > BUTTONS_PER_ROW_MAX:
            form.put(["components", i, "components"], _too_long(BUTTONS_PER_ROW_MAX))
        for j, child in enumerate(children):
            form.length(
                ["components", i, "components", j, "custom_id"], child.get("custom_id"), CUSTOM_ID_MAX
            )


def check_message(payload: dict[str, Any], *, has_files: bool = False) -> None:
    """A message create/edit body against Discord's limits; raises ApiError."""
    form = _Form()
    form.length(["content"], payload.get("content"), CONTENT_MAX)
    embeds = payload.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        form.put(["embeds"], _too_long(EMBEDS_MAX))
    for i, embed in enumerate(embeds):
        _check_embed(form, i, embed)
    if sum(embed_length(e) for e in embeds) > EMBED_TOTAL_MAX:
        form.put(
            ["embeds"],
            {
                "_errors": [
                    {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
                ]
            },
        )
    if isinstance(payload.get("allowed_mentions"), dict):
        _check_allowed_mentions(form, payload["allowed_mentions"])
    _check_components(form, payload.get("components") or [])
    form.raise_if_any()


def check_not_empty(payload: dict[str, Any], *, has_files: bool = False) -> None:
    """A new message needs content, an embed, a component, a sticker or a file."""
    if not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("sticker_ids")
        or has_files
    ):
        raise ApiError(400, CANNOT_SEND_EMPTY, "Cannot send an empty message")


def check_thread_name(name: object) -> None:
    form = _Form()
    if not isinstance(name, str) or not name.strip():
        form.put(["name"], {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]})
    else:
        form.length(["name"], name, THREAD_NAME_MAX)
    form.raise_if_any()


def check_commands(commands: list[dict[str, Any]]) -> None:
    """Application command definitions (bulk overwrite)."""
    form = _Form()
    for i, command in enumerate(commands):
        name = command.get("name", "")
        if not COMMAND_NAME.match(name) or name != name.lower():
            form.put(
                [i, "name"],
                {
                    "_errors": [
                        {"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Command name is invalid"}
                    ]
                },
            )
        description = command.get("description", "")
        if command.get("type", 1) == 1 and not 1 <= len(description) <= 100:
            form.put([i, "description"], _too_long(100))
        options = command.get("options") or []
        if len(options) > 25:
            form.put([i, "options"], _too_long(25))
        for j, option in enumerate(options):
            form.length([i, "options", j, "description"], option.get("description"), 100)
    form.raise_if_any()


def missing_permissions() -> ApiError:
    return ApiError(403, MISSING_PERMISSIONS, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, MISSING_ACCESS, "Missing Access")
