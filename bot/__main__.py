"""`python -m bot`: start the Discord bot (the same as `newsdesk bot`)."""

import sys

from pydantic import ValidationError

from bot.discord_app.runner import run_bot
from bot.settings import Settings
from bot.terminal import configure_logging
from ingest.settings import settings_error_line


def main() -> int:
    try:
        settings = Settings()
    except ValidationError as exc:  # one line, as `newsdesk bot` says it: no traceback
        print(f"error: {settings_error_line(exc)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
