"""A fleet of real processes for tests and bench/fleet.py: `python -m bot`
processes holding shards and `newsdesk watch`, all on one `chroma run` on 127.0.0.1 and one
data dir (one host), each with its /healthz and /metrics on a port of its own (METRICS_PORT=0:
each binds a free one itself; the test reads which from /proc, tests/processes.py)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.bot.discord_standin import DiscordStandIn
from tests.processes import Children, listening_ports

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET http://127.0.0.1:port/path: the status and body (0 when nothing listens)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""  # not listening yet, or gone


async def samples(port: int) -> Samples:
    """The process's /metrics, parsed by prometheus_client's own parser ({} when it does not answer)."""
    status, body = await asyncio.to_thread(get, port, "/metrics")
    if status != 200:
        return {}
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


@dataclass
class Member:
    """One process of the fleet."""

    name: str
    process: asyncio.subprocess.Process
    stderr: bytearray = field(default_factory=bytearray)
    _port: int = 0

    @property
    def port(self) -> int:
        """The port its /healthz and /metrics are on, once it listens (0 before)."""
        if not self._port:
            ports = listening_ports(self.process.pid)
            self._port = ports[0] if len(ports) == 1 else 0
        return self._port

    @property
    def text(self) -> str:
        return self.stderr.decode(errors="replace")

    async def healthz(self) -> int:
        return (await asyncio.to_thread(get, self.port, "/healthz"))[0]

    async def samples(self) -> Samples:
        return await samples(self.port)

    async def value(self, name: str, **labels: str) -> float:
        return (await self.samples()).get((name, tuple(sorted(labels.items()))), 0.0)

    def memory_mb(self, key: str = "VmRSS") -> float:
        """Resident memory now (VmRSS) or at its peak (VmHWM), in MB."""
        return status_mb(self.process.pid, key)


def status_mb(pid: int, key: str = "VmRSS") -> float:
    """A memory figure of /proc/PID/status, in MB (0 once the process is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith(f"{key}:")), 0.0)


class Fleet:
    """Starts the processes (by `children`: the test's, or its own); `close()` ends what is
    still running."""

    def __init__(
        self,
        data: Path,
        chroma_port: int,
        onnx_dir: Path,
        discord: DiscordStandIn,
        guilds: str,
        children: Children | None = None,
    ) -> None:
        self.data, self.chroma_port, self.onnx_dir = data, chroma_port, onnx_dir
        self.discord, self.guilds = discord, guilds
        self.children = children or Children()
        self.members: list[Member] = []
        self._readers: list[asyncio.Task[None]] = []

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: os.environ[k] for k in ("PATH", "HOME", "PYTHONPATH") if k in os.environ}
        return {
            **base,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            "NEWSDESK_DATA_DIR": str(self.data),
            "EMBEDDING_ONNX_DIR": str(self.onnx_dir),
            "CHROMA_HOST": "127.0.0.1",
            "CHROMA_PORT": str(self.chroma_port),
            "POLLER_LEASE_S": "3",  # a dead poller is replaced within seconds
            "WRITER_LEASE_S": "5",
            "INGEST_NICE": "0",
            "LOG_LEVEL": "INFO",
            **extra,
        }

    async def _start(self, name: str, args: list[str], env: dict[str, str]) -> Member:
        process = await self.children.exec(
            *args,
            cwd=self.data.parent,
            env={**env, "METRICS_PORT": "0"},  # any free port, bound by the process itself
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        member = Member(name, process)
        assert process.stderr is not None
        self._readers.append(asyncio.create_task(_drain(process.stderr, member.stderr)))
        self.members.append(member)
        return member

    async def bot(self, shard_ids: str | None, shard_count: int | None = 2, **extra: str) -> Member:
        settings = {
            "DISCORD_TOKEN": self.discord.state.token,
            "DISCORD_API_BASE": self.discord.api_base,
            "DISCORD_GUILD_IDS": self.guilds,
            "ASK_RATE": "100000",
            **({"SHARD_COUNT": str(shard_count)} if shard_count else {}),
            **({"SHARD_IDS": shard_ids} if shard_ids is not None else {}),
            **extra,
        }
        return await self._start(
            f"bot {shard_ids or 'all'}", [sys.executable, "-m", "bot"], self.env(**settings)
        )

    async def watch(self, **extra: str) -> Member:
        newsdesk = str(Path(sys.executable).with_name("newsdesk"))
        return await self._start("watch", [newsdesk, "watch"], self.env(**extra))

    async def ready(self, member: Member, within: float) -> None:
        """Until its /healthz says 200; fails if it exits first or takes longer."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert member.process.returncode is None, f"{member.name} exited:\n{member.text}"
            if await member.healthz() == 200:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{member.name} not ready within {within} s:\n{member.text}")

    async def close(self) -> None:
        await self.children.aend_all()
        await asyncio.gather(*self._readers, return_exceptions=True)


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)
