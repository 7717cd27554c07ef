from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from vectorstore.chroma.gate import Gate


def _until(state: Callable[[], bool], what: str) -> None:
    """Wait for a state of the gate (not for a time that stands in for it)."""
    deadline = time.monotonic() + 5
    while not state():
        assert time.monotonic() < deadline, f"the gate never reached: {what}"
        time.sleep(0.002)


def test_a_swap_waits_for_the_read_under_way_and_holds_new_reads_back() -> None:
    gate, events, failures = Gate(), [], []
    reading = threading.Event()

    def late_reader() -> None:
        with gate.shared():
            events.append("late read")

    late = threading.Thread(target=late_reader)

    def reader() -> None:
        try:
            with gate.shared():
                reading.set()
                _until(gate.swap_asked, "a swap asked for while this read runs")
                late.start()  # a read arriving while the swap waits for this one
                _until(lambda: gate.held_back() == 1, "the late read held back")
                events.append("read done")
        except AssertionError as exc:
            failures.append(str(exc))

    def swapper() -> None:
        reading.wait(5)
        with gate.exclusive():
            events.append("swap")
            events.append("swap done")

    threads = [threading.Thread(target=f) for f in (reader, swapper)]
    for t in threads:
        t.start()
    for t in [*threads, late]:
        t.join(10)
    assert not failures and events == ["read done", "swap", "swap done", "late read"], (failures, events)


def test_a_read_inside_a_read_does_not_wait_for_a_swap_that_waits_for_it() -> None:
    gate = Gate()
    outer_in, nested_done = threading.Event(), threading.Event()
    swap = threading.Thread(target=lambda: (outer_in.wait(5), gate.exclusive().__enter__()))

    def read_twice() -> None:
        with gate.shared():
            outer_in.set()
            _until(gate.swap_asked, "the swap waiting for this read")
            with gate.shared():
                nested_done.set()

    reader = threading.Thread(target=read_twice)
    reader.start()
    swap.start()
    reader.join(5)
    assert nested_done.is_set()
    swap.join(5)
    assert not swap.is_alive(), "the swap went ahead once the read ended"


def test_a_reader_cannot_swap_what_it_reads() -> None:
    gate = Gate()
    with gate.shared(), pytest.raises(RuntimeError), gate.exclusive():
        pass
    assert not gate.reading()
