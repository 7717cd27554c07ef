"""A local stand-in of Discord's REST API v10 and gateway, for end-to-end tests of the bot."""

from tests.bot.discord_standin.server import DiscordStandIn

__all__ = ["DiscordStandIn"]
