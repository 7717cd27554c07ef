"""What may be fetched for a Discord user: public addresses only, every redirect re-checked."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from ingest.errors import FetchError, UnsafeURLError
from ingest.fetching import AllowList, FetchPolicy, fetch, is_public_address
from tests.helpers import Route, serving


def test_every_redirect_is_checked_again() -> None:
    """A 'public' first hop (127.0.0.2, allowed by the test's policy) redirecting to a
    private one (127.0.0.1) is refused before the second request is made."""
    with (
        serving({"/secret": Route(b"internal data", "text/plain")}) as inner,
        serving(
            {"/r": Route(b"", status=302, headers={"Location": inner.url("/secret")})}, host="127.0.0.2"
        ) as outer,
    ):
        policy = FetchPolicy(
            public_only=True, address_allowed=lambda a: a == ipaddress.ip_address("127.0.0.2")
        )
        with pytest.raises(UnsafeURLError, match="private or reserved"):
            fetch(outer.url("/r"), policy)
        assert outer.hits == {"/r": 1} and inner.hits == {}
        with pytest.raises(
            UnsafeURLError, match="FETCH_ALLOW_PRIVATE"
        ):  # a redirect is data, for the CLI too
            fetch(outer.url("/r"), FetchPolicy())
        operator = FetchPolicy(allow_private=AllowList.parse("127.0.0.1"))  # unless the operator names it
        assert fetch(outer.url("/r"), operator).body == b"internal data"


def test_a_name_that_resolves_elsewhere_when_connecting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the check sees a public address, the connection a private one. The
    address is checked again on the connected socket."""
    real = socket.getaddrinfo
    answers = iter(["93.184.215.14"])  # the check's look-up; every later one gets loopback

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host == "news.rebind.example":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with serving({"/a": Route(b"internal data", "text/plain")}) as server:
        url = server.url("/a").replace("127.0.0.1", "news.rebind.example")
        with pytest.raises(FetchError, match="private or reserved"):
            fetch(url, FetchPolicy(public_only=True))
        assert server.hits == {}


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::1",
        "::127.0.0.1",
        "::",
        "10.0.0.1",
        "fe80::1",
    ],
)
def test_ipv6_forms_of_private_ipv4_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


def test_public_addresses_are_public() -> None:
    assert is_public_address(ipaddress.ip_address("93.184.215.14"))
    assert is_public_address(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))
