"""A running engine while `newsdesk ingest` writes to the same store.

    .venv/bin/python bench/live.py [--store DIR] [--questions 200]

Without --store, a fresh store of the real ../shared/eval articles (2,344 chunks) is made
in a temporary folder; with --store, that store is used as it is (for instance the
100,792-chunk store that `bench/query.py --copies 85 --store /tmp/q100k` keeps). An
answering process (this script with --serve: `App(settings).engine`, as `newsdesk bot`
builds it) answers squad-dev questions in a loop and, between them, a probe question about
an article that is not in the store yet. Then, in another process:

1. `newsdesk ingest` of the probe article (one article); the figure is the time from that
   process's exit to the first answer citing the new article;
2. `newsdesk ingest` of 40 other articles (new ids, real texts), during which `ask`
   latency is measured: "ask beside an ingest".

Printed and written to bench/results/live.json: ask p50/p95 alone and beside the ingest,
the delay after each ingest, and the answering process's RSS just after the batch ingest
and once the last reload is done (with the peak over the run, VmHWM).
The probe article is deleted again at the end, so a kept store stays as it was, except for
the 40 articles of step 2, which are deleted too.
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
EVAL = REPO.parent / "shared" / "eval"
NEWSDESK = Path(sys.executable).with_name("newsdesk")
PROBE_ID = "live-bench-probe"
PROBE = "Which river barge carried the Zenthoria lighthouse lens to Quillmouth?"
PROBE_TEXT = (
    "The Zenthoria lighthouse lens was carried to Quillmouth on the river barge Marigold Venture, "
    "the harbour office said on Tuesday. The lens, made of 212 glass prisms, will be fitted next month."
)


def rss_mb(pid: int) -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {k: round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")}


def serve(data: Path, questions: list[str]) -> None:
    """The answering process: one engine, asking forever; JSON lines on stdout."""
    from bot.app import App
    from bot.settings import Settings

    engine = App(Settings(_env_file=None, newsdesk_data_dir=data)).engine  # type: ignore[call-arg]
    engine.answer(questions[0])
    print(json.dumps({"ready": True, "t": time.time()}), flush=True)
    cited = False
    while True:
        for q in questions:
            t0 = time.perf_counter()
            engine.answer(q)
            print(json.dumps({"ask_ms": (time.perf_counter() - t0) * 1000, "t": time.time()}), flush=True)
            answer = engine.answer(PROBE)
            now = any(c.article_id == PROBE_ID for c in answer.citations)
            if now != cited:
                cited = now
                print(json.dumps({"probe": now, "t": time.time()}), flush=True)


class Server:
    """The answering process (`script --serve DATA`) and the JSON lines it printed."""

    def __init__(self, data: Path, env: dict[str, str], script: str = __file__) -> None:
        self.events: list[dict[str, Any]] = []
        self.proc = subprocess.Popen(
            [sys.executable, script, "--serve", str(data)], env=env, stdout=subprocess.PIPE, text=True
        )
        threading.Thread(target=self._follow, daemon=True).start()
        while not any("ready" in e for e in self.events):
            if self.proc.poll() is not None:
                raise SystemExit("the answering process exited")
            time.sleep(0.1)

    def _follow(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.append(json.loads(line))

    def asks(self, start: float, end: float) -> list[float]:
        return sorted(e["ask_ms"] for e in self.events if "ask_ms" in e and start <= e["t"] <= end)

    def probe_seen(self, value: bool, since: float, timeout: float = 120) -> float:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for e in self.events:
                if e.get("probe") is value and e["t"] >= since:
                    return float(e["t"])
            time.sleep(0.02)
        raise SystemExit(f"the probe was never {'answered' if value else 'gone'}")


def percentiles(times: list[float]) -> dict[str, float]:
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
    }


def ingest(env: dict[str, str], path: Path) -> tuple[float, float]:
    start = time.time()
    subprocess.run([str(NEWSDESK), "ingest", "-q", str(path)], env=env, check=True)
    return start, time.time()


def delete(env: dict[str, str], ids: list[str]) -> float:
    subprocess.run(
        [str(NEWSDESK), "articles", "delete", *ids], env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.time()


def run(data: Path, quiet_seconds: float) -> dict[str, Any]:
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-live-"))
    (folder / "probe.jsonl").write_text(
        json.dumps({"id": PROBE_ID, "title": "Lens", "text": PROBE_TEXT}) + "\n"
    )
    batch = [
        json.loads(line) for line in (EVAL / "wikinews" / "articles.jsonl").read_text().splitlines()[:40]
    ]
    ids = [f"live-bench-{i}" for i in range(len(batch))]
    (folder / "batch.jsonl").write_text(
        "".join(json.dumps({**a, "id": i}) + "\n" for a, i in zip(batch, ids, strict=True))
    )
    server = Server(data, env)
    try:
        t0 = time.time()
        time.sleep(quiet_seconds)
        alone = server.asks(t0, time.time())
        start, done = ingest(env, folder / "probe.jsonl")
        seen = server.probe_seen(True, start)
        start_b, done_b = ingest(env, folder / "batch.jsonl")
        beside = server.asks(start_b, done_b)
        memory = rss_mb(server.proc.pid)
        start_d = time.time()
        deleted = delete(env, [PROBE_ID, *ids])
        gone = server.probe_seen(False, start_d)
        time.sleep(quiet_seconds / 4)  # the last reload done: the process as it stays
        settled = rss_mb(server.proc.pid)
    finally:
        server.proc.kill()
    return {
        "ask_alone": percentiles(alone),
        "ask_beside_ingest": percentiles(beside),
        "ingest_exit_to_answer_s": round(seen - done, 3),
        "batch_ingest_s": round(done_b - start_b, 1),
        "delete_exit_to_gone_s": round(gone - deleted, 3),
        "rss_mb": memory,  # just after the batch ingest: maybe mid-reload
        "rss_settled_mb": settled,  # VmHWM: the peak over the whole run
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--store", type=Path, help="an existing data dir (default: a fresh 2,344-chunk store)"
    )
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--quiet-seconds", type=float, default=20.0, help="asks measured with no ingest")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    questions = [
        json.loads(line)["question"]
        for line in (EVAL / "squad-dev" / "questions.jsonl").read_text().splitlines()[: args.questions]
    ]
    if args.serve:
        serve(args.serve, questions)
        return
    with tempfile.TemporaryDirectory(prefix="newsdesk-live-store-") as tmp:
        data = args.store or Path(tmp)
        if args.store is None:
            env = {**os.environ, "NEWSDESK_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
            corpus = [str(EVAL / "squad-dev" / "articles.jsonl"), str(EVAL / "wikinews" / "articles.jsonl")]
            subprocess.run([str(NEWSDESK), "ingest", "-q", *corpus], env=env, check=True)
        result = {"store": str(data), **run(data, args.quiet_seconds)}
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "live.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
