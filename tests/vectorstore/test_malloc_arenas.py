"""few_malloc_arenas (vectorstore/system.py): threads that allocate at once share glibc's
arenas instead of each getting one, measured in a real process by malloc_info."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

_CHILD = """
import ctypes, sys, threading
from vectorstore.system import few_malloc_arenas
if sys.argv[1] == "few":
    few_malloc_arenas()
together = threading.Barrier(8)
def allocate():
    kept = [bytearray(2000) for _ in range(2000)]
    together.wait()  # every thread alive at once: none hands its arena on to another
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
out = ctypes.c_void_p(libc.fopen(sys.argv[2].encode(), b"w"))
libc.malloc_info(0, out)
libc.fclose(out)
"""


def _arenas(tmp_path: Path, mode: str, env: dict[str, str] | None = None) -> int:
    report = tmp_path / f"{mode}.xml"
    subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(report)], cwd=REPO, env=env, check=True, timeout=120
    )
    return len(re.findall(r"<heap nr=", report.read_text()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_threads_allocating_at_once_share_two_arenas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vectorstore.system import MALLOC_ARENAS

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert _arenas(tmp_path, "few") <= MALLOC_ARENAS < _arenas(tmp_path, "default"), (
        "without the limit the 8 threads get arenas of their own"
    )


def test_an_operators_malloc_arena_max_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert 2 < _arenas(tmp_path, "few", dict(os.environ)) <= 4
