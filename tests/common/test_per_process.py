"""One-per-process registries (common/per_process.py): one object per key however many
threads ask at once, a new one when the one there no longer serves, the least recently asked for
forgotten beyond `most`, and a failed make leaves the one there."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.per_process import PerProcess


def test_threads_asking_at_once_share_one_object_made_once() -> None:
    made: list[object] = []
    registry: PerProcess[str, object] = PerProcess()
    start = threading.Barrier(8)

    def make() -> object:
        time.sleep(0.05)
        made.append(object())
        return made[-1]

    def ask(_: int) -> object:
        start.wait()
        return registry.get("a", make)

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(ask, range(8)))
    assert len(made) == 1 and all(g is made[0] for g in got)
    assert registry.get("b", object) is not made[0]


def test_one_that_no_longer_serves_is_replaced_and_a_failed_make_keeps_it() -> None:
    registry: PerProcess[str, list[str]] = PerProcess()
    first = registry.get("k", lambda: ["m1"])
    assert registry.get("k", lambda: ["m2"], lambda item: item == ["m1"]) is first
    second = registry.get("k", lambda: ["m2"], lambda item: item == ["m2"])
    assert second == ["m2"] and second is not first

    def fail() -> list[str]:
        raise RuntimeError("cannot open")

    with pytest.raises(RuntimeError):
        registry.get("k", fail, lambda item: False)
    assert registry.get("k", fail) is second


def test_beyond_most_the_least_recently_asked_for_is_forgotten() -> None:
    registry: PerProcess[int, object] = PerProcess(most=2)
    one, two = registry.get(1, object), registry.get(2, object)
    registry.get(3, object)
    assert registry.get(2, object) is two
    assert registry.get(1, object) is not one


def test_one_asked_for_again_is_kept_beyond_most() -> None:
    registry: PerProcess[int, object] = PerProcess(most=2)
    one = registry.get(1, object)
    registry.get(2, object)
    registry.get(1, object)  # in use again: 2 is now the least recently asked for
    registry.get(3, object)
    assert registry.get(1, object) is one
