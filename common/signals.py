"""Stop signals in a process's main thread: SIGINT and SIGTERM handled by one function for
the length of a block, the handlers before it put back after."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def on_stop_signals(handler: Callable[[signal.Signals], None]) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM call `handler` with the signal (in the main
    thread, between two bytecodes: an exception it raises surfaces in the block)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        handler(signal.Signals(signum))

    previous = {sig: signal.signal(sig, handle) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
