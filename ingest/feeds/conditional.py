"""A conditional GET of a feed under the same FetchPolicy as every other fetch.

`ingest.fetching.fetch` takes no request headers and returns no response headers; a feed
poll needs both (If-None-Match / If-Modified-Since out, ETag / Last-Modified and 304 back).
This is that request, built from fetching's own parts: the same total deadline, the same
URL and address checks on every redirect hop (public_only), the same redirect limit, and
the same reader of the body (type and size limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import httpcore
import httpx

from ingest import fetching
from ingest.errors import FetchError
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
    """GET a feed unless it is unchanged since `known`; redirects followed by hand, each hop
    checked, the whole request ending by `policy.timeout_s` (fetching's Deadline)."""
    deadline = fetching.Deadline(policy.timeout_s)
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": ", ".join(fetching.ALLOWED_TYPES),
        **known.request_headers(),
    }
    try:
        with fetching.deadline_client(deadline, headers) as client:
            for _ in range(fetching.MAX_REDIRECTS + 1):
                fetching.check_url(url)
                if policy.public_only:
                    fetching.check_public(url, policy.address_allowed)
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code == NOT_MODIFIED:
                        return FeedResponse(None, known)
                    fetched = fetching._read(response, url, policy, deadline.at)
                    return FeedResponse(fetched, _validators(response))
    except (httpx.HTTPError, httpx.InvalidURL, httpcore.TimeoutException) as exc:
        if deadline.expired or isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException):
            raise FetchError(f"{fetching.shown(url)} took longer than {policy.timeout_s:g} s.") from exc
        raise FetchError(f"Cannot fetch {fetching.shown(url)}: {exc}") from exc
    finally:
        deadline.cancel()
    raise FetchError(f"{fetching.shown(url)}: more than {fetching.MAX_REDIRECTS} redirects.")


def _validators(response: httpx.Response) -> Validators:
    return Validators(
        etag=response.headers.get("etag") or None, last_modified=response.headers.get("last-modified") or None
    )
