"""`python -m bot`: start the Discord bot."""

import sys

from bot.discord_app.runner import run_bot
from bot.settings import Settings
from bot.terminal import configure_logging


def main() -> int:
    settings = Settings()
    configure_logging(settings.log_level)
    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
