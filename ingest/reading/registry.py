"""The registry of article formats: file extensions (and content types) -> reader.

A format is named here once: folders are walked by its extensions, files and fetched pages
are read by its reader, Discord's /ingest accepts it when `upload` says so, and the docs'
extension points page lists it. A format reads either one document into one draft (`read`)
or a file holding several articles (`articles`: JSON Lines, a book); feeds are read by
ingest/feeds (their entries' pages are fetched).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.limits import Limits
from ingest.reading.decoding import decode
from ingest.reading.drafts import Draft
from ingest.reading.epub import epub_items
from ingest.reading.formats import parse_html, parse_markdown, parse_pdf
from ingest.reading.items import Item, SourceOptions
from ingest.reading.jsonl import jsonl_items

Reader = Callable[[bytes, str | None, str | None, Limits], Draft]  # body, charset, url, limits
Articles = Callable[[Path, SourceOptions], Iterator[Item]]


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: frozenset[str]
    content_types: tuple[str, ...] = ()
    read: Reader | None = None
    articles: Articles | None = None
    feed: bool = False
    upload: bool = False  # accepted from Discord's /ingest file:


def _text(body: bytes, charset: str | None, url: str | None, limits: Limits) -> Draft:
    limits.check_raw(len(body))
    return Draft(text=decode(body, charset))


def _markdown(body: bytes, charset: str | None, url: str | None, limits: Limits) -> Draft:
    limits.check_raw(len(body))
    return parse_markdown(decode(body, charset))


def _html(body: bytes, charset: str | None, url: str | None, limits: Limits) -> Draft:
    limits.check_raw(len(body), html=True)
    return parse_html(decode(body, charset, html=True), url)


def _pdf(body: bytes, charset: str | None, url: str | None, limits: Limits) -> Draft:
    return parse_pdf(body, limits=limits)


def _suffixes(*names: str) -> frozenset[str]:
    return frozenset(names)


FORMATS: tuple[Format, ...] = (
    Format("plain text", _suffixes(".txt", ".text"), ("text/plain",), read=_text, upload=True),
    Format(
        "Markdown, with YAML front matter",
        _suffixes(".md", ".markdown"),
        ("text/markdown",),
        read=_markdown,
        upload=True,
    ),
    Format(
        "HTML page (article text extracted with trafilatura)",
        _suffixes(".html", ".htm", ".xhtml"),
        ("text/html", "application/xhtml+xml"),
        read=_html,
        upload=True,
    ),
    Format("PDF (pypdf)", _suffixes(".pdf"), ("application/pdf",), read=_pdf, upload=True),
    Format("JSON Lines, one article a line", _suffixes(".jsonl"), articles=jsonl_items),
    Format("RSS or Atom feed", _suffixes(".rss", ".atom", ".xml"), feed=True),
    Format(
        "EPUB book (ebooklib), one article per chapter", _suffixes(".epub"), articles=epub_items, upload=True
    ),
)

SUFFIXES = frozenset().union(*(f.suffixes for f in FORMATS))
UPLOAD_SUFFIXES = tuple(s for f in FORMATS if f.upload for s in sorted(f.suffixes, key=lambda s: (len(s), s)))
FEED_SUFFIXES = frozenset().union(*(f.suffixes for f in FORMATS if f.feed))


def by_suffix(suffix: str) -> Format | None:
    return next((f for f in FORMATS if suffix.lower() in f.suffixes), None)


def reader_of(kind: str) -> Reader | None:
    """The reader of one document, by its suffix or content type."""
    kind = kind.lower()
    return next((f.read for f in FORMATS if f.read and (kind in f.suffixes or kind in f.content_types)), None)


def listed(suffixes: tuple[str, ...]) -> str:
    """Extensions for a person, in the registry's order: ".txt, .text, .md ... or .epub"."""
    return suffixes[0] if len(suffixes) == 1 else ", ".join(suffixes[:-1]) + " or " + suffixes[-1]
