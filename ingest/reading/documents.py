"""One document (a file's or a response's bytes) -> a draft, by its kind and charset,
under the limits; and what every item of a run carries: its scope and origin, or a
Failure with a one-line reason."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ingest.errors import SourceError
from ingest.fetching import Fetched, FetchPolicy
from ingest.identity.ids import is_global, same_host, scope_origin
from ingest.limits import Limits, one_line
from ingest.reading.decoding import decode
from ingest.reading.formats import Draft, parse_html, parse_markdown, parse_pdf
from vectorstore import GLOBAL_SCOPE, Article

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES | {".pdf", ".jsonl"}
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Failure:
    source: str
    reason: str


Item = Article | Failure


@dataclass(frozen=True)
class SourceOptions:
    fetch: FetchPolicy
    max_file_bytes: int = 25_000_000
    feed_max_entries: int = 50
    scope: str = GLOBAL_SCOPE
    limits: Limits = field(default_factory=Limits)
    fetch_workers: int = 6  # feed entry pages fetched at once

    def origin(self, own: str) -> str:
        """Who supplied an item: its own origin for the operator, else the Discord server."""
        return own if is_global(self.scope) else scope_origin(self.scope)

    def stamp(self, article: Article, own_origin: str) -> Article:
        return replace(article, scope=self.scope, origin=self.origin(own_origin))


def reason(exc: BaseException) -> str:
    """An exception as the one-line reason of its item."""
    text = str(exc) if isinstance(exc, SourceError) else f"{type(exc).__name__}: {exc}"
    return one_line(text)


def draft_of(body: bytes, kind: str, url: str | None, limits: Limits, charset: str | None = None) -> Draft:
    """What one document (by suffix or content type) says about itself."""
    if kind in (".pdf", "application/pdf"):
        draft = parse_pdf(body, limits=limits)
    elif kind in HTML_SUFFIXES or kind in HTML_TYPES:
        limits.check_raw(len(body), html=True)
        draft = parse_html(decode(body, charset, html=True), url)
    elif kind in MARKDOWN_SUFFIXES or kind == "text/markdown":
        limits.check_raw(len(body))
        draft = parse_markdown(decode(body, charset))
    elif kind in TEXT_SUFFIXES or kind == "text/plain":
        limits.check_raw(len(body))
        draft = Draft(text=decode(body, charset))
    else:
        raise SourceError(f"unsupported kind of document ({one_line(kind, 60)})")
    return replace(draft, url=url) if url and not draft.url else draft


def kind_of(fetched: Fetched) -> str:
    return fetched.content_type or "text/html"


def page_draft(fetched: Fetched, limits: Limits) -> Draft:
    """A fetched page's draft. Its canonical URL is kept only on the host it came from: a
    page cannot name (and so replace) another site's article."""
    draft = draft_of(fetched.body, kind_of(fetched), fetched.url, limits, fetched.charset)
    if draft.url and not same_host(draft.url, fetched.url):
        draft = replace(draft, url=fetched.url)
    return draft
