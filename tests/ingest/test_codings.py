"""A compressed response is decoded as it arrives, under the size limit: a few KB that
expand to a GiB (stacked gzip, deflate, brotli) cost the limit and a constant, never the
expansion; one content coding is read, and honest coded pages read as they are. Served by
a real HTTP server on 127.0.0.1, fetched by the CLI's path and by the bot's `/ingest url:`.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import Settings
from ingest.errors import FetchError, SourceError
from ingest.fetching import FetchPolicy, fetch
from ingest.fetching.codings import PIECE
from ingest.reading.formats import parse_pdf
from tests.helpers import LocalServer, Route, serving
from tests.ingest import hostile_inputs as hostile
from tests.ingest.test_address_rules import loopback_intake
from vectorstore.embedding import Embedder

LIMIT = 1_000_000
EXPANDS_TO_MB = 32  # each bomb: 32 MiB of zeros, 32 times the limit
TEXT = b"The harbour board said on Monday that the island ferry will run twice a day from June. " * 40
REFUSED = {  # a stacked coding is refused before decoding; one coding once over the limit
    path: f"over the 1 MB limit {why}" if "once" in why else why
    for path, why in hostile.bombs_refused().items()
}


@pytest.fixture(scope="module")
def site() -> Iterator[LocalServer]:
    routes = {
        path: Route(body, "text/plain", headers={"Content-Encoding": coding})
        for path, (body, coding) in hostile.bombs(EXPANDS_TO_MB).items()
    }
    with serving(routes) as server:
        yield server


@pytest.mark.parametrize("path", sorted(REFUSED))
def test_a_bomb_is_refused_within_the_limit_and_a_constant(site: LocalServer, path: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as caught:
            fetch(site.url(path), FetchPolicy(max_bytes=LIMIT))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert REFUSED[path] in str(caught.value)
    assert peak < LIMIT * 1.5 + 8 * PIECE, f"{peak / 1e6:.1f} MB held for a {LIMIT / 1e6:.0f} MB limit"


def _packed(coding: str) -> bytes:
    import brotli

    zlib_stream = hostile.zlib_bytes([TEXT], 15)
    return {
        "gzip": hostile.gzip_bytes(TEXT),
        "x-gzip": hostile.gzip_bytes(TEXT),
        "deflate": zlib_stream,
        "br": brotli.compress(TEXT),
        "identity": TEXT,
        "gzip, identity": hostile.gzip_bytes(TEXT),
    }[coding]


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate", "br", "identity", "gzip, identity"])
def test_an_honest_coded_page_reads_as_it_is(coding: str) -> None:
    with serving(
        {"/a": Route(_packed(coding), "text/plain", headers={"Content-Encoding": coding})}
    ) as server:
        assert fetch(server.url("/a"), FetchPolicy()).body == TEXT


@pytest.mark.parametrize(
    ("body", "coding"),
    [
        (hostile.gzip_bytes(TEXT[:500]) + hostile.gzip_bytes(TEXT[500:]), "gzip"),  # two members
        (hostile.gzip_bytes(TEXT) + b"\x00" * 64, "gzip"),  # padding after the member
        (hostile.zlib_bytes([TEXT], -15), "deflate"),  # raw deflate, as some servers send it
    ],
)
def test_gzip_members_padding_and_raw_deflate_read_as_browsers_do(body: bytes, coding: str) -> None:
    with serving({"/a": Route(body, "text/plain", headers={"Content-Encoding": coding})}) as server:
        assert fetch(server.url("/a"), FetchPolicy()).body == TEXT


@pytest.mark.parametrize(
    ("body", "coding", "expected"),
    [
        (TEXT, "zstd", "coded with 'zstd', which was not asked for"),
        (TEXT, "compress", "coded with 'compress'"),
        (b"\x1f\x8b\x08\x00garbage" * 20, "gzip", "compressed body is broken"),
        (b"not brotli at all" * 20, "br", "compressed body is broken"),
    ],
)
def test_a_coding_not_read_or_broken_is_a_clear_reason(body: bytes, coding: str, expected: str) -> None:
    route = Route(body, "text/plain", headers={"Content-Encoding": coding})
    with serving({"/a": route}) as server, pytest.raises(FetchError, match=expected):
        fetch(server.url("/a"), FetchPolicy())


def test_the_cli_refuses_each_bomb_and_stores_the_good_page(
    site: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_MAX_BYTES", str(LIMIT))
    site.routes["/good"] = Route(hostile.gzip_bytes(TEXT), "text/plain", headers={"Content-Encoding": "gzip"})
    paths = ["/gzip-gzip", "/gzip", "/br", "/good"]
    result = CliRunner().invoke(app, ["ingest", *(site.url(p) for p in paths), "--json"])
    summary = json.loads(result.stdout)
    reasons = {a["source"].rsplit("/", 1)[-1]: a["reason"] for a in summary["articles"]}
    assert result.exit_code == 1 and summary["added"] == 1 and summary["failed"] == 3
    for path in paths[:3]:
        assert REFUSED[path] in reasons[path.lstrip("/")]


def test_ingest_url_in_the_bots_process_refuses_a_bomb(
    site: LocalServer, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    intake = loopback_intake(settings.model_copy(update={"fetch_max_bytes": LIMIT}), embedder)
    for path in ("/gzip-gzip", "/deflate", "/br"):
        tracemalloc.start()
        try:
            [failed] = intake.ingest_url(site.url(path), "4242").failed
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert REFUSED[path] in (failed.reason or "")
        assert peak < 20 * LIMIT, f"{path}: {peak / 1e6:.1f} MB"  # the store's work included


@pytest.mark.parametrize(("layers", "megabytes"), [(1, 300), (2, 300), (3, 30), (6, 1)])
def test_a_pdf_compressed_once_or_many_times_is_refused_under_the_stream_limit(
    layers: int, megabytes: int
) -> None:
    """pypdf decodes each stream under PDF_STREAM_BYTES (its output and its filters' total
    work) and refuses more than PDF_STREAM_FILTERS filters on one stream."""
    with pytest.raises(SourceError, match="not a readable PDF") as caught:
        parse_pdf(hostile.flate_bomb_pdf(megabytes, layers))
    assert "LimitReached" in str(caught.value)
