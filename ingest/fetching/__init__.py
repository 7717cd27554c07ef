"""Fetching: one URL with limits on size, time and type (`http.py`), one deadline for the
whole fetch (`deadline.py`), its body decoded under the size limit (`codings.py`), and the
addresses each request may reach (`addresses.py`). `http.py` (and httpx) is imported on
first use of its names: the settings read the address rules, and a question does not
pay for an HTTP client."""

from typing import TYPE_CHECKING, Any

from ingest.fetching.addresses import (
    AddressRule,
    AllowList,
    IPAddress,
    check_address,
    check_public,
    check_url,
    is_public_address,
    shown,
)

if TYPE_CHECKING:
    from ingest.fetching.http import ALLOWED_TYPES, Fetched, FetchPolicy, fetch, get, read_response

_HTTP = {"ALLOWED_TYPES", "Fetched", "FetchPolicy", "fetch", "get", "read_response"}


def __getattr__(name: str) -> Any:
    if name in _HTTP:
        from ingest.fetching import http

        return getattr(http, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALLOWED_TYPES",
    "AddressRule",
    "AllowList",
    "FetchPolicy",
    "Fetched",
    "IPAddress",
    "check_address",
    "check_public",
    "check_url",
    "fetch",
    "get",
    "is_public_address",
    "read_response",
    "shown",
]
