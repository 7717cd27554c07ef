"""Name look-ups that keep a fetch's deadline.

`socket.getaddrinfo` takes no timeout: a resolver that does not answer would hold a
fetch for as long as the system's resolver retries (30 s and more), past FETCH_TIMEOUT_S.
Each look-up runs on a daemon thread of its own and the fetch waits for it only for the
time it has left; a look-up that outlives its fetch finishes on its thread, unread, and
never holds the process's exit (a pool's threads would: they are joined at exit).
"""

from __future__ import annotations

import socket
import threading
from typing import Any


class LookupTimeoutError(OSError):
    """The name was not resolved in the time the fetch had left."""


def getaddrinfo(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """`socket.getaddrinfo(host, port)` for TCP, or LookupTimeoutError after `timeout`
    seconds (socket.gaierror and the rest as the look-up raised them)."""
    found: list[Any] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            found.append(list(socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)))
        except BaseException as exc:  # handed to the waiting fetch
            found.append(exc)
        finally:
            done.set()

    threading.Thread(target=look_up, name=f"dns {host[:40]}", daemon=True).start()
    if not done.wait(max(timeout, 0.0)):
        raise LookupTimeoutError(f"looking up {host} took longer than {timeout:.3g} s")
    if isinstance(found[0], BaseException):
        raise found[0]
    result: list[tuple[Any, ...]] = found[0]
    return result


def addresses(host: str, port: int, timeout: float) -> list[str]:
    """The distinct addresses `host` resolves to, in the resolver's order."""
    out: list[str] = []
    for info in getaddrinfo(host, port, timeout):
        address = str(info[4][0])
        if address not in out:
            out.append(address)
    return out
