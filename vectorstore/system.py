"""What the store asks of the operating system: `flocked`, an advisory lock on a file for
a block (`fcntl.flock`; the kernel drops it when its holder dies, even by SIGKILL, so
nothing is left to recover), `give_back_memory` and `few_malloc_arenas`."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def flocked(path: Path, exclusive: bool = True, wait: bool = True) -> Iterator[bool]:
    """Hold a flock of `path` (made if missing) for the block; yields whether it was taken
    (False only without `wait`, while another process holds it against this one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the flock


def give_back_memory() -> None:
    """Return the memory freed since to the system: glibc keeps it for the process
    otherwise (a stopped Chroma index, an embedding's working memory)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


MALLOC_ARENAS = 2  # glibc's malloc arenas for a long-running process (bench/memory.py)
_M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)


def few_malloc_arenas() -> None:
    """Let glibc's malloc keep at most MALLOC_ARENAS arenas, before the process starts its
    threads (the long-running processes call it: the bot's run_bot, `newsdesk watch`).
    Otherwise each thread that allocates while another does gets an arena of its
    own (up to 8 per core), and what one arena frees serves no other: a bot with the
    newsroom fed 1,000 articles peaked at 495 MB and ended at 428 with glibc's default, at
    441 and 404 with two (bench/memory.py, the two side by side). An operator's
    MALLOC_ARENA_MAX is kept."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
