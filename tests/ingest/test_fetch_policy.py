"""What may be fetched for a Discord user: public addresses only, every redirect re-checked."""

from __future__ import annotations

import ipaddress

import pytest

from ingest.errors import UnsafeURLError
from ingest.fetching import FetchPolicy, fetch
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
        assert fetch(outer.url("/r"), FetchPolicy()).body == b"internal data"  # the operator's CLI may
