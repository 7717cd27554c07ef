"""The debug check of the lock order (common/lock_order.py): a lock waited for while its
thread holds one ranked after it raises, in this process and in a child; a try, a re-entry
and the order itself pass; off by default. The whole suite runs with it on (conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from common import lock_order
from common.lock_order import LockOrderError
from tests.conftest import REPO
from vectorstore.chroma.load_guard import LoadGuard
from vectorstore.embedding import Embedder
from vectorstore.replica.rows import ChunkRows


@pytest.fixture
def raising_only(lock_order_log: Path) -> Iterator[None]:
    """The check on, its violations raised but not written to the suite's log (which would
    fail the test that provokes them on purpose)."""
    lock_order.set_checking("1")
    yield
    lock_order.set_checking(str(lock_order_log))


def test_the_writer_lock_waited_for_under_the_rows_guard_raises(
    settings: Settings, embedder: Embedder, tmp_path: Path, raising_only: None
) -> None:
    store = App(settings, embedder=embedder).store
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    with (
        rows.guard(),
        pytest.raises(LockOrderError, match=r"WRITER .* while it holds ROWS_GUARD"),
        store.writing(),
    ):
        pass
    assert not store.writer_lock.held_here, "the check raised before the lock was taken"
    with store.writing(), rows.guard(), store.writing():  # in order, then re-entered
        pass


def test_a_try_out_of_order_passes_and_a_wait_does_not(tmp_path: Path, raising_only: None) -> None:
    rows, guard = ChunkRows(tmp_path / "rows.sqlite3"), LoadGuard.of(tmp_path)
    with guard.writing(), guard.loading(wait=False):  # a try cannot wait
        pass
    with guard.writing(), pytest.raises(LockOrderError, match="ROWS_GUARD"), rows.guard():
        pass
    # the order of the flip: the rows' guard, then the load guard
    with rows.guard(), guard.writing():
        pass


def test_a_violation_in_a_thread_is_kept(tmp_path: Path, raising_only: None) -> None:
    rows, guard = ChunkRows(tmp_path / "rows.sqlite3"), LoadGuard.of(tmp_path)
    before = len(lock_order.violations())

    def swallowed() -> None:  # as a background thread that only logs its errors
        try:
            with guard.writing(), rows.guard():
                pass
        except LockOrderError:
            pass

    thread = threading.Thread(target=swallowed)
    thread.start()
    thread.join()
    assert "ROWS_GUARD" in lock_order.violations()[before]


_CHILD = """
from pathlib import Path
from vectorstore.chroma.load_guard import LoadGuard
from vectorstore.replica.rows import ChunkRows
rows, guard = ChunkRows(Path({dir!r}) / "rows.sqlite3"), LoadGuard.of(Path({dir!r}))
with guard.writing(), rows.guard():
    print("taken")
"""


def _child(tmp_path: Path, value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != lock_order.ENV}
    if value is not None:
        env[lock_order.ENV] = value
    code = _CHILD.format(dir=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_child_process_writes_its_violation_to_the_file(tmp_path: Path) -> None:
    log = tmp_path / "violations.log"
    child = _child(tmp_path, str(log))
    assert child.returncode != 0 and "taken" not in child.stdout
    assert "ROWS_GUARD (60) waited for" in log.read_text() and "LOAD_GUARD" in log.read_text()


def test_off_by_default(tmp_path: Path) -> None:
    child = _child(tmp_path, None)
    assert child.returncode == 0 and "taken" in child.stdout, child.stderr
