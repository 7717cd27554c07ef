"""Name look-ups that keep a fetch's deadline.

`socket.getaddrinfo` takes no timeout: a resolver that does not answer would hold a
fetch for as long as the system's resolver retries (30 s and more), past FETCH_TIMEOUT_S.
Look-ups run on a few shared threads and the fetch waits for them only for the time it
has left; a look-up that outlives its fetch finishes on its thread, unread.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

LOOKUP_THREADS = 8
_POOL = ThreadPoolExecutor(max_workers=LOOKUP_THREADS, thread_name_prefix="dns")


class LookupTimeoutError(OSError):
    """The name was not resolved in the time the fetch had left."""


def getaddrinfo(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """`socket.getaddrinfo(host, port)` for TCP, or LookupTimeoutError after `timeout` seconds
    (socket.gaierror and the rest as the look-up raised them)."""
    lookup = _POOL.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        return list(lookup.result(timeout=max(timeout, 0.0)))
    except FutureTimeout:
        lookup.cancel()
        raise LookupTimeoutError(f"looking up {host} took longer than {timeout:.3g} s") from None


def addresses(host: str, port: int, timeout: float) -> list[str]:
    """The distinct addresses `host` resolves to, in the resolver's order."""
    found: list[str] = []
    for info in getaddrinfo(host, port, timeout):
        address = str(info[4][0])
        if address not in found:
            found.append(address)
    return found
