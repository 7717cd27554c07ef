"""A process of a fleet that polls the feeds, for tests/ingest/test_poller_seat.py: the real
App (settings from the environment), polling its due feeds every 0.2 s until STOP exists,
printing for each round when it started (time.monotonic, one clock for the host) and
whether this process polled (the poller seat's answer), one JSON line a round.

    python -m tests.ingest.fleet_poller STOP
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bot.app import App
from bot.settings import Settings


def main(stop: Path) -> None:
    app = App(Settings())
    while not stop.exists():
        started = time.monotonic()
        app.feeds.poll_due()
        print(json.dumps({"started": started, "leading": app.feeds.leading}), flush=True)
        time.sleep(0.2)
    app.stand_down()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
