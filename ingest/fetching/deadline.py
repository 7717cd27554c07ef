"""One deadline for a whole fetch (connect, headers, body, every redirect), not a limit
per read: httpx's timeouts apply to each socket operation, so a server that sends a byte
a second would never trip them. The client's network backend (httpcore's own, wrapped)
gives every connect, read and write only the time left, and a timer shuts the sockets
down at the deadline in case one operation (a TLS record) takes many reads. Name
look-ups, the check's and the connection's, keep the deadline too (resolver.py).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

import ingest.fetching.resolver as resolver
from ingest.fetching.addresses import AddressRule, parse_address


class Deadline:
    """The end of one fetch: the time left for each socket operation, and a timer that
    shuts the fetch's sockets down when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def left(self, timeout: float | None, error: type[Exception]) -> float:
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise error(f"the {self.seconds:g} s deadline passed")
        return remaining if timeout is None else min(timeout, remaining)

    def watch(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _DeadlineStream:
        left = self._deadline.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Sockets that keep the fetch's deadline, connected only to the addresses `rule`
    allows: each address the name resolves to is checked before it is connected to, and
    the connected socket's peer again, so a name that resolves to a public address when
    checked and to a private one when connecting (DNS rebinding) gets no packet sent."""

    def __init__(self, deadline: Deadline, rule: AddressRule) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline
        self._rule = rule

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in self._resolve(host, port, timeout):
            refusal = self._rule.refusal(host, [parse_address(address)])
            if refusal is not None:
                error = httpcore.ConnectError(refusal)
                continue
            left = self._deadline.left(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._inner.connect_tcp(address, port, left, local_address, socket_options)
            except httpcore.ConnectError as exc:  # the next address, as create_connection does
                error = exc
                continue
            return self._checked(stream, host)
        raise error

    def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The host's addresses, looked up within the time the fetch has left."""
        try:
            return resolver.addresses(host, port, self._deadline.left(timeout, httpcore.ConnectTimeout))
        except resolver.LookupTimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc

    def _checked(self, stream: httpcore.NetworkStream, host: str) -> httpcore.NetworkStream:
        """The connected stream, watched by the deadline; refused when the rule refuses its peer."""
        sock = stream.get_extra_info("socket")
        refusal = self._rule.refusal(host, [parse_address(str(sock.getpeername()[0]))])
        if refusal is not None:
            stream.close()
            raise httpcore.ConnectError(refusal)
        self._deadline.watch(sock)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose sockets keep `deadline` and `rule`."""

    def __init__(self, deadline: Deadline, rule: AddressRule) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_DeadlineBackend(deadline, rule)
        )


def deadline_client(deadline: Deadline, headers: dict[str, str], rule: AddressRule) -> httpx.Client:
    """An httpx client whose every request ends by `deadline` (redirects not followed) and
    whose every connection goes to an address `rule` allows."""
    return httpx.Client(
        transport=_DeadlineTransport(deadline, rule),
        timeout=deadline.seconds,
        follow_redirects=False,
        headers=headers,
    )
