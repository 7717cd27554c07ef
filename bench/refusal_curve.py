"""Print how a refusal threshold trades answers for refusals, from two eval runs.

    python bench/refusal_curve.py eval-out/squad-dev.jsonl eval-out/wikinews-only.jsonl

The first file is a run where the questions' articles are in the store (refusing is a
miss), the second a run where they are absent (refusing is right). Both runs must have
been made with a threshold at or below the ones listed, so that `evidence` is recorded
for every question.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def evidences(path: Path) -> list[float]:
    with path.open(encoding="utf-8") as f:
        return [float(json.loads(line).get("evidence", 0.0)) for line in f if line.strip()]


def main() -> None:
    present, absent = evidences(Path(sys.argv[1])), evidences(Path(sys.argv[2]))
    print(f"{'threshold':>9} {'refused (present)':>18} {'refused (absent)':>17}")
    for step in range(20, 66, 2):
        t = step / 100
        wrong = sum(e < t for e in present) / len(present)
        right = sum(e < t for e in absent) / len(absent)
        print(f"{t:9.2f} {wrong:18.3f} {right:17.3f}")


if __name__ == "__main__":
    main()
