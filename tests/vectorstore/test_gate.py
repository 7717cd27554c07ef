from __future__ import annotations

import threading
import time

import pytest

from vectorstore.chroma.gate import Gate


def test_a_swap_waits_for_the_read_under_way_and_holds_new_reads_back() -> None:
    gate, events = Gate(), []
    reading, swapping = threading.Event(), threading.Event()

    def reader() -> None:
        with gate.shared():
            reading.set()
            swapping.wait(5)
            time.sleep(0.1)  # the swap has been asked for: it must not start before this read ends
            events.append("read done")

    def swapper() -> None:
        reading.wait(5)
        swapping.set()
        with gate.exclusive():
            events.append("swap")
            time.sleep(0.1)
            events.append("swap done")

    def late_reader() -> None:
        swapping.wait(5)
        deadline = time.monotonic() + 5
        while not gate._swapping and time.monotonic() < deadline:  # arrives while the swap waits
            time.sleep(0.005)
        with gate.shared():
            events.append("late read")

    threads = [threading.Thread(target=f) for f in (reader, swapper, late_reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert events == ["read done", "swap", "swap done", "late read"]


def test_a_read_inside_a_read_does_not_wait_for_a_swap_that_waits_for_it() -> None:
    gate = Gate()
    outer_in, nested_done = threading.Event(), threading.Event()
    swap = threading.Thread(target=lambda: (outer_in.wait(5), gate.exclusive().__enter__()))

    def read_twice() -> None:
        with gate.shared():
            outer_in.set()
            time.sleep(0.1)  # the swap is now waiting for this read
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
