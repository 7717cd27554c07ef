"""Every process a test starts is ended by the test, pass or fail, and none outlives it.

- `Children` (the `children` fixture, tests/conftest.py) starts a test's processes, each
  the leader of a process group of its own, and ends them all when the test ends: SIGCONT
  first (a process the test stopped with SIGSTOP cannot die until it runs again), then
  SIGKILL to its group, by PID, then waits for it.
- `Guard` (the session's `process_guard` fixture) makes the test process a child
  subreaper (prctl PR_SET_CHILD_SUBREAPER, Linux): a grandchild whose parent died is
  adopted by the test process rather than by init, so it is seen too. After each test,
  `outliving()` lists the test process's children still running; the check ends them and
  fails the test that left them.
- `listening_port(pid)`: the port a child bound itself (port 0, the kernel's choice), read
  from /proc, for servers that cannot say which port they got (`chroma run --port 0`
  prints "localhost:0").
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


@dataclass(frozen=True)
class Child:
    """A process of the test process, as /proc shows it."""

    pid: int
    state: str  # R, S, D, T (stopped), Z (zombie: dead, not yet waited for) ...
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.state}): {self.command[:160]}"


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, from /proc/PID/stat; None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name in parentheses may hold spaces
    return fields[0], int(fields[1])


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def children_of(parent: int) -> list[Child]:
    """The processes whose parent is `parent` now, zombies included."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _stat(int(entry))
        if stat is not None and stat[1] == parent:
            out.append(Child(int(entry), stat[0], _command(int(entry))))
    return out


def end(pid: int) -> None:
    """SIGCONT, then SIGKILL, to the process's group when it leads one (what it started
    dies with it), else to the process; nothing when it is gone."""
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return
    send: Callable[[int, int], None] = os.killpg if group == pid else os.kill
    for sig in (signal.SIGCONT, signal.SIGKILL):
        try:
            send(pid, sig)
        except ProcessLookupError:
            return


class Children:
    """The processes one test starts; `end_all()` (the fixture's finaliser) ends them."""

    def __init__(self) -> None:
        self._popen: list[subprocess.Popen[Any]] = []
        self._async: list[asyncio.subprocess.Process] = []

    def popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """subprocess.Popen, its process the leader of a new process group."""
        proc: subprocess.Popen[Any] = subprocess.Popen(args, start_new_session=True, **kwargs)
        self._popen.append(proc)
        return proc

    async def exec(self, *args: str, **kwargs: Any) -> asyncio.subprocess.Process:
        """asyncio.create_subprocess_exec, its process the leader of a new process group."""
        proc = await asyncio.create_subprocess_exec(*args, start_new_session=True, **kwargs)
        self._async.append(proc)
        return proc

    def end_all(self) -> None:
        """End every process still running and wait for the ones started by `popen` (an
        asyncio one is waited for by its event loop: `aend_all`)."""
        for proc in self._popen:
            if proc.poll() is None:
                end(proc.pid)
        for aproc in self._async:
            if aproc.returncode is None:
                end(aproc.pid)
        for proc in self._popen:
            proc.wait(timeout=30)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()

    async def aend_all(self) -> None:
        """`end_all`, and wait for the asyncio processes on this event loop."""
        self.end_all()
        for aproc in self._async:
            await asyncio.wait_for(aproc.wait(), 30)


class Guard:
    """The test process as a subreaper, and the check that no child outlives its test."""

    def __init__(self) -> None:
        self.me = os.getpid()
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")

    def outliving(self, grace_s: float = 5.0) -> list[Child]:
        """The children still running (a zombie is dead: its waiter reaps it). A child that
        was just killed may need a moment to die: looked at again until `grace_s` passed."""
        deadline = time.monotonic() + grace_s
        while True:
            running = [c for c in children_of(self.me) if c.state not in ("Z", "X")]
            if not running or time.monotonic() >= deadline:
                return running
            time.sleep(0.1)

    def end(self, leftover: list[Child]) -> None:
        """End what a test left running, and reap it."""
        for child in leftover:
            end(child.pid)
        for child in leftover:
            with contextlib.suppress(ChildProcessError):  # its Popen, or asyncio's watcher, reaped it
                os.waitpid(child.pid, 0)

    def reap_orphans(self) -> None:
        """Reap zombies nobody waits for (grandchildren the subreaper adopted)."""
        for child in children_of(self.me):
            if child.state == "Z":
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(child.pid, os.WNOHANG)


def listening_port(pid: int, within: float, alive: Callable[[], bool] = lambda: True) -> int:
    """The TCP port process `pid` listens on, once it does (one port: more is an error);
    fails after `within` seconds or when `alive()` says it exited."""
    deadline = time.monotonic() + within
    while True:
        ports = listening_ports(pid)
        if len(ports) > 1:
            raise RuntimeError(f"process {pid} listens on {ports}: which one is meant?")
        if ports:
            return ports[0]
        if not alive():
            raise RuntimeError(f"process {pid} exited before it listened")
        if time.monotonic() > deadline:
            raise RuntimeError(f"process {pid} did not listen within {within:g} s")
        time.sleep(0.1)


def listening_ports(pid: int) -> list[int]:
    """The TCP ports process `pid` listens on: its sockets' inodes (/proc/PID/fd) matched
    with the listening sockets of /proc/net/tcp and tcp6."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return []
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return sorted(set(ports))
