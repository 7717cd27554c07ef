"""A conditional GET of a feed under the same FetchPolicy as every other fetch.

A feed poll sends If-None-Match / If-Modified-Since and reads ETag / Last-Modified and
304 back: `ingest.fetching.get` with the validators as extra headers, and the same body
reader as every other fetch.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ingest import fetching
from ingest.fetching import Fetched, FetchPolicy

NOT_MODIFIED = 304


@dataclass(frozen=True)
class Validators:
    """What the server said identifies this version of the feed."""

    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class FeedResponse:
    fetched: Fetched | None  # None: 304, the feed has not changed since `validators`
    validators: Validators


def conditional_get(url: str, policy: FetchPolicy, known: Validators) -> FeedResponse:
    """GET a feed unless it is unchanged since `known`, through `fetching.get`: the same
    total deadline, URL and address checks on every hop and every connection, redirect
    limit and body reader (type and size limits) as every other fetch."""
    with fetching.get(url, policy, known.request_headers()) as (response, final_url, deadline):
        if response.status_code == NOT_MODIFIED:
            return FeedResponse(None, known)
        fetched = fetching.read_response(response, final_url, policy, deadline)
        return FeedResponse(fetched, _validators(response))


def _validators(response: httpx.Response) -> Validators:
    return Validators(
        etag=response.headers.get("etag") or None, last_modified=response.headers.get("last-modified") or None
    )
