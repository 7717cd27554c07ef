"""Fetch a URL with limits on size, time, type and address: redirects are followed by
hand so that each hop is checked under its own address rule before it connects
(addresses.py), the whole fetch keeps one deadline (deadline.py), and a coded body is
decoded under the size limit as it arrives (codings.py). A body that ends at or after the
deadline (the timer's shutdown reads as the end of a close-delimited body) is an error,
never a page: a fetch cut off is not stored as its first part."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpcore
import httpx

import ingest.fetching.resolver as resolver
from ingest.errors import FetchError
from ingest.fetching.addresses import (
    AddressRule,
    AllowList,
    IPAddress,
    check_address,
    check_url,
    is_public_address,
    shown,
)
from ingest.fetching.codings import ACCEPT_ENCODING, CodingError, coding_of, decoded
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
    """How one URL is fetched. Which addresses each request may reach (addresses.py):
    `public_only` for a Discord server (public addresses only, every request); else the
    operator's, where the URL itself (`named_by_operator`: a CLI target, a followed feed)
    may reach private hosts and what data names (its redirects; a feed entry's page,
    fetched with `named_by_operator=False`) only public ones or those `allow_private`
    (FETCH_ALLOW_PRIVATE) names; link-local and metadata addresses only those it names.
    `address_allowed` says what is public (a test stands 127.0.0.1 in for it)."""

    timeout_s: float = 20.0
    max_bytes: int = 10_000_000
    public_only: bool = False
    user_agent: str = "newsdesk/0.1"
    address_allowed: Callable[[IPAddress], bool] = is_public_address
    allow_private: AllowList = field(default_factory=AllowList)
    named_by_operator: bool = True

    def rule(self, first: bool) -> AddressRule:
        """The address rule of the fetch's first request (`first`) or of a redirect."""
        if self.public_only:
            return AddressRule(public=self.address_allowed)
        own = first and self.named_by_operator
        return AddressRule(private=own, public=self.address_allowed, allow=self.allow_private)


def fetch(url: str, policy: FetchPolicy) -> Fetched:
    """GET a URL, following redirects by hand so that each hop is checked; the whole
    fetch ends by `policy.timeout_s`."""
    with get(url, policy) as (response, final_url, deadline):
        return read_response(response, final_url, policy, deadline)


@contextmanager
def get(
    url: str, policy: FetchPolicy, extra_headers: Mapping[str, str] | None = None
) -> Iterator[tuple[httpx.Response, str, float]]:
    """The open response to a GET of `url` (redirects followed by hand, each hop's URL and
    addresses checked before it connects, each on a connection of its own), its URL, and
    the monotonic deadline that the whole request, the caller's reading included, keeps.
    Errors are FetchErrors."""
    deadline = Deadline(policy.timeout_s)
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": ", ".join(ALLOWED_TYPES),
        "Accept-Encoding": ACCEPT_ENCODING,
        **(extra_headers or {}),
    }
    try:
        for hop in range(MAX_REDIRECTS + 1):
            check_url(url)
            rule = policy.rule(first=hop == 0)
            _check_address(url, rule, policy, deadline)
            with deadline_client(deadline, headers, rule) as client, client.stream("GET", url) as response:
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


def _check_address(url: str, rule: AddressRule, policy: FetchPolicy, deadline: Deadline) -> None:
    """check_address within the fetch's deadline: a look-up that outlasts it is the deadline's error."""
    try:
        check_address(url, rule, max(deadline.at - time.monotonic(), 0.0))
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
    try:
        coding = coding_of(response.headers.get("content-encoding"))
        body = io.BytesIO()  # getvalue() hands its buffer over: the body is not held twice
        for piece in decoded(_raw(response, url, policy), coding):
            body.write(piece)
            if body.tell() > policy.max_bytes:
                raise _over_limit(url, policy, coding)
            _in_time(url, policy, deadline)
    except CodingError as exc:
        raise FetchError(f"{shown(url)}: {exc}.") from exc
    _in_time(url, policy, deadline)  # a body the deadline's shutdown ended is cut off, not whole
    charset = response.charset_encoding
    return Fetched(url=str(response.url), content_type=content_type, body=body.getvalue(), charset=charset)


def _raw(response: httpx.Response, url: str, policy: FetchPolicy) -> Iterator[bytes]:
    """The bytes as sent, at most `max_bytes` of them (a coded body is never longer than
    its text, but one can send bytes that decode to nothing)."""
    sent = 0
    for part in response.iter_raw():
        sent += len(part)
        if sent > policy.max_bytes:
            raise _over_limit(url, policy)
        yield part


def _over_limit(url: str, policy: FetchPolicy, coding: str | None = None) -> FetchError:
    after = f" once decompressed ({coding})" if coding else ""
    return FetchError(f"{shown(url)} is over the {policy.max_bytes / 1e6:.0f} MB limit{after}.")


def _in_time(url: str, policy: FetchPolicy, deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise FetchError(f"{shown(url)} took longer than {policy.timeout_s:g} s.")
