"""What a reader's reopen of the embedded store costs: time and memory (issue #15).

    .venv/bin/python bench/reopen.py --store /tmp/q100k [--times 3]

Opens the store as an answering process does, searches it once, then reopens it --times
times (as after another process's write: connection.py stops the old Chroma System, opens
a new one and loads its sentence index) and prints, after each, the time taken and the
process's RSS now and at its peak (VmHWM). A kept store is not changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.app import App  # noqa: E402
from bot.settings import Settings  # noqa: E402


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return tuple(round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--times", type=int, default=3)
    args = parser.parse_args()
    store = App(Settings(_env_file=None, newsdesk_data_dir=args.store)).store  # type: ignore[call-arg]
    vector = np.ones(384, np.float32) / np.sqrt(384)
    store.query_sentences(vector, 60)
    print(f"opened and searched: RSS {rss_mb()[0]} MB (peak {rss_mb()[1]})")
    for i in range(args.times):
        start = time.perf_counter()
        store._conn.reopen(None)  # bench-only access: the reopen another process's write causes
        store.query_sentences(vector, 60)
        now, peak = rss_mb()
        print(f"reopen {i + 1}: {time.perf_counter() - start:.2f} s, RSS {now} MB (peak {peak})")


if __name__ == "__main__":
    main()
