"""`python -m bot`: start the Discord bot."""

import sys

from bot.discord_app.runner import run_bot
from bot.settings import Settings
from bot.terminal import configure_logging
from vectorstore.system import few_malloc_arenas


def main() -> int:
    few_malloc_arenas()  # before the bot's threads start
    settings = Settings()
    configure_logging(settings.log_level)
    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
