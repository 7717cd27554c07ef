"""Real processes for the store's tests: a Chroma server, and a long-lived reader
(live_reader.py) whose reports a test follows."""

from __future__ import annotations

import json
import os
import socket
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

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ChromaRun:
    port: int
    pid: int


@contextmanager
def chroma_run(path: Path) -> Iterator[ChromaRun]:
    """A real `chroma run` on a free loopback port, its data in `path`, stopped on exit."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("chroma run exited") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("chroma run did not start in 30 s") from None
                time.sleep(0.2)
        yield ChromaRun(port, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A real `chroma run` on a free loopback port, stopped after the test."""
    with chroma_run(tmp_path / "server") as server:
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

    def seen(self, code: str, found: bool, since: float, after: float, timeout: float = 30) -> float:
        """Seconds from `after` (a writer's exit) until the reader reported `code` as found
        (or gone) in an event later than `since` (the writer's start); 0 if before exit."""
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
def reader_of(tmp_path: Path) -> Iterator[ReaderOf]:
    started: list[Reader] = []

    def start(env: dict[str, str], codes: list[str]) -> Reader:
        proc = subprocess.Popen(
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
        reader.proc.wait(timeout=30)
