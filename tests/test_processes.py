"""The harness's own promise (tests/processes.py, tests/conftest.py): a test that leaves a
process running, or a grandchild whose parent died, fails, and the process is ended; a
test's `children` are ended when it fails, a stopped one too. Run on a suite of its own
(pytester, in a subprocess) that does exactly that."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.processes import children_of

LEAKY = """
import signal, subprocess, sys
from pathlib import Path

SLEEP = [sys.executable, "-c", "import time; time.sleep(300)"]

def test_leaves_its_child_running(tmp_path):
    proc = subprocess.Popen(SLEEP)
    Path({out!r}, "child").write_text(str(proc.pid))

def test_leaves_a_grandchild_whose_parent_died(tmp_path):
    sh = subprocess.run(["sh", "-c", "sleep 300 > /dev/null 2>&1 & echo $!"], capture_output=True, text=True)
    Path({out!r}, "grandchild").write_text(sh.stdout.strip())

def test_fails_with_its_process_stopped(children):
    proc = children.popen(SLEEP)
    Path({out!r}, "stopped").write_text(str(proc.pid))
    proc.send_signal(signal.SIGSTOP)
    assert False, "failed on purpose"
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_a_process_that_outlives_its_test_fails_it_and_is_ended(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pids"
    out.mkdir()
    pytester.makeconftest(
        "from tests.conftest import children, no_process_outlives_its_test, process_guard  # noqa: F401"
    )
    pytester.makepyfile(test_leaky=LEAKY.format(out=str(out)))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    result.assert_outcomes(passed=2, failed=1, errors=2)
    result.stdout.fnmatch_lines(["*outlived their test*sleep*"])
    pids = {name: int((out / name).read_text()) for name in ("child", "grandchild", "stopped")}
    assert not [name for name, pid in pids.items() if _running(pid)], "ended, each of them"
    assert not children_of(pids["stopped"]), "and nothing of theirs"
