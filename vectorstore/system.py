"""What the store asks of the operating system: `flocked`, an advisory lock on a file for
a block (`fcntl.flock`; the kernel drops it when its holder dies, even by SIGKILL, so
nothing is left to recover), and `give_back_memory`."""

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
