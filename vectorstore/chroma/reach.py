"""Whether a Chroma server answers, for a health check (bot/health.py's /healthz): one
heartbeat at most every `every` seconds, its answer kept meanwhile, and waited for at most
`timeout` seconds (Chroma's HTTP client has no request timeout: the heartbeat runs in a
thread of its own, and one that hangs counts as unreachable until it answers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

EVERY_S = 5.0  # at most one heartbeat this often
TIMEOUT_S = 2.0  # a heartbeat not answered in this time: unreachable


class Reachability:
    def __init__(
        self,
        probe: Callable[[], object],
        where: str,
        every: float | None = None,
        timeout: float | None = None,
    ) -> None:
        self._probe = probe
        self._where = where
        self._every = EVERY_S if every is None else every
        self._timeout = TIMEOUT_S if timeout is None else timeout
        self._lock = threading.Lock()
        self._checked = -float("inf")
        self._problem: str | None = None
        self._running: threading.Thread | None = None

    def problem(self) -> str | None:
        """Why the server is not reachable (as of at most `every` seconds ago), or None."""
        with self._lock:
            if time.monotonic() - self._checked < self._every:
                return self._problem
            if self._running is None or not self._running.is_alive():
                self._running = threading.Thread(target=self._beat, daemon=True, name="chroma-heartbeat")
                self._running.start()
            running = self._running
        running.join(self._timeout)
        with self._lock:
            if running.is_alive():
                self._problem = f"the Chroma server at {self._where} did not answer in {self._timeout:.0f} s"
            self._checked = time.monotonic()
            return self._problem

    def _beat(self) -> None:
        try:
            self._probe()
            problem = None
        except Exception as exc:
            problem = f"the Chroma server at {self._where} is unreachable: {exc}"
        with self._lock:
            self._problem = problem
