"""Fetching: one URL with limits on size, time and type (`http.py`), one deadline for the
whole fetch (`deadline.py`), and the public addresses a fetch made for a Discord user may
reach (`addresses.py`)."""

from ingest.fetching.addresses import IPAddress, check_public, check_url, is_public_address, shown
from ingest.fetching.http import ALLOWED_TYPES, Fetched, FetchPolicy, fetch, get, read_response

__all__ = [
    "ALLOWED_TYPES",
    "FetchPolicy",
    "Fetched",
    "IPAddress",
    "check_public",
    "check_url",
    "fetch",
    "get",
    "is_public_address",
    "read_response",
    "shown",
]
