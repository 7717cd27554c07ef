"""The stop signals' one handler (common/signals.py): SIGINT and SIGTERM reach the given
function inside the block, an exception it raises surfaces there, and the handlers from
before are back after it."""

from __future__ import annotations

import os
import signal

import pytest

from common.signals import on_stop_signals


def test_sigterm_and_sigint_reach_the_handler_and_the_old_handlers_come_back() -> None:
    seen: list[signal.Signals] = []
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    with on_stop_signals(seen.append):
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
    assert seen == [signal.SIGTERM, signal.SIGINT]
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_an_exception_the_handler_raises_ends_the_block() -> None:
    class StoppedError(Exception):
        pass

    def stop(sig: signal.Signals) -> None:
        raise StoppedError(sig.name)

    with pytest.raises(StoppedError, match="SIGTERM"), on_stop_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is not stop
