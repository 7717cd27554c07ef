"""The refusal an app command check or body raises with a message safe to show
(`NotAllowedHere`). Defined outside the extensions: an extension's module is executed
again when it is loaded, and a class defined there would then exist twice (the one the
error handler knows, and the one a module imported earlier raises)."""

from __future__ import annotations

from discord import app_commands


class NotAllowedHere(app_commands.CheckFailure):
    """A check whose message is safe to show."""
