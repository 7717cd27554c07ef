"""Fetch a URL with limits on size, time, type and (for users) address.

The operator's CLI may read any URL, local ones included. A fetch made for a Discord
user runs with `public_only=True`: every hop of a redirect chain is resolved and refused
when any of its addresses is private, loopback, link-local, multicast, reserved or
unspecified.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ingest.errors import FetchError, UnsafeURLError

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


def is_public_address(address: IPAddress) -> bool:
    """Global unicast only: not private, loopback, link-local, multicast, reserved, unspecified."""
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 20.0
    max_bytes: int = 10_000_000
    public_only: bool = False
    user_agent: str = "newsdesk/0.1"
    address_allowed: Callable[[IPAddress], bool] = is_public_address


def check_public(url: str, allowed: Callable[[IPAddress], bool] = is_public_address) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURLError(f"Only http(s) URLs can be fetched, not {url!r}.")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"Cannot resolve {parts.hostname}: {exc.strerror}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not allowed(address):
            raise UnsafeURLError(
                f"{parts.hostname} points to a private or reserved address; it will not be fetched."
            )


def fetch(url: str, policy: FetchPolicy) -> Fetched:
    """GET a URL, following redirects by hand so that each hop is checked."""
    deadline = time.monotonic() + policy.timeout_s
    headers = {"User-Agent": policy.user_agent, "Accept": ", ".join(ALLOWED_TYPES)}
    with httpx.Client(timeout=policy.timeout_s, follow_redirects=False, headers=headers) as client:
        for _ in range(MAX_REDIRECTS + 1):
            if urlsplit(url).scheme not in ("http", "https"):
                raise FetchError(f"Only http(s) URLs can be fetched, not {url!r}.")
            if policy.public_only:
                check_public(url, policy.address_allowed)
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    return _read(response, url, policy, deadline)
            except httpx.TimeoutException as exc:
                raise FetchError(f"{url} took longer than {policy.timeout_s:g} s.") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"Cannot fetch {url}: {exc}") from exc
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects.")


def _read(response: httpx.Response, url: str, policy: FetchPolicy, deadline: float) -> Fetched:
    if response.status_code >= 400:
        raise FetchError(f"{url} answered HTTP {response.status_code}.")
    content_type = str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
    if content_type and not content_type.startswith(ALLOWED_TYPES):
        raise FetchError(f"{url} is {content_type}, not an article (HTML, PDF, text or a feed).")
    declared = int(response.headers.get("content-length", "0") or 0)
    if declared > policy.max_bytes:
        raise FetchError(f"{url} is {declared / 1e6:.1f} MB, over the {policy.max_bytes / 1e6:.0f} MB limit.")
    body = bytearray()
    for part in response.iter_bytes():
        body.extend(part)
        if len(body) > policy.max_bytes:
            raise FetchError(f"{url} is over the {policy.max_bytes / 1e6:.0f} MB limit.")
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took longer than {policy.timeout_s:g} s.")
    return Fetched(
        url=str(response.url), content_type=content_type, body=bytes(body), charset=response.charset_encoding
    )
