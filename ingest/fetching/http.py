"""Fetch a URL with limits on size, time, type and (for users) address: redirects are
followed by hand so that each hop is checked (addresses.py), and the whole fetch keeps
one deadline (deadline.py). A body that ends at or after the deadline (the timer's
shutdown reads as the end of a close-delimited body) is an error, never a page: a fetch
cut off is not stored as its first part."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

import httpcore
import httpx

import ingest.fetching.resolver as resolver
from ingest.errors import FetchError
from ingest.fetching.addresses import IPAddress, check_public, check_url, is_public_address, shown
from ingest.fetching.deadline import Deadline, deadline_client
from ingest.limits import one_line

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


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    body: bytes
    charset: str | None


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 20.0
    max_bytes: int = 10_000_000
    public_only: bool = False
    user_agent: str = "newsdesk/0.1"
    address_allowed: Callable[[IPAddress], bool] = is_public_address


def fetch(url: str, policy: FetchPolicy) -> Fetched:
    """GET a URL, following redirects by hand so that each hop is checked; the whole
    fetch ends by `policy.timeout_s`."""
    with get(url, policy) as (response, final_url, deadline):
        return read_response(response, final_url, policy, deadline)


@contextmanager
def get(
    url: str, policy: FetchPolicy, extra_headers: Mapping[str, str] | None = None
) -> Iterator[tuple[httpx.Response, str, float]]:
    """The open response to a GET of `url` (redirects followed by hand, each hop's URL and,
    with `public_only`, its addresses checked), its URL, and the monotonic deadline that
    the whole request, the caller's reading included, keeps. Errors are FetchErrors."""
    deadline = Deadline(policy.timeout_s)
    headers = {"User-Agent": policy.user_agent, "Accept": ", ".join(ALLOWED_TYPES), **(extra_headers or {})}
    try:
        allowed = policy.address_allowed if policy.public_only else None
        with deadline_client(deadline, headers, allowed) as client:
            for _ in range(MAX_REDIRECTS + 1):
                check_url(url)
                if policy.public_only:
                    _check_public(url, policy, deadline)
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    yield response, url, deadline.at
                    return
    except (httpx.HTTPError, httpx.InvalidURL, httpcore.TimeoutException) as exc:
        if deadline.expired or isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException):
            raise FetchError(f"{shown(url)} took longer than {policy.timeout_s:g} s.") from exc
        raise FetchError(f"Cannot fetch {shown(url)}: {one_line(str(exc), 200)}") from exc
    finally:
        deadline.cancel()
    raise FetchError(f"{shown(url)}: more than {MAX_REDIRECTS} redirects.")


def _check_public(url: str, policy: FetchPolicy, deadline: Deadline) -> None:
    """check_public within the fetch's deadline: a look-up that outlasts it is the deadline's error."""
    try:
        check_public(url, policy.address_allowed, max(deadline.at - time.monotonic(), 0.0))
    except FetchError as exc:
        if isinstance(exc.__cause__, resolver.LookupTimeoutError):
            raise FetchError(f"{shown(url)} took longer than {policy.timeout_s:g} s.") from exc
        raise


def read_response(response: httpx.Response, url: str, policy: FetchPolicy, deadline: float) -> Fetched:
    if response.status_code >= 400:
        raise FetchError(f"{shown(url)} answered HTTP {response.status_code}.")
    content_type = str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
    if content_type and not content_type.startswith(ALLOWED_TYPES):
        raise FetchError(f"{shown(url)} is {content_type[:60]}, not an article (HTML, PDF, text or a feed).")
    length = str(response.headers.get("content-length", "0")).strip()
    declared = int(length) if length.isdigit() else 0
    if declared > policy.max_bytes:
        raise FetchError(
            f"{shown(url)} is {declared / 1e6:.1f} MB, over the {policy.max_bytes / 1e6:.0f} MB limit."
        )
    body = bytearray()
    for part in response.iter_bytes():
        body.extend(part)
        if len(body) > policy.max_bytes:
            raise FetchError(f"{shown(url)} is over the {policy.max_bytes / 1e6:.0f} MB limit.")
        _in_time(url, policy, deadline)
    _in_time(url, policy, deadline)  # a body the deadline's shutdown ended is cut off, not whole
    return Fetched(
        url=str(response.url), content_type=content_type, body=bytes(body), charset=response.charset_encoding
    )


def _in_time(url: str, policy: FetchPolicy, deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise FetchError(f"{shown(url)} took longer than {policy.timeout_s:g} s.")
