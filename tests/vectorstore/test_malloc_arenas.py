"""few_malloc_arenas (vectorstore/system.py): threads that allocate at once share glibc's
arenas instead of each getting one, measured in a real process by malloc_info."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import ARENA_PROBE, arenas_in

_CHILD = (
    ARENA_PROBE
    + """
import sys
from vectorstore.system import few_malloc_arenas
if sys.argv[1] == "few":
    few_malloc_arenas()
count_arenas(sys.argv[2])
"""
)


def _arenas(tmp_path: Path, mode: str, env: dict[str, str] | None = None) -> int:
    report = tmp_path / f"{mode}.xml"
    subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(report)], cwd=REPO, env=env, check=True, timeout=120
    )
    return arenas_in(report)


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
