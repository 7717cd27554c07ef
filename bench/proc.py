"""What the memory benches share: a process's RSS and peak from /proc or wait4, the
environment of a newsdesk process, and the ONNX model exported once (as `make install`
does). Used by bench/memory.py and bench/onnx_memory.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def status(pid: int | str = "self") -> dict[str, float]:
    """VmRSS and VmHWM (the peak) of a process, in MB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def environment(data: Path, onnx: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "EMBEDDING_", "CHROMA_"))}
    return keep | {
        "NEWSDESK_DATA_DIR": str(data),
        "EMBEDDING_ONNX_DIR": str(onnx),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
        **extra,
    }


def finished(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, peak MB, exit code) of a command run to its end (wait4: its own peak)."""
    t0 = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, code, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(code)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, child.returncode


class Sampled:
    """A running process's RSS, sampled every 0.2 s."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.samples: list[float] = []
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.samples.append(status(self.process.pid)["VmRSS"])
            except (FileNotFoundError, KeyError, ProcessLookupError):
                return

    def now(self) -> float:
        return status(self.process.pid)["VmRSS"]

    def peak(self) -> float:
        return status(self.process.pid)["VmHWM"]

    def stop(self) -> int:
        self._stop.set()
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def wait_until(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {within} s for {what}")
        time.sleep(0.2)


def exported(onnx: Path) -> Path:
    """The ONNX model exported into `onnx` once (what `make install` does)."""
    env = environment(onnx.parent, onnx)
    subprocess.run([PYTHON, "-m", "vectorstore.embedding.export"], env=env, check=True, capture_output=True)
    return onnx
