"""One-per-process registries: the one object of a key (a data dir, a store, a model's
configuration) that every part of the process shares, made on first ask, under a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerProcess(Generic[K, V]):
    """The process's objects by key. `most`: how many are kept (the least recently asked
    for is forgotten first, as functools.lru_cache does); None keeps them all."""

    def __init__(self, most: int | None = None) -> None:
        self._items: dict[K, V] = {}
        self._lock = threading.Lock()
        self._most = most

    def get(self, key: K, make: Callable[[], V], usable: Callable[[V], bool] | None = None) -> V:
        """The object of `key`, made by `make` when there is none yet, or when `usable`
        says the one there is no longer serves."""
        with self._lock:
            item = self._items.get(key)
            if item is None or (usable is not None and not usable(item)):
                item = make()  # a failed make leaves the one there
            self._items.pop(key, None)  # put back last: the most recently asked for
            self._items[key] = item
            if self._most is not None and len(self._items) > self._most:
                del self._items[next(iter(self._items))]
            return item
