"""The fetch deadline is an error wherever it strikes; a page cut off is never stored.

Real servers on 127.0.0.1 (tests/ingest/hostile_inputs.py) send their headers at once and
then trickle the body (close-delimited, chunked, with a Content-Length) or send nothing.
No clock bound: a fetch is cut by its deadline when it ends while the server is still
sending (or the look-up still unanswered), which without the deadline it would not.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from ingest.errors import FetchError
from ingest.fetching import FetchPolicy, fetch
from ingest.sources import Failure, SourceOptions, iter_items
from tests.helpers import Route, serving
from tests.ingest import hostile_inputs as hostile

OPTIONS = SourceOptions(fetch=FetchPolicy(timeout_s=1.0))


GIVE_UP_S = 120  # a server's own limit: a fetch still reading then was not cut by its deadline


@pytest.mark.parametrize("framing", ["close", "chunked", "length", "hang"])
def test_a_page_cut_off_by_the_deadline_fails_and_is_not_stored(framing: hostile.Framing) -> None:
    """The body trickles for over a minute (or never comes): the fetch ends at its 1 s
    deadline, while the server is still sending, long before the server's own limit."""
    sent = hostile.Trickled()
    with hostile.trickling_server(0.02, framing=framing, log=sent, give_up_s=GIVE_UP_S) as base:
        started = time.monotonic()
        items = list(iter_items([base + "/slow"], OPTIONS))
        elapsed = time.monotonic() - started
        ended_first = sent.whole == 0 and not sent.gave_up
    [failure] = items
    assert isinstance(failure, Failure), f"stored as an article: {failure!r}"  # was its first part
    assert "took longer than 1 s" in failure.reason  # "hang" was "no article text"
    assert ended_first, f"the fetch ended after {elapsed:.1f} s, when the server had ended ({sent})"


def test_a_close_delimited_page_that_ends_in_time_is_whole() -> None:
    """A body ended by the server's close before the deadline is the page, all of it."""
    with hostile.trickling_server(0.0, framing="close") as base:
        fetched = fetch(base + "/slow", FetchPolicy(timeout_s=20))
    assert fetched.body.decode() == hostile.TRICKLED


@dataclass
class SlowDns:
    """`slow-dns.example` resolves to 127.0.0.1 once released (a resolver that does not
    answer), or after GIVE_UP_S; `answered` once it did."""

    host: str = "slow-dns.example"
    release: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def slow_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowDns]:
    real, slow = socket.getaddrinfo, SlowDns()

    def lookup(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host == slow.host:
            slow.release.wait(GIVE_UP_S)
            slow.answered.set()
            host = "127.0.0.1"
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    yield slow
    slow.release.set()


@pytest.mark.parametrize("public_only", [False, True])
def test_a_name_look_up_is_inside_the_deadline(slow_dns: SlowDns, public_only: bool) -> None:
    """The fetch ends at its deadline while its look-up is still unanswered."""
    with serving({"/a": Route(hostile.GOOD_TEXT.encode(), "text/plain")}) as server:
        url = server.url("/a").replace("127.0.0.1", slow_dns.host)
        started = time.monotonic()
        with pytest.raises(FetchError, match="took longer than 1 s"):
            fetch(url, FetchPolicy(timeout_s=1.0, public_only=public_only))
        elapsed = time.monotonic() - started
        unanswered = not slow_dns.answered.is_set()
        assert server.hits == {}
    assert unanswered, f"the fetch waited {elapsed:.1f} s, for the look-up's answer"
