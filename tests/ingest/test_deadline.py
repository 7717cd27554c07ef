"""Issue #24: the fetch deadline is an error wherever it strikes; a page cut off is never stored.

Real servers on 127.0.0.1 (tests/ingest/hostile_inputs.py) send their headers at once and
then trickle the body (close-delimited, chunked, with a Content-Length) or send nothing.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ingest.errors import FetchError
from ingest.fetching import FetchPolicy, fetch
from ingest.sources import Failure, SourceOptions, iter_items
from tests.helpers import Route, serving
from tests.ingest import hostile_inputs as hostile

OPTIONS = SourceOptions(fetch=FetchPolicy(timeout_s=1.0))


@pytest.mark.parametrize("framing", ["close", "chunked", "length", "hang"])
def test_a_page_cut_off_by_the_deadline_fails_and_is_not_stored(framing: hostile.Framing) -> None:
    with hostile.trickling_server(0.02, framing=framing) as base:
        started = time.monotonic()
        items = list(iter_items([base + "/slow"], OPTIONS))
        elapsed = time.monotonic() - started
    [failure] = items
    assert isinstance(failure, Failure), f"stored as an article: {failure!r}"  # was its first part
    assert "took longer than 1 s" in failure.reason  # "hang" was "no article text"
    assert elapsed < 3, f"a 1 s deadline held the fetch {elapsed:.1f} s"


def test_a_close_delimited_page_that_ends_in_time_is_whole() -> None:
    """A body ended by the server's close before the deadline is the page, all of it."""
    with hostile.trickling_server(0.0, framing="close") as base:
        fetched = fetch(base + "/slow", FetchPolicy(timeout_s=20))
    assert fetched.body.decode() == hostile.TRICKLED


@pytest.fixture
def slow_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`slow-dns.example` resolves to 127.0.0.1 after 30 s (a resolver that does not answer)."""
    real, release = socket.getaddrinfo, threading.Event()

    def lookup(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host == "slow-dns.example":
            release.wait(30)
            host = "127.0.0.1"
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    yield "slow-dns.example"
    release.set()


@pytest.mark.parametrize("public_only", [False, True])
def test_a_name_look_up_is_inside_the_deadline(slow_dns: str, public_only: bool) -> None:
    with serving({"/a": Route(hostile.GOOD_TEXT.encode(), "text/plain")}) as server:
        url = server.url("/a").replace("127.0.0.1", slow_dns)
        started = time.monotonic()
        with pytest.raises(FetchError, match="took longer than 1 s"):
            fetch(url, FetchPolicy(timeout_s=1.0, public_only=public_only))
        elapsed = time.monotonic() - started
        assert server.hits == {}
    assert elapsed < 3, f"the look-up held a 1 s fetch {elapsed:.1f} s"  # was 30 s
