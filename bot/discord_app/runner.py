"""Start the Discord bot from settings (`newsdesk bot`, `python -m bot`): build the parts
with the composition root, then hand them to NewsBot."""

from __future__ import annotations

import logging
import sys

import discord

from bot.app import App, bot_settings
from bot.discord_app.client import NewsBot
from bot.discord_app.workers import WorkerPool
from bot.settings import Settings

log = logging.getLogger(__name__)


def build_bot(settings: Settings, app: App | None = None) -> NewsBot:
    """The bot with its parts loaded (model, snapshot, vector index) and its pools."""
    app = app or App(bot_settings(settings))
    settings = app.settings
    parts = app.bot_parts()
    answers = WorkerPool("answer", settings.answer_workers, settings.answer_queue)
    ingests = WorkerPool("ingest", 1, 4)
    return NewsBot(settings, parts, answers, ingests)


def run_bot(settings: Settings) -> int:
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        sys.stderr.write(
            "DISCORD_TOKEN is not set. Copy .env.example to .env and put your bot's token in it "
            "(see README, 'Run it on your server').\n"
        )
        return 2
    bot = build_bot(settings)
    try:
        bot.run(token, log_handler=None)  # our logging is configured by the entry point
    except discord.LoginFailure:
        sys.stderr.write("Discord rejected DISCORD_TOKEN: check it in the developer portal.\n")
        return 2
    except discord.PrivilegedIntentsRequired:
        sys.stderr.write(
            "Enable the Message Content intent for this bot in the developer portal "
            "(Bot -> Privileged Gateway Intents).\n"
        )
        return 2
    return 0
