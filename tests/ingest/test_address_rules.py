"""No fetch reaches a cloud's metadata service or a link-local address, and what data names
(a redirect, a feed entry's page) reaches public addresses only, or those FETCH_ALLOW_PRIVATE
names; the operator's own URL may reach private hosts. Each path is tried: a CLI page, a
followed feed, an entry's page, a redirect from each, and a Discord server's `/ingest url:`.

No packet is ever sent to such an address: `guard` fails the test if anything connects
to an address other than loopback, and the resolver stub answers the test's names
without DNS (and fails the test if a metadata name is looked up at all).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.app import App
from bot.settings import Settings
from ingest.errors import FetchError, UnsafeURLError
from ingest.feeds import FeedPoller, FeedRegistry
from ingest.fetching import AddressRule, AllowList, FetchPolicy, IPAddress, fetch
from ingest.intake import Intake
from ingest.report import IngestReport
from ingest.runner import source_options
from ingest.sources import Failure, Item, SourceOptions, fetched_first
from tests.helpers import Route, serving
from vectorstore import GLOBAL_SCOPE, Article
from vectorstore.embedding import Embedder

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
TEXT = "The harbour board said on Monday that the island ferry will run twice a day from June."
PAGE = f"<html><head><title>Ferry</title></head><body><article><p>{TEXT}</p></article></body></html>".encode()
STUB = {  # names the resolver stub answers, and with what
    "cloud-metadata.example": ["169.254.169.254"],
    "aws-v6.example": ["fd00:ec2::254"],
    "news.example": ["93.184.215.14"],
}
NEVER_LOOKED_UP = {"metadata.google.internal", "metadata.goog", "metadata", "instance-data"}


def _denied(address: str) -> bool:
    return not ipaddress.ip_address(address.split("%")[0]).is_loopback


@pytest.fixture(autouse=True)
def guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every connection this test makes goes to loopback: any other fails the test."""
    tried: list[str] = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and _denied(str(address[0])):
            tried.append(str(address[0]))
            pytest.fail(f"a connection to {address[0]} was attempted")
        connect(sock, address)

    def stub_lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = str(host).lower().rstrip(".")
        if name in NEVER_LOOKED_UP:
            tried.append(name)
            pytest.fail(f"{name} was looked up")
        if name in STUB:
            family = socket.AF_INET6 if ":" in STUB[name][0] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in STUB[name]]
        return lookup(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", stub_lookup)
    yield tried
    assert tried == []


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings without FETCH_ALLOW_PRIVATE: the default."""
    monkeypatch.delenv("FETCH_ALLOW_PRIVATE", raising=False)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def _items(url: str, options: SourceOptions) -> list[Item]:
    return list(fetched_first([url], options))


def _reason(items: list[Item]) -> str:
    [failure] = items
    assert isinstance(failure, Failure), failure
    return failure.reason


def _feed(*links: str) -> bytes:
    items = "".join(
        f"<item><title>Entry {i}</title><link>{link}</link><description>Entry {i}: {TEXT}</description></item>"
        for i, link in enumerate(links)
    )
    channel = f"<channel><title>Harbour</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def _moved(to: str) -> Route:
    return Route(b"", status=302, headers={"Location": to})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (METADATA, "link-local or metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service"),
        ("http://METADATA.GOOG./", "cloud metadata service"),
        ("http://cloud-metadata.example/latest/", "link-local or metadata"),
        ("http://aws-v6.example/latest/", "link-local or metadata"),
        ("http://[fd00:ec2::254]/latest/", "link-local or metadata"),
        ("http://[fe80::1]/", "link-local or metadata"),
        ("http://[::ffff:169.254.169.254]/", "link-local or metadata"),
        ("http://2852039166/latest/", "link-local or metadata"),  # 169.254.169.254 as one number
        ("http://100.100.100.200/latest/meta-data/", "link-local or metadata"),
    ],
)
def test_a_cli_page_never_reaches_a_metadata_service(bare: Settings, url: str, expected: str) -> None:
    reason = _reason(_items(url, source_options(bare)))
    assert expected in reason and "FETCH_ALLOW_PRIVATE" in reason


def test_a_cli_page_may_reach_a_private_host_but_not_a_redirect_from_it(bare: Settings) -> None:
    with serving({"/page": Route(PAGE)}) as inner, serving({"/r": _moved(inner.url("/page"))}) as outer:
        [page] = _items(inner.url("/page"), source_options(bare))  # the operator named it
        assert isinstance(page, Article) and TEXT in page.text
        assert "private or reserved" in _reason(_items(outer.url("/r"), source_options(bare)))
        assert inner.hits == {"/page": 1}  # the redirect's target was not asked
        with serving({"/r": _moved(METADATA)}) as to_metadata:
            assert "link-local or metadata" in _reason(_items(to_metadata.url("/r"), source_options(bare)))


def test_fetch_allow_private_names_the_hosts_data_may_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "intranet.example, 127.0.0.0/8")
    allowed = Settings(_env_file=None)  # type: ignore[call-arg]
    with serving({"/page": Route(PAGE)}) as inner, serving({"/r": _moved(inner.url("/page"))}) as outer:
        [page] = _items(outer.url("/r"), source_options(allowed))
        assert isinstance(page, Article) and page.url == inner.url("/page")


def test_the_allow_list_is_the_only_way_to_a_metadata_address() -> None:
    """Decided by the rule alone: nothing here connects."""
    metadata = ipaddress.ip_address("169.254.169.254")
    operator = FetchPolicy(allow_private=AllowList.parse("169.254.169.254"))
    assert operator.rule(first=True).refusal("169.254.169.254", [metadata]) is None
    assert operator.rule(first=False).refusal("169.254.169.254", [metadata]) is None  # data too: named
    assert FetchPolicy().rule(first=True).refusal("169.254.169.254", [metadata]) is not None
    by_name = FetchPolicy(allow_private=AllowList.parse("metadata.google.internal"))
    assert by_name.rule(first=True).refusal("metadata.google.internal") is None
    member = replace(operator, public_only=True)  # a Discord server's fetch: no setting widens it
    assert "link-local" in (member.rule(first=True).refusal("169.254.169.254", [metadata]) or "")


@pytest.mark.parametrize("entry", ["http://intranet host/", "10.0.0.0/33", "a..b", "x" * 300])
def test_a_bad_allow_list_entry_is_a_clear_settings_error(
    monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", entry)
    with pytest.raises(ValidationError, match="neither a host name nor an address or CIDR"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_an_entrys_page_on_a_metadata_or_private_address_is_not_fetched(bare: Settings) -> None:
    """The feed is the operator's; its entries' links are data: the metadata link, the
    private page and the page redirecting to the metadata service are not fetched, and each
    entry is read from the feed's own text."""
    with serving({"/page": Route(PAGE), "/r": _moved(METADATA)}) as site:
        links = [METADATA, "http://metadata.google.internal/x", site.url("/page"), site.url("/r")]
        site.routes["/feed"] = Route(_feed(*links), "application/rss+xml")
        items = _items(site.url("/feed"), source_options(bare))
        assert [i.url for i in items if isinstance(i, Article)] == links  # each entry, from the feed
        assert all(i.text.startswith(f"Entry {n}:") for n, i in enumerate(items) if isinstance(i, Article))
        assert site.hits == {"/feed": 1}


def test_an_entrys_page_redirecting_to_metadata_is_refused_even_when_its_host_is_allowed(
    settings: Settings,
) -> None:
    """FETCH_ALLOW_PRIVATE=127.0.0.1 (the tests' intranet): the entry's page there is
    fetched, and its redirect to the metadata service still is not."""
    with serving({"/page": Route(PAGE), "/r": _moved(METADATA)}) as site:
        site.routes["/feed"] = Route(_feed(site.url("/page"), site.url("/r")), "application/rss+xml")
        page, moved = _items(site.url("/feed"), source_options(settings))
        assert isinstance(page, Article) and page.text == TEXT  # the page itself
        assert isinstance(moved, Article) and moved.text.startswith("Entry 1:")  # the feed's text
        assert site.hits == {"/feed": 1, "/page": 1, "/r": 1}


class _Recorder:
    """Stands in for the ingestor: remembers the items a poll hands it."""

    def __init__(self) -> None:
        self.items: list[Item] = []

    def __call__(self, items: Iterable[Item]) -> IngestReport:
        self.items.extend(items)
        return IngestReport()


def _poll(settings: Settings, tmp_path: Path, url: str, scope: str = GLOBAL_SCOPE) -> tuple[str, list[Item]]:
    recorder = _Recorder()
    poller = FeedPoller(FeedRegistry(tmp_path / "feeds.sqlite3"), recorder, source_options(settings))
    poller.registry.add(url, scope, 30, datetime.now(UTC))
    result = poller.poll_one(url, scope)
    assert result is not None
    return f"{result.status}: {result.error or ''}", recorder.items


def test_a_followed_feed_never_reaches_a_metadata_service(bare: Settings, tmp_path: Path) -> None:
    status, _ = _poll(bare, tmp_path, "http://cloud-metadata.example/feed.xml")
    assert status.startswith("failed") and "link-local or metadata" in status
    with serving({"/feed": _moved("http://metadata.google.internal/feed")}) as site:
        status, _ = _poll(bare, tmp_path, site.url("/feed"))
        assert status.startswith("failed") and "cloud metadata service" in status


def test_a_followed_feeds_entries_follow_the_public_only_rule(bare: Settings, tmp_path: Path) -> None:
    with serving({"/page": Route(PAGE), "/r": _moved(METADATA)}) as site:
        feed = _feed(METADATA, site.url("/page"), site.url("/r"))
        site.routes["/feed"] = Route(feed, "application/rss+xml")
        status, items = _poll(bare, tmp_path, site.url("/feed"))
        assert status.startswith("ingested")
        entries = [i.text.split(":")[0] for i in items if isinstance(i, Article)]
        assert entries == ["Entry 0", "Entry 1", "Entry 2"]
        assert site.hits == {"/feed": 1}


def _loopback_is_public(address: IPAddress) -> bool:
    return address == ipaddress.ip_address("127.0.0.1")


def loopback_intake(settings: Settings, embedder: Embedder) -> Intake:
    """The bot's intake (`/ingest url:`), with 127.0.0.1 standing in for a public address."""
    app = App(settings, embedder=embedder)
    options = source_options(settings)
    public = replace(options.fetch, address_allowed=_loopback_is_public)
    return Intake(app.ingestor, app.store, replace(options, fetch=public))


def test_ingest_url_for_a_server_never_reaches_a_metadata_service(
    settings: Settings, embedder: Embedder
) -> None:
    """A Discord server's /ingest url: public addresses only, whatever FETCH_ALLOW_PRIVATE
    says, and every redirect from a (stood-in) public page re-checked."""
    intake = loopback_intake(settings, embedder)
    with serving({"/r": _moved(METADATA), "/g": _moved("http://metadata.google.internal/")}) as site:
        for url, expected in (
            (METADATA, "link-local or metadata"),
            ("http://cloud-metadata.example/", "link-local or metadata"),
            (site.url("/r"), "link-local or metadata"),
            (site.url("/g"), "cloud metadata service"),
        ):
            [failed] = intake.ingest_url(url, "4242").failed
            assert expected in (failed.reason or "") and "FETCH_ALLOW_PRIVATE" not in (failed.reason or "")
        assert site.hits == {"/r": 1, "/g": 1}


def test_a_name_rebound_to_a_metadata_address_gets_no_packet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check sees a public address, the connection's look-up the metadata one: the
    address is refused before connecting (guard fails the test if it is not)."""
    answers = iter(["93.184.215.14"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        address = next(answers, "169.254.169.254")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(FetchError, match="link-local or metadata"):
        fetch("http://rebind.example/", FetchPolicy())


def test_the_rule_refuses_by_name_before_any_look_up() -> None:
    with pytest.raises(UnsafeURLError, match="cloud metadata service"):
        fetch("http://instance-data/latest/", FetchPolicy())  # the stub fails the test on a look-up
    assert AddressRule(private=True).refusal("metadata.goog.") is not None
