"""Fetching: one URL with limits on size, time and type (`http.py`), one deadline for the
whole fetch (`deadline.py`), its body decoded under the size limit (`codings.py`), and the
addresses each request may reach (`addresses.py`)."""

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
from ingest.fetching.http import ALLOWED_TYPES, Fetched, FetchPolicy, fetch, get, read_response

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
