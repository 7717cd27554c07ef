from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


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
