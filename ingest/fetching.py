"""Fetch a URL with limits on size, time, type and (for users) address.

The operator's CLI may read any URL, local ones included. A fetch made for a Discord
user runs with `public_only=True`: every hop of a redirect chain is resolved and refused
when any of its addresses is private, loopback, link-local, multicast, reserved or
unspecified.

`timeout_s` is a deadline for the whole fetch (connect, headers, body, every redirect),
not a limit per read: httpx's timeouts apply to each socket operation, so a server that
sends a byte a second would never trip them. The client's network backend (httpcore's
own, wrapped) gives every connect, read and write only the time left, and a timer shuts
the sockets down at the deadline in case one operation (a TLS record) takes many reads.
A body that ends at or after the deadline (the timer's shutdown reads as the end of a
close-delimited body) is an error, never a page: a fetch cut off is not stored as its
first part. Name look-ups, the check's and the connection's, keep the deadline too
(ingest/resolver.py).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ingest import resolver
from ingest.errors import FetchError, UnsafeURLError
from ingest.limits import MAX_URL_CHARS, one_line

ALLOWED_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "text/markdown",
    "application/pdf",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
)
MAX_REDIRECTS = 5
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    body: bytes
    charset: str | None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64 or int(address) >> 32 == 0:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """Global unicast only: not private, loopback, link-local, multicast, reserved, unspecified,
    nor an IPv6 address that carries such an IPv4 one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and not is_public_address(embedded):
        return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 20.0
    max_bytes: int = 10_000_000
    public_only: bool = False
    user_agent: str = "newsdesk/0.1"
    address_allowed: Callable[[IPAddress], bool] = is_public_address


def check_public(
    url: str, allowed: Callable[[IPAddress], bool] = is_public_address, timeout: float = 20.0
) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address (the look-up
    given `timeout` seconds)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURLError(f"Only http(s) URLs can be fetched, not {shown(url)!r}.")
    try:
        found = resolver.addresses(parts.hostname, parts.port or 443, timeout)
    except (OSError, UnicodeError, ValueError) as exc:
        raise FetchError(f"Cannot resolve {shown(parts.hostname)}: {exc}") from exc
    for found_address in found:
        address = ipaddress.ip_address(found_address.split("%")[0])
        if not allowed(address):
            raise UnsafeURLError(
                f"{parts.hostname} points to a private or reserved address; it will not be fetched."
            )


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
    """Sockets that keep the fetch's deadline and, when `allowed` is given, that are
    connected to an allowed address: the address is checked on the connected socket, so a
    name that resolves to a public address when checked and to a private one when
    connecting (DNS rebinding) is refused."""

    def __init__(self, deadline: Deadline, allowed: Callable[[IPAddress], bool] | None = None) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline
        self._allowed = allowed

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
        """The connected stream, watched by the deadline; refused when `allowed` refuses its peer."""
        sock = stream.get_extra_info("socket")
        if self._allowed is not None:
            peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
            if not self._allowed(peer):
                stream.close()
                raise httpcore.ConnectError(f"{host} connected to a private or reserved address")
        self._deadline.watch(sock)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose sockets keep `deadline`."""

    def __init__(self, deadline: Deadline, allowed: Callable[[IPAddress], bool] | None) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_DeadlineBackend(deadline, allowed)
        )


def deadline_client(
    deadline: Deadline, headers: dict[str, str], allowed: Callable[[IPAddress], bool] | None = None
) -> httpx.Client:
    """An httpx client whose every request ends by `deadline` (redirects not followed) and,
    with `allowed`, whose every connection goes to an allowed address."""
    return httpx.Client(
        transport=_DeadlineTransport(deadline, allowed),
        timeout=deadline.seconds,
        follow_redirects=False,
        headers=headers,
    )


def shown(url: str) -> str:
    """A URL as a reason shows it: at most 120 characters."""
    return one_line(url, 120)


def fetch(url: str, policy: FetchPolicy) -> Fetched:
    """GET a URL, following redirects by hand so that each hop is checked; the whole
    fetch ends by `policy.timeout_s`."""
    with get(url, policy) as (response, final_url, deadline):
        return read_response(response, final_url, policy, deadline)


@contextmanager
def get(
    url: str, policy: FetchPolicy, extra_headers: Mapping[str, str] | None = None
) -> Iterator[tuple[httpx.Response, str, float]]:
    """The open response to a GET of `url` (redirects followed by hand, each hop's URL and,
    with `public_only`, its addresses checked), its URL, and the monotonic deadline that
    the whole request, the caller's reading included, keeps. Errors are FetchErrors."""
    deadline = Deadline(policy.timeout_s)
    headers = {"User-Agent": policy.user_agent, "Accept": ", ".join(ALLOWED_TYPES), **(extra_headers or {})}
    try:
        allowed = policy.address_allowed if policy.public_only else None
        with deadline_client(deadline, headers, allowed) as client:
            for _ in range(MAX_REDIRECTS + 1):
                check_url(url)
                if policy.public_only:
                    _check_public(url, policy, deadline)
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    yield response, url, deadline.at
                    return
    except (httpx.HTTPError, httpx.InvalidURL, httpcore.TimeoutException) as exc:
        if deadline.expired or isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException):
            raise FetchError(f"{shown(url)} took longer than {policy.timeout_s:g} s.") from exc
        raise FetchError(f"Cannot fetch {shown(url)}: {one_line(str(exc), 200)}") from exc
    finally:
        deadline.cancel()
    raise FetchError(f"{shown(url)}: more than {MAX_REDIRECTS} redirects.")


def _check_public(url: str, policy: FetchPolicy, deadline: Deadline) -> None:
    """check_public within the fetch's deadline: a look-up that outlasts it is the deadline's error."""
    try:
        check_public(url, policy.address_allowed, max(deadline.at - time.monotonic(), 0.0))
    except FetchError as exc:
        if isinstance(exc.__cause__, resolver.LookupTimeoutError):
            raise FetchError(f"{shown(url)} took longer than {policy.timeout_s:g} s.") from exc
        raise


def check_url(url: str) -> None:
    """Refuse what is not an http(s) URL with a host, of a sane length."""
    if len(url) > MAX_URL_CHARS:
        raise FetchError(f"the URL is {len(url):,} characters long, over {MAX_URL_CHARS:,}.")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError as exc:
        raise FetchError(f"{shown(url)} is not a valid URL ({exc}).") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"Only http(s) URLs can be fetched, not {shown(url)!r}.")


def read_response(response: httpx.Response, url: str, policy: FetchPolicy, deadline: float) -> Fetched:
    if response.status_code >= 400:
        raise FetchError(f"{shown(url)} answered HTTP {response.status_code}.")
    content_type = str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
    if content_type and not content_type.startswith(ALLOWED_TYPES):
        raise FetchError(f"{shown(url)} is {content_type[:60]}, not an article (HTML, PDF, text or a feed).")
    length = str(response.headers.get("content-length", "0")).strip()
    declared = int(length) if length.isdigit() else 0
    if declared > policy.max_bytes:
        raise FetchError(
            f"{shown(url)} is {declared / 1e6:.1f} MB, over the {policy.max_bytes / 1e6:.0f} MB limit."
        )
    body = bytearray()
    for part in response.iter_bytes():
        body.extend(part)
        if len(body) > policy.max_bytes:
            raise FetchError(f"{shown(url)} is over the {policy.max_bytes / 1e6:.0f} MB limit.")
        _in_time(url, policy, deadline)
    _in_time(url, policy, deadline)  # a body the deadline's shutdown ended is cut off, not whole
    return Fetched(
        url=str(response.url), content_type=content_type, body=bytes(body), charset=response.charset_encoding
    )


def _in_time(url: str, policy: FetchPolicy, deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise FetchError(f"{shown(url)} took longer than {policy.timeout_s:g} s.")
