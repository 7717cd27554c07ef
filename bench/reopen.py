"""What a reader's reopen of the embedded store costs: time and memory.

    .venv/bin/python bench/reopen.py --store /tmp/q100k [--times 3]

Opens the store as an answering process does, asks once, then reopens it --times times
(as after another process's write: connection.py stops the old Chroma System and opens a
new one; answering reads only its manifest collection) and prints, after each, the time
taken and the process's RSS now and at its peak (VmHWM). A kept store is not changed
(beyond its host rows and chunk index being brought up to date on first use).
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
from tests.helpers import written_elsewhere  # noqa: E402


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return tuple(round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--times", type=int, default=3)
    args = parser.parse_args()
    app = App(Settings(_env_file=None, newsdesk_data_dir=args.store))  # type: ignore[call-arg]
    store, retriever = app.store, app.retriever
    question = "Where is the first international office?"
    retriever.retrieve(question, 10)
    print(f"opened and asked: RSS {rss_mb()[0]} MB (peak {rss_mb()[1]})")
    for i in range(args.times):
        start = time.perf_counter()
        written_elsewhere(store)  # another process's write: this one reopens the store
        store.sync()
        retriever.retrieve(question, 10)
        now, peak = rss_mb()
        print(f"reopen {i + 1}: {time.perf_counter() - start:.2f} s, RSS {now} MB (peak {peak})")


if __name__ == "__main__":
    main()
