"""Real processes for the store's tests: a Chroma server, and a long-lived reader
(live_reader.py) whose reports a test follows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.processes import Children, listening_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class ChromaRun:
    port: int
    pid: int


@contextmanager
def chroma_run(path: Path, children: Children | None = None) -> Iterator[ChromaRun]:
    """A real `chroma run` on 127.0.0.1, its data in `path`, stopped on exit. It binds port
    0 (any free port: no port is picked for it and let go first) and prints
    "localhost:0", so its port is read from /proc (tests/processes.py). Started by
    `children` (the test's) or by its own, ended on exit either way."""
    runner = children if children is not None else Children()
    chroma = Path(sys.executable).with_name("chroma")
    proc = runner.popen(
        [str(chroma), "run", "--host", "127.0.0.1", "--port", "0", "--path", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = listening_port(proc.pid, within=60, alive=lambda: proc.poll() is None)
        yield ChromaRun(port, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        finally:
            if runner is not children:
                runner.end_all()


@pytest.fixture
def chroma_server(tmp_path: Path, children: Children) -> Iterator[int]:
    """A real `chroma run` on a loopback port of its choosing, stopped after the test."""
    with chroma_run(tmp_path / "server", children) as server:
        yield server.port


@dataclass
class Reader:
    """The reader process and what it printed."""

    proc: subprocess.Popen[str]
    events: list[dict[str, Any]] = field(default_factory=list)

    def follow(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.append(json.loads(line))

    def seen(self, code: str, found: bool, since: float, after: float, timeout: float = 120) -> float:
        """Seconds from `after` (a writer's exit) until the reader reported `code` as found
        (or gone) in an event later than `since` (the writer's start); 0 if before exit.
        `timeout` is not a speed goal: a reader that never sees it fails there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.events:
                if e.get("code") == code and e["found"] == found and e["t"] >= since:
                    return max(0.0, float(e["t"]) - after)
            time.sleep(0.05)
        pytest.fail(f"the reader never saw {code} {'appear' if found else 'go'}; events: {self.events}")

    def found(self, code: str) -> bool:
        """Whether the reader's last report on `code` says it is found."""
        reports = [e["found"] for e in self.events if e.get("code") == code]
        return bool(reports and reports[-1])

    def errors(self) -> list[dict[str, Any]]:
        return [e for e in self.events if "error" in e]


def live_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), **extra}


ReaderOf = Callable[[dict[str, str], list[str]], Reader]


@pytest.fixture
def reader_of(tmp_path: Path, children: Children) -> Iterator[ReaderOf]:
    started: list[Reader] = []

    def start(env: dict[str, str], codes: list[str]) -> Reader:
        proc = children.popen(
            [sys.executable, "-m", "tests.vectorstore.live_reader", str(tmp_path / "stop"), *codes],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        reader = Reader(proc)
        threading.Thread(target=reader.follow, daemon=True).start()
        deadline = time.monotonic() + 60
        while not any(e.get("ready") for e in reader.events):
            assert proc.poll() is None and time.monotonic() < deadline, "the reader did not start"
            time.sleep(0.05)
        started.append(reader)
        return reader

    yield start
    (tmp_path / "stop").touch()
    for reader in started:
        reader.proc.wait(timeout=30)  # stopped by the stop file; else killed by `children`
