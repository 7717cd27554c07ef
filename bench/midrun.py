"""Readers during a long ingest: how soon a running reader answers from a run's
first articles, and how long a reader started mid-run takes to answer.

    .venv/bin/python bench/midrun.py [--chunks 3000] [--flush 256] [--every 4]

A fresh store holds samples/ (6 articles). A running reader (`App(settings).engine`, as
`newsdesk bot` builds it) asks a probe question in a loop. Then `newsdesk ingest` runs on
a file whose first article answers the probe, followed by copies (new ids) of the
../shared/eval articles up to about `--chunks` chunks, with INGEST_FLUSH_CHUNKS=`--flush`.
Every `--every` seconds of the run a new `newsdesk ask --json PROBE` process starts; its
wall time from start to exit is "a reader started mid-ingest" (the goal: within 2 s,
whatever the ingest is doing; `newsdesk ask` from cold with no ingest is measured too,
before the run). What such a process waits for the writer is measured on its own too:
the load guard's shared hold (vectorstore/chroma/load_guard.py), taken every 0.25 s
during the run. Printed and written to bench/results/midrun.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from live import Server  # bench/live.py: the answering process

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"
NEWSDESK = Path(sys.executable).with_name("newsdesk")
PROBE_ID = "midrun-probe"
PROBE = "Which river barge carried the Zenthoria lighthouse lens to Quillmouth?"
PROBE_TEXT = (
    "The Zenthoria lighthouse lens was carried to Quillmouth on the river barge Marigold Venture, "
    "the harbour office said on Tuesday. The lens, made of 212 glass prisms, will be fitted next month."
)


def serve(data: Path) -> None:
    """The running reader: one engine asking the probe in a loop; a JSON line when the
    answer starts or stops citing the probe article."""
    sys.path.insert(0, str(REPO))
    from bot.app import App
    from bot.settings import Settings

    engine = App(Settings(_env_file=None, newsdesk_data_dir=data)).engine  # type: ignore[call-arg]
    engine.answer(PROBE)
    print(json.dumps({"ready": True, "t": time.time()}), flush=True)
    cited = False
    while True:
        now = any(c.article_id == PROBE_ID for c in engine.answer(PROBE).citations)
        if now != cited:
            cited = now
            print(json.dumps({"probe": now, "t": time.time()}), flush=True)
        time.sleep(0.25)  # a busy bot, not a loop that takes a core from the ingest


def corpus(folder: Path, chunks: int) -> Path:
    """The probe article, then copies of the eval articles (about 11 chunks each) up to
    about `chunks` chunks."""
    articles = [
        json.loads(line)
        for name in ("wikinews", "squad-dev")
        for line in (EVAL / name / "articles.jsonl").read_text().splitlines()
    ]
    rows = [{"id": PROBE_ID, "title": "Lens", "text": PROBE_TEXT}]
    total, copy = 0, 0
    while total < chunks:
        for a in articles:
            rows.append({**a, "id": f"{a['id']}-copy{copy}"})
            total += max(1, len(a["text"]) // 650)  # a chunk per 650 characters, as measured
            if total >= chunks:
                break
        copy += 1
    path = folder / "run.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class GuardProbe:
    """What a process opening the store waits for: the load guard's shared hold
    (vectorstore/chroma/load_guard.py), taken every 0.25 s during the run."""

    def __init__(self, data: Path) -> None:
        sys.path.insert(0, str(REPO))
        from vectorstore.chroma.load_guard import LoadGuard

        self.waits: list[float] = []
        self._guard = LoadGuard.of(data)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            t0 = time.perf_counter()
            with self._guard.loading(wait=True):
                self.waits.append(time.perf_counter() - t0)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        waits = sorted(self.waits)
        return {
            "n": len(waits),
            "p50_ms": round(statistics.median(waits) * 1000, 1),
            "p99_ms": round(waits[int(len(waits) * 0.99)] * 1000, 1),
            "max_ms": round(waits[-1] * 1000, 1),
        }


def ask_seconds(env: dict[str, str]) -> tuple[float, bool]:
    """A `newsdesk ask` process from start to exit; whether it cited the probe."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(NEWSDESK), "ask", "--json", PROBE], env=env, capture_output=True, text=True, check=True
    )
    cited = any(c.get("article_id") == PROBE_ID for c in json.loads(done.stdout).get("citations", []))
    return time.perf_counter() - t0, cited


def run(data: Path, chunks: int, flush: int, every: float) -> dict[str, Any]:
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    subprocess.run([str(NEWSDESK), "ingest", "-q", str(REPO / "samples")], env=env, check=True)
    path = corpus(data.parent, chunks)
    cold = [ask_seconds(env)[0] for _ in range(3)]  # no ingest running
    print(f"ask from cold, no ingest: {cold}", file=sys.stderr)
    reader = Server(data, env, __file__)
    try:
        start = time.time()
        report_file = (data.parent / "report.json").open("w")  # not a pipe: nobody reads it until the end
        ingest = subprocess.Popen(
            [str(NEWSDESK), "ingest", "--json", str(path)],
            env={**env, "INGEST_FLUSH_CHUNKS": str(flush)},
            stdout=report_file,
            text=True,
        )
        asks: list[dict[str, float | bool]] = []
        guard = GuardProbe(data)
        while ingest.poll() is None:
            time.sleep(every)
            if ingest.poll() is None:
                at = time.time() - start
                seconds, cited = ask_seconds(env)
                asks.append({"at_s": round(at, 1), "seconds": round(seconds, 2), "cited": cited})
                print(f"reader started at {at:.1f} s: {seconds:.2f} s, cited: {cited}", file=sys.stderr)
        end = time.time()
        report_file.close()
        waits = guard.stop()
        first = reader.probe_seen(True, start, timeout=30)
    finally:
        reader.proc.kill()
    report = json.loads((data.parent / "report.json").read_text())
    mid = [float(a["seconds"]) for a in asks]
    return {
        "chunks_embedded": report.get("chunks_embedded"),
        "flush_chunks": flush,
        "ingest_s": round(end - start, 1),
        "start_to_first_answer_s": round(first - start, 1),
        "ask_cold_alone_s": [round(c, 2) for c in cold],
        "ask_started_mid_ingest": asks,
        "ask_mid_ingest_median_s": round(statistics.median(mid), 2) if mid else None,
        "ask_mid_ingest_max_s": round(max(mid), 2) if mid else None,
        "load_guard_wait_during_ingest": waits,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=3000)
    parser.add_argument("--flush", type=int, default=256, help="INGEST_FLUSH_CHUNKS of the run")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between readers started")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory(prefix="newsdesk-midrun-") as tmp:
        result = run(Path(tmp) / "data", args.chunks, args.flush, args.every)
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "midrun.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
