"""Which addresses a fetch made for a Discord user may reach, and which URLs are sane.

A fetch made for a Discord user runs with `public_only=True`: every hop of a redirect
chain is resolved and refused when any of its addresses is private, loopback, link-local,
multicast, reserved or unspecified (and the connected socket is checked again:
deadline.py). The operator's CLI may read any URL, local ones included.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

import ingest.fetching.resolver as resolver
from ingest.errors import FetchError, UnsafeURLError
from ingest.limits import MAX_URL_CHARS, one_line

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

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


def shown(url: str) -> str:
    """A URL as a reason shows it: at most 120 characters."""
    return one_line(url, 120)
