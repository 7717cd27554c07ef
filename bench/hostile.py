"""Hostile inputs, each ingested by a child process of its own, and whether each result is
right (the cases: bench/hostile_cases.py).

    .venv/bin/python bench/hostile.py [--only NAME ...] [--repo PATH] [--timeout S]

Generates the inputs in a temporary folder (tests/ingest/hostile_inputs.py: big files,
1 GiB compression bombs, names and text that spoof, and misbehaving 127.0.0.1 servers),
ingests the repository's samples into a fresh store as a baseline, then runs each case
through its door: `newsdesk ingest TARGET --json` (cli), the bot's intake as
`/ingest url:` runs it, in a process built by the composition root (bot: 127.0.0.1
stands for a public site), or a followed feed's poll (watch). It prints: wall time, the
child's peak memory (os.wait4's rusage, ru_maxrss), the outcome, whether a traceback was
printed, whether the store changed (its records, read by a child), the connections and
look-ups the guard stopped, and whether the result is right: a refused input leaves the
store as it was and says why (`reason`), a stored one passes `expect`, and nothing the
child prints holds a raw control, bidi or invisible character (`articles list` is read
too). Each child runs under an audit hook (GUARD) that refuses any connection to an
address other than loopback before a packet is sent, and records the look-up of a
metadata name: no case, on any checkout, reaches the network. `--repo` runs another
checkout's code (e.g. the commit before a fix) on the same inputs.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.hostile_cases import CASES, Case, Records, servers  # noqa: E402
from tests.ingest import hostile_inputs as hostile  # noqa: E402

GUARD = """
import ipaddress, sys
def _guard(event, args):
    if event == "socket.connect" and isinstance(args[1], tuple):
        host = str(args[1][0]).split("%")[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            return
        if not loopback:
            print(f"GUARD connect {host}", file=sys.stderr, flush=True)
            raise OSError(f"the bench's guard refused a connection to {host}")
    elif event == "socket.getaddrinfo" and "metadata" in str(args[0]).lower():
        print(f"GUARD look-up {args[0]}", file=sys.stderr, flush=True)
sys.addaudithook(_guard)
"""
DOORS = {
    "cli": "from bot.cli import main\nmain(['ingest', *sys.argv[1:]], prog_name='newsdesk')\n",
    "bot": """
import ipaddress
from dataclasses import replace
from bot.app import App
from bot.cli_ingest import report_json
from bot.settings import Settings
from bot.terminal import json_line
from ingest.intake import Intake
from ingest.runner import source_options
app = App(Settings())
options = source_options(app.settings)
public = replace(options.fetch, address_allowed=lambda a: a == ipaddress.ip_address("127.0.0.1"))
intake = Intake(app.ingestor, app.store, replace(options, fetch=public))
print(json_line(report_json(intake.ingest_url(sys.argv[1], "4242"))))
""",
    "watch": """
import json
from bot.app import App
from bot.settings import Settings
poller = App(Settings()).feeds
poller.follow(sys.argv[1], "global", 60)
result = poller.poll_one(sys.argv[1], "global")
articles = [{"status": "failed", "reason": result.error}] if result.error else []
summary = {"added": result.added, "failed": result.failed + bool(result.error), "articles": articles}
print(json.dumps(summary))
""",
}
FINGERPRINT = """
import json
from bot.settings import Settings
from bot.app import App
store = App(Settings()).store
keys = ("hash", "url", "date", "title", "author", "source")
print(json.dumps([{"id": i, **{k: getattr(r, k) for k in keys}} for i, r in sorted(store.records().items())]))
"""
LISTED = "from bot.cli import main\nmain(['articles', 'list'])\n"


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
        stdout, stderr = (f.read().decode("utf-8", "replace") for f in (out, err))
        return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr)


def _records(repo: Path, env: dict[str, str]) -> Records:
    records: Records = json.loads(_child([sys.executable, "-c", FINGERPRINT], repo, env, 120).stdout)
    return records


def _summary(run: Run) -> dict[str, Any] | None:
    try:
        summary: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return None
    return summary


def _outcome(run: Run, summary: dict[str, Any] | None) -> str:
    if run.code < 0:
        return "killed at the time limit"
    if summary is None:
        return f"exit {run.code}, no JSON summary"
    reasons = [a["reason"] for a in summary.get("articles", []) if a.get("reason")]
    first = f"; {reasons[0][:100]}" if reasons else ""
    return f"exit {run.code}: {summary.get('added')} added, {summary.get('failed')} failed{first}"


def _raw(text: str) -> set[str]:
    """The raw control, bidi and invisible characters in what a child printed."""
    return {ch for ch in text if ch in hostile.BIDI_AND_INVISIBLE or (ord(ch) < 32 and ch not in "\t\n")} | {
        ch for ch in text if 0x7F <= ord(ch) < 0xA0
    }


def _wrongs(
    case: Case, run: Run, summary: dict[str, Any] | None, before: Records, after: Records
) -> list[str]:
    """What is wrong with a case's result (nothing: right)."""
    wrong = []
    if "Traceback" in run.stderr:
        wrong.append("a traceback")
    if summary is None:
        return [*wrong, "no JSON summary"]
    reasons = " ".join(str(a.get("reason") or "") for a in summary.get("articles", []))
    if case.refused:
        if after != before:
            wrong.append("a refused input changed the store")
        if not summary.get("failed") or case.reason not in reasons:
            wrong.append(f"not refused with a reason saying {case.reason!r}")
    elif case.expect is not None:
        new = [r for r in after if r not in before]
        if (why := case.expect(summary, new)) is not None:
            wrong.append(why)
    if raw := _raw(run.stdout + run.stderr):
        wrong.append(f"raw {sorted(raw)!r} printed")
    return wrong


@dataclass(frozen=True)
class Verdict:
    case: str
    door: str
    seconds: float
    peak_mb: float
    guarded: int  # connections and look-ups the guard stopped
    wrong: list[str]
    outcome: str


def _run_case(case: Case, target: str, repo: Path, env: dict[str, str], timeout: float) -> Verdict:
    before = _records(repo, env)
    child = [sys.executable, "-c", GUARD + DOORS[case.door], target]
    run = _child(child + (["--json"] if case.door == "cli" else []), repo, {**env, **dict(case.env)}, timeout)
    after = _records(repo, env)
    summary = _summary(run)
    wrong = _wrongs(case, run, summary, before, after)
    if after != before:  # what a terminal shows of the stored articles
        listed = _child([sys.executable, "-c", GUARD + LISTED], repo, {**env, "COLUMNS": "300"}, timeout)
        if raw := _raw(listed.stdout):
            wrong.append(f"`articles list` printed raw {sorted(raw)!r}")
    guarded = run.stderr.count("GUARD ")
    if guarded:
        wrong.append(f"{guarded} connection(s) or look-up(s) of a metadata or outside address")
    return Verdict(case.name, case.door, run.seconds, run.peak_mb, guarded, wrong, _outcome(run, summary))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", help="run only these cases")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose code runs")
    parser.add_argument("--timeout", type=float, default=600, help="kill a case after this many seconds")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.only or c.name in args.only]
    print(f"{len(cases)} cases; making the inputs and servers (1 GiB bombs) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="newsdesk-hostile-") as tmp, servers() as urls:
        folder, data = Path(tmp) / "inputs", Path(tmp) / "data"
        folder.mkdir()
        env = {**os.environ, "NEWSDESK_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
        env.pop("FETCH_ALLOW_PRIVATE", None)
        baseline = _child(
            [sys.executable, "-m", "ingest", str(REPO / "samples"), "--json"], args.repo, env, 600
        )
        outcome = _outcome(baseline, _summary(baseline))
        print(f"baseline (samples): {baseline.seconds:.1f} s, {baseline.peak_mb:.0f} MB, {outcome}")
        print(f"{'case':30s} {'door':5s} {'seconds':>7s} {'peak MB':>7s}  result  outcome")
        verdicts = []
        for case in cases:
            target = case.make(folder, urls)
            verdict = _run_case(case, target, args.repo, env, args.timeout)
            verdicts.append(verdict)
            result = "right" if not verdict.wrong else "WRONG: " + "; ".join(verdict.wrong)
            figures = f"{verdict.seconds:7.1f} {verdict.peak_mb:7.0f}"
            print(f"{case.name:30s} {case.door:5s} {figures}  {result}  {verdict.outcome}", flush=True)
    worst = max(verdicts, key=lambda v: v.peak_mb)
    wrong = [v.case for v in verdicts if v.wrong]
    guarded = sum(v.guarded for v in verdicts)
    print(
        f"{len(verdicts)} cases: {len(wrong)} wrong {wrong}; {guarded} connections or look-ups of a "
        f"metadata or outside address; highest peak {worst.peak_mb:.0f} MB ({worst.case}); "
        f"slowest {max(v.seconds for v in verdicts):.1f} s"
    )
    out = REPO / "bench" / "results" / "hostile.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps([v.__dict__ for v in verdicts], indent=1))


if __name__ == "__main__":
    main()
