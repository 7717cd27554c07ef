"""Which addresses a fetch may reach, and which URLs are sane.

Every request of a fetch (each redirect too) has an `AddressRule`, decided before it
connects: its host's name and every address it resolves to are checked, and the address
of each connection is checked again before and after connecting (deadline.py), so a name
that resolves elsewhere when connecting (DNS rebinding) gets no further. The rules:

- a cloud's metadata service (`METADATA_NAMES`, `METADATA_NETWORKS`: link-local
  169.254.0.0/16 and fe80::/10, and the providers' own addresses) is never reached,
  unless the operator's FETCH_ALLOW_PRIVATE names it;
- the URL the operator named (a CLI target, a feed the CLI follows) may reach private
  and loopback hosts;
- what data names (a redirect, a feed entry's page) reaches public addresses only, or
  the hosts and networks FETCH_ALLOW_PRIVATE names (an intranet feed);
- what is fetched for a Discord server reaches public addresses only, whatever
  FETCH_ALLOW_PRIVATE says.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import ingest.fetching.resolver as resolver
from ingest.errors import FetchError, UnsafeURLError
from ingest.limits import MAX_URL_CHARS, one_line

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# names the clouds give their metadata services (GCP, AWS, Tencent, Equinix, IBM); most
# resolve to a link-local address, some to a public one
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
        "metadata.packet.net",
        "api.metadata.cloud.ibm.com",
    }
)
# link-local (where most metadata services answer, AWS's 169.254.169.254 among them), and
# the providers' other addresses: AWS's IPv6 and EKS pod identity, GCP's IPv6, Alibaba,
# Oracle's legacy one, and Azure's wire server (a public address)
METADATA_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",
        "fe80::/10",
        "fd00:ec2::254/128",
        "fd00:ec2::23/128",
        "fd20:ce::254/128",
        "100.100.100.200/32",
        "192.0.0.192/32",
        "168.63.129.16/32",
    )
)
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")

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


def is_metadata_address(address: IPAddress) -> bool:
    """Link-local, or a cloud's metadata address, or an IPv6 address that carries one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and is_metadata_address(embedded):
        return True
    return any(address in network for network in METADATA_NETWORKS)


def host_name(host: str) -> str:
    """A host as names compare: lower case, without the root's dot."""
    return host.lower().rstrip(".")


@dataclass(frozen=True)
class AllowList:
    """FETCH_ALLOW_PRIVATE: the hosts (names) and networks (CIDRs, addresses) that the
    operator's fetches may reach although they are private, link-local or a metadata
    service. Nothing fetched for a Discord server uses it."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """Entries separated by commas or spaces; ValueError names one that is neither a
        host name nor an address or CIDR."""
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in re.split(r"[\s,]+", text.strip()):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                if not _HOST_NAME.match(entry.lower()):
                    raise ValueError(
                        f"{entry[:60]!r} is neither a host name nor an address or CIDR"
                    ) from None
                names.add(host_name(entry))
        return cls(frozenset(names), tuple(networks))

    def names_host(self, host: str) -> bool:
        return host_name(host) in self.names

    def holds(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class AddressRule:
    """Which addresses one request of a fetch may connect to (see the module docstring).
    `allow` is None for a Discord server's fetches: no setting widens them."""

    private: bool = False  # private and loopback addresses too (the operator's own URL)
    public: Callable[[IPAddress], bool] = is_public_address
    allow: AllowList | None = None

    def refusal(self, host: str, addresses: Iterable[IPAddress] = ()) -> str | None:
        """Why `host`, at `addresses`, may not be fetched; None when it may."""
        allow = self.allow if self.allow is not None else AllowList()
        if allow.names_host(host):
            return None
        shown_host = one_line(host, 80)
        not_fetched = "it will not be fetched" + (
            " (FETCH_ALLOW_PRIVATE can name it)" if self.allow is not None else ""
        )
        if host_name(host) in METADATA_NAMES:
            return f"{shown_host} is a cloud metadata service; {not_fetched}"
        for address in addresses:
            if allow.holds(address):
                continue
            if is_metadata_address(address):
                return f"{shown_host} points to a link-local or metadata address; {not_fetched}"
            if not self.private and not self.public(address):
                return f"{shown_host} points to a private or reserved address; {not_fetched}"
        return None


def check_address(url: str, rule: AddressRule, timeout: float = 20.0) -> None:
    """Refuse a URL whose host `rule` refuses: by its name before it is looked up, then by
    every address it resolves to (the look-up given `timeout` seconds)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURLError(f"Only http(s) URLs can be fetched, not {shown(url)!r}.")
    if (why := rule.refusal(parts.hostname)) is not None:
        raise UnsafeURLError(f"{why}.")
    try:
        found = resolver.addresses(parts.hostname, parts.port or 443, timeout)
    except (OSError, UnicodeError, ValueError) as exc:
        raise FetchError(
            f"Cannot fetch {shown(url)}: cannot resolve {one_line(parts.hostname, 80)} ({exc})"
        ) from exc
    if (why := rule.refusal(parts.hostname, [parse_address(a) for a in found])) is not None:
        raise UnsafeURLError(f"{why}.")


def check_public(
    url: str, allowed: Callable[[IPAddress], bool] = is_public_address, timeout: float = 20.0
) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address (a Discord server's)."""
    check_address(url, AddressRule(public=allowed), timeout)


def parse_address(text: str) -> IPAddress:
    """An address as a resolver or a socket gives it (an IPv6 one may carry its zone)."""
    return ipaddress.ip_address(text.split("%")[0])


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
