"""Hostile inputs (issue #14), each ingested by its own `python -m ingest` child process.

    .venv/bin/python bench/hostile.py [--only NAME ...] [--repo PATH] [--timeout S]

Generates the inputs in a temporary folder (tests/ingest/hostile_inputs.py, plus big
files and two misbehaving 127.0.0.1 servers), ingests the repository's samples into a
fresh store as a baseline, then runs each case and prints: wall time, the child's peak
memory (os.wait4's rusage, ru_maxrss), the outcome (added/failed and the first reason),
whether a traceback was printed, and whether the store changed (records and their
hashes, read by a child). Refused inputs must leave the store as it was. `--repo` runs
another checkout's code (e.g. the commit before the fix) on the same inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.ingest import hostile_inputs as hostile  # noqa: E402

FINGERPRINT = """
import json, sys
from bot.settings import Settings
from bot.app import App
store = App(Settings()).store
print(json.dumps(sorted((i, r.hash, r.url, r.date) for i, r in store.records().items())))
"""


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path, dict[str, str]], str]  # (folder, servers) -> the target
    refused: bool = True  # the store must not change
    env: tuple[tuple[str, str], ...] = ()


def _file(name: str, data: Callable[[], bytes | str]) -> Callable[[Path, dict[str, str]], str]:
    def make(folder: Path, _: dict[str, str]) -> str:
        body = data()
        path = folder / name
        path.write_bytes(body.encode() if isinstance(body, str) else body)
        return str(path)

    return make


def _prose(size: int) -> str:
    """A long but ordinary article: paragraphs of sentences."""
    paragraph = " ".join([hostile.GOOD_TEXT] * 4)
    return "\n\n".join([paragraph] * (size // (len(paragraph) + 2) + 1))[:size]


def _sparse(name: str, size: int, head: bytes) -> Callable[[Path, dict[str, str]], str]:
    def make(folder: Path, _: dict[str, str]) -> str:
        path = folder / name
        with path.open("wb") as out:
            out.write(head)
            chunk = (hostile.GOOD_TEXT + " ").encode() * 1000
            while out.tell() < size:
                out.write(chunk)
        return str(path)

    return make


CASES = [
    Case("billion-laughs.md", _file("laughs.md", hostile.billion_laughs_md)),
    Case("one-line-1MB.txt", _file("line1.txt", lambda: hostile.one_line_text(1_000_000))),
    Case("one-line-5MB.txt", _file("line5.txt", lambda: hostile.one_line_text(5_000_000))),
    Case("random-64KB.txt", _file("noise.txt", hostile.random_bytes)),
    Case("pdf-flate-300MB", _file("bomb.pdf", lambda: hostile.flate_bomb_pdf(300))),
    Case("jsonl-10MB-line", _file("big.jsonl", lambda: hostile.jsonl_line("big", "word " * 2_000_000))),
    Case("html-40MB", _sparse("big.html", 40_000_000, b"<html><body><p>")),
    Case("text-49MB", _sparse("big.txt", 49_000_000, b"")),
    Case("jsonl-hostile-lines", _file("rows.jsonl", hostile.hostile_jsonl), refused=False),
    Case("url-100k-chars", lambda _f, _s: "http://x.example/" + "a" * 100_000),
    Case("url-256.256.256.256", lambda _f, _s: "http://256.256.256.256/"),
    Case("empty-path", lambda _f, _s: ""),
    Case("trickling-headers", lambda _f, s: s["trickle"], env=(("FETCH_TIMEOUT_S", "20"),)),
    Case("feed-50-slow-entries", lambda _f, s: s["feed"], refused=False, env=(("FETCH_TIMEOUT_S", "2"),)),
    Case("prose-150k-chars.txt", _file("long.txt", lambda: _prose(150_000)), refused=False),
    # issue #24: text stored wrong without an error, and cut-off pages
    Case("trickling-body", lambda _f, s: s["trickle-body"], env=(("FETCH_TIMEOUT_S", "5"),)),
    Case("hang-after-headers", lambda _f, s: s["hang"], env=(("FETCH_TIMEOUT_S", "5"),)),
    Case("latin1-short.txt", _file("fr.txt", lambda: hostile.LATIN1_FRENCH), refused=False),
    Case("utf8-stray-byte.txt", _file("cafe.txt", lambda: hostile.UTF8_STRAY), refused=False),
    Case(
        "feed-impossible-date.rss", _file("far.rss", lambda: hostile.dated_feed("99999-99-99")), refused=False
    ),
    Case("escape-in-file-name", _file("bad\x1b]0;pwned\x07.pdf", lambda: b"not a pdf")),
]


@contextmanager
def _servers() -> Iterator[dict[str, str]]:
    """A server trickling one byte a second, and a feed of 50 entries linking to it; one
    trickling a close-delimited body after its headers; one hanging after its headers."""
    with (
        hostile.trickling_server(1.0, feed_entries=50) as base,
        hostile.trickling_server(0.2, framing="close") as body,
        hostile.trickling_server(1.0, framing="hang") as hang,
    ):
        yield {"trickle": base + "/slow", "feed": base + "/feed", "trickle-body": body + "/slow"} | {
            "hang": hang + "/slow"
        }


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    code: int
    stdout: str
    stderr: str


def _child(args: list[str], repo: Path, env: dict[str, str], timeout: float) -> Run:
    """Run a child to the end (killed at `timeout`), with its own peak memory from wait4."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, cwd=repo, env=env, stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read().decode(), err.read().decode())


def _fingerprint(repo: Path, env: dict[str, str]) -> str:
    return _child([sys.executable, "-c", FINGERPRINT], repo, env, 120).stdout


def _outcome(run: Run) -> str:
    if run.code < 0 or run.code == -9:
        return "killed at the time limit"
    try:
        report = json.loads(run.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return f"exit {run.code}, no JSON summary"
    reasons = [a["reason"] for a in report["articles"] if a.get("reason")]
    first = f"; {reasons[0][:90]}" if reasons else ""
    return f"exit {run.code}: {report['added']} added, {report['failed']} failed{first}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", help="run only these cases")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose code runs")
    parser.add_argument("--timeout", type=float, default=600, help="kill a case after this many seconds")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.only or c.name in args.only]
    with tempfile.TemporaryDirectory(prefix="newsdesk-hostile-") as tmp, _servers() as servers:
        folder, data = Path(tmp) / "inputs", Path(tmp) / "data"
        folder.mkdir()
        base_env = {**os.environ, "NEWSDESK_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
        ingest = [sys.executable, "-m", "ingest"]
        baseline = _child([*ingest, str(REPO / "samples"), "--json"], args.repo, base_env, args.timeout)
        print(
            f"baseline (samples): {baseline.seconds:.1f} s, {baseline.peak_mb:.0f} MB, {_outcome(baseline)}"
        )
        print(f"{'case':24s} {'seconds':>8s} {'peak MB':>8s}  traceback  store  outcome")
        rows = []
        for case in cases:
            target = case.make(folder, servers)
            env = {**base_env, **dict(case.env)}
            before = _fingerprint(args.repo, base_env)
            run = _child([*ingest, target, "--json"], args.repo, env, args.timeout)
            changed = _fingerprint(args.repo, base_env) != before
            traceback = "Traceback" in run.stderr
            store = "changed" if changed else "same"
            flag = " (REFUSED INPUT CHANGED THE STORE)" if case.refused and changed else ""
            print(
                f"{case.name:24s} {run.seconds:8.1f} {run.peak_mb:8.0f}  {'YES' if traceback else 'no':9s}"
                f"  {store:6s} {_outcome(run)}{flag}",
                flush=True,
            )
            rows.append({"case": case.name, "seconds": round(run.seconds, 1), "peak_mb": round(run.peak_mb)})
            Path(target).unlink(missing_ok=True) if target.startswith(str(folder)) else None
    worst = max(rows, key=lambda r: r["peak_mb"]) if rows else None
    print(f"slowest {max((r['seconds'] for r in rows), default=0)} s; highest peak {worst}")


if __name__ == "__main__":
    main()
