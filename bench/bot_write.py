"""Memory of a process that answers and writes, as the bot does with its feed poller.

    .venv/bin/python bench/bot_write.py --store /tmp/q100k5 --article DIR_OR_FILE

Builds the App as `newsdesk bot` does (`warm_up`: model, snapshot, host rows and chunk
index), asks two questions, ingests the given article(s) in this process (the store's
writer loads Chroma's chunk collection to write to it), then asks for a few seconds while
the retriever lets go of what the write loaded (vectorstore/chroma/coordination.py `release`).
Prints RSS (now, peak, anonymous, file-backed) after each step. The store is changed: the
articles are added (delete them with `newsdesk articles delete`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.app import App  # noqa: E402
from bot.settings import Settings  # noqa: E402


def rss() -> str:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return " ".join(
        f"{k} {int(fields[k].split()[0]) // 1024} MB" for k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--article", required=True)
    args = parser.parse_args()
    app = App(Settings(_env_file=None, newsdesk_data_dir=args.store))  # type: ignore[call-arg]
    app.warm_up()
    for question in ("Who won the Nobel Peace Prize?", "Where is the first office?"):
        app.retriever.retrieve(question, 10)
    print("answering:", rss(), flush=True)
    report = app.ingest([args.article])
    print(f"after its own write ({report.count('added')} added):", rss(), flush=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and app.store.holds_vectors:
        app.retriever.retrieve("What did the article say?", 10)
        time.sleep(0.1)
    print(f"after questions (collections let go: {not app.store.holds_vectors}):", rss())


if __name__ == "__main__":
    main()
