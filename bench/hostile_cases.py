"""The cases bench/hostile.py runs: each a target (a file, a URL of the bench's 127.0.0.1
servers), how it is ingested (`newsdesk ingest`, the bot's `/ingest url:`, a followed
feed's poll), and what a right result is: refused with the store as it was, or stored
as `expect` checks (None: right; else what is wrong).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.helpers import Route, serving  # noqa: E402
from tests.ingest import hostile_inputs as hostile  # noqa: E402

Door = Literal["cli", "bot", "watch"]  # newsdesk ingest; /ingest url: in the bot's process; a followed feed
Records = list[dict[str, Any]]
Expect = Callable[[dict[str, Any], Records], str | None]  # (the run's summary, the store's records) -> wrong?
BOMB_MB = 1024  # each bomb expands to 1 GiB


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path, dict[str, str]], str]  # (folder, servers) -> the target
    refused: bool = True  # the store must not change
    env: tuple[tuple[str, str], ...] = ()
    door: Door = "cli"
    expect: Expect | None = None
    reason: str = ""  # a refusal's reason must say this


def _file(name: str, data: Callable[[], bytes | str]) -> Callable[[Path, dict[str, str]], str]:
    def make(folder: Path, _: dict[str, str]) -> str:
        body = data()
        path = folder / name
        path.write_bytes(body.encode() if isinstance(body, str) else body)
        return str(path)

    return make


def _named(raw_name: bytes, text: str) -> Callable[[Path, dict[str, str]], str]:
    """A file whose name is raw bytes (a tab, a newline, Latin-1)."""

    def make(folder: Path, _: dict[str, str]) -> str:
        import os

        path = os.path.join(os.fsencode(folder), raw_name)
        with open(path, "wb") as out:
            out.write(text.encode())
        return os.fsdecode(path)

    return make


def _prose(size: int) -> str:
    """A long but ordinary article: paragraphs of sentences."""
    paragraph = " ".join([hostile.GOOD_TEXT] * 4)
    return "\n\n".join([paragraph] * (size // (len(paragraph) + 2) + 1))[:size]


def _sparse(name: str, size: int, head: bytes) -> Callable[[Path, dict[str, str]], str]:
    def make(folder: Path, _: dict[str, str]) -> str:
        path = folder / name
        with path.open("wb") as out:
            out.write(head)
            chunk = (hostile.GOOD_TEXT + " ").encode() * 1000
            while out.tell() < size:
                out.write(chunk)
        return str(path)

    return make


def _url(key: str) -> Callable[[Path, dict[str, str]], str]:
    return lambda _f, servers: servers[key]


def _at(path: str) -> Callable[[Path, dict[str, str]], str]:
    return lambda _f, servers: servers["site"] + path


def _unshown(records: Records) -> str | None:
    """A stored name holding a bidi control, an invisible or a control character."""
    for record in records:
        for key in ("title", "author", "source", "url"):
            value = record.get(key) or ""
            if hostile.BIDI_AND_INVISIBLE & set(value) or any(
                ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value
            ):
                return f"{key} {value!r} of {record['id'][-40:]!r}"
    return None


def _added(count: int, check: Callable[[Records], str | None] = _unshown) -> Expect:
    def expect(summary: dict[str, Any], records: Records) -> str | None:
        if summary.get("added") != count:
            return f"{summary.get('added')} added, not {count}"
        return check(records)

    return expect


def _entries_from_the_feed(summary: dict[str, Any], records: Records) -> str | None:
    """Each of the feed's three entries stored from its own text (no page was fetched)."""
    titles = sorted(str(r.get("title")) for r in records)
    return None if titles == ["Entry 0", "Entry 1", "Entry 2"] else f"stored {titles}"


def _derived(records: Records) -> str | None:
    return (
        None if records and all("~" in r["id"] and "\ufffd" in r["id"] for r in records) else "no derived id"
    )


def _outlet(records: Records) -> str | None:
    sources = {r.get("source") for r in records}
    return None if sources == {"Ravel & Sons Daily"} else f"outlet {sources}"


EARLIER = [  # the cases of the first hostile set
    Case("billion-laughs.md", _file("laughs.md", hostile.billion_laughs_md)),
    Case("one-line-1MB.txt", _file("line1.txt", lambda: hostile.one_line_text(1_000_000))),
    Case("one-line-5MB.txt", _file("line5.txt", lambda: hostile.one_line_text(5_000_000))),
    Case("random-64KB.txt", _file("noise.txt", hostile.random_bytes)),
    Case("pdf-flate-300MB", _file("bomb.pdf", lambda: hostile.flate_bomb_pdf(300))),
    Case("jsonl-10MB-line", _file("big.jsonl", lambda: hostile.jsonl_line("big", "word " * 2_000_000))),
    Case("html-40MB", _sparse("big.html", 40_000_000, b"<html><body><p>")),
    Case("text-49MB", _sparse("big.txt", 49_000_000, b"")),
    Case("jsonl-hostile-lines", _file("rows.jsonl", hostile.hostile_jsonl), refused=False),
    Case("url-100k-chars", lambda _f, _s: "http://x.example/" + "a" * 100_000),
    Case("url-256.256.256.256", lambda _f, _s: "http://256.256.256.256/"),
    Case("empty-path", lambda _f, _s: ""),
    Case("trickling-headers", _url("trickle"), env=(("FETCH_TIMEOUT_S", "20"),)),
    Case(  # its pages are on 127.0.0.1: the operator names that host, as for an intranet feed
        "feed-50-slow-entries",
        _url("feed"),
        refused=False,
        env=(("FETCH_TIMEOUT_S", "2"), ("FETCH_ALLOW_PRIVATE", "127.0.0.1")),
    ),
    Case("prose-150k-chars.txt", _file("long.txt", lambda: _prose(150_000)), refused=False),
    Case("trickling-body", _url("trickle-body"), env=(("FETCH_TIMEOUT_S", "5"),)),
    Case("hang-after-headers", _url("hang"), env=(("FETCH_TIMEOUT_S", "5"),)),
    Case("latin1-short.txt", _file("fr.txt", lambda: hostile.LATIN1_FRENCH), refused=False),
    Case("utf8-stray-byte.txt", _file("cafe.txt", lambda: hostile.UTF8_STRAY), refused=False),
    Case(
        "feed-impossible-date.rss", _file("far.rss", lambda: hostile.dated_feed("99999-99-99")), refused=False
    ),
    Case("escape-in-file-name", _file("bad\x1b]0;pwned\x07.pdf", lambda: b"not a pdf")),
]


def _whole_run(summary: dict[str, Any], _: Records) -> str | None:
    seconds = float(summary.get("seconds", 0))
    return None if seconds >= 2.0 else f"--json seconds {seconds} for a page that took 2 s"


_BOMB_DOORS: list[tuple[Door, list[str]]] = [
    ("cli", list(hostile.bombs_refused())),
    ("bot", ["/gzip-gzip", "/gzip", "/deflate", "/br"]),
]
BOMBS = [
    Case(f"{door}-{path.strip('/')}-1GiB", _at(path), door=door, reason=hostile.bombs_refused()[path])
    for door, paths in _BOMB_DOORS
    for path in paths
]
METADATA = [
    Case("meta-cli-page", lambda _f, _s: hostile.METADATA_URL, reason="link-local or metadata"),
    Case(
        "meta-cli-name",
        lambda _f, _s: "http://metadata.google.internal/computeMetadata/v1/",
        reason="metadata",
    ),
    Case(
        "meta-cli-number",
        lambda _f, _s: "http://2852039166/latest/meta-data/",
        reason="link-local or metadata",
    ),
    Case("meta-cli-redirect", _at("/to-metadata"), reason="link-local or metadata"),
    Case("meta-cli-private-redirect", _at("/to-private"), reason="private or reserved"),
    Case("meta-feed-entries", _at("/metadata-feed"), refused=False, expect=_entries_from_the_feed),
    Case(
        "meta-followed-feed",
        _at("/followed-feed"),
        refused=False,
        door="watch",
        expect=_entries_from_the_feed,
    ),
    Case("meta-followed-feed-redirect", _at("/to-metadata"), door="watch", reason="link-local or metadata"),
    Case("meta-bot-page", lambda _f, _s: hostile.METADATA_URL, door="bot", reason="link-local or metadata"),
    Case("meta-bot-redirect", _at("/to-metadata"), door="bot", reason="link-local or metadata"),
    Case("meta-bot-name", _at("/to-metadata-name"), door="bot", reason="metadata"),
]
TEXT = [
    Case(
        "pdf-flate-2-layers-300MB",
        _file("layers.pdf", lambda: hostile.flate_bomb_pdf(300, 2)),
        reason="Limit",
    ),
    Case("pdf-6-filters", _file("filters.pdf", lambda: hostile.flate_bomb_pdf(1, 6)), reason="filter count"),
    Case(
        "bidi-file-name",
        _file(f"{hostile.SPOOF}.txt", lambda: hostile.GOOD_TEXT),
        refused=False,
        expect=_added(1),
    ),
    Case("bidi-jsonl-names", _file("spoof.jsonl", hostile.spoofed_jsonl), refused=False, expect=_added(2)),
    Case("feed-billion-laughs.rss", _file("laughs.rss", hostile.billion_laughs_feed)),
    Case(
        "feed-channel-entities",
        _file("ravel.rss", hostile.entity_feed),
        refused=False,
        expect=_added(1, _outlet),
    ),
    Case("name-tab", _named(b"tab\there.txt", hostile.GOOD_TEXT), refused=False, expect=_added(1, _derived)),
    Case(
        "name-newline", _named(b"new\nline.txt", hostile.GOOD_TEXT), refused=False, expect=_added(1, _derived)
    ),
    Case(
        "name-latin1-byte",
        _named(b"caf\xe9.txt", hostile.GOOD_TEXT),
        refused=False,
        expect=_added(1, _derived),
    ),
    Case("json-seconds-late-page", _url("late"), refused=False, expect=_whole_run),
]
CASES = EARLIER + BOMBS + METADATA + TEXT


def _metadata_feed(redirect: str, tag: str) -> Route:
    """A feed whose entries link to the metadata service, by address, by name, and by a
    redirect (`tag` makes the links, and so the entries' ids, its own)."""
    links = [hostile.METADATA_URL + tag, "http://metadata.google.internal/" + tag, redirect + tag]
    return Route(hostile.linking_feed(links), "application/rss+xml")


@contextmanager
def servers() -> Iterator[dict[str, str]]:
    """The bench's servers on 127.0.0.1: the misbehaving ones (tests/ingest/hostile_inputs.py),
    a site serving 1 GiB bombs, redirects to the metadata service and a feed linking to it,
    and a page that answers in 2 s."""
    with ExitStack() as stack:
        base = stack.enter_context(hostile.trickling_server(1.0, feed_entries=50))
        body = stack.enter_context(hostile.trickling_server(0.2, framing="close"))
        hang = stack.enter_context(hostile.trickling_server(1.0, framing="hang"))
        late = stack.enter_context(hostile.late_page_server(2.0))
        routes = {
            path: Route(data, "text/plain", headers={"Content-Encoding": coding})
            for path, (data, coding) in hostile.bombs(BOMB_MB).items()
        }
        site = stack.enter_context(serving(routes))
        site.routes |= {
            "/to-metadata": Route(b"", status=302, headers={"Location": hostile.METADATA_URL}),
            "/to-metadata?followed": Route(b"", status=302, headers={"Location": hostile.METADATA_URL}),
            "/to-metadata-name": Route(
                b"", status=302, headers={"Location": "http://metadata.google.internal/"}
            ),
            "/to-private": Route(b"", status=302, headers={"Location": late}),
            "/metadata-feed": _metadata_feed(site.url("/to-metadata"), ""),
            "/followed-feed": _metadata_feed(site.url("/to-metadata"), "?followed"),
        }
        yield {
            "trickle": base + "/slow",
            "feed": base + "/feed",
            "trickle-body": body + "/slow",
            "hang": hang + "/slow",
            "late": late,
            "site": site.url(""),
        }
