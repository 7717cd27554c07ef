"""Turn the bytes of one document (HTML, PDF, Markdown, text, feed) into a draft article."""

from __future__ import annotations

import html as html_entities
import io
import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ingest.errors import SourceError
from ingest.identity.dates import date_of, parse_date
from ingest.identity.ids import check_id, valid_text
from ingest.limits import MAX_TITLE_CHARS, MAX_URL_CHARS, PDF_STREAM_BYTES, PDF_STREAM_FILTERS, Limits, field
from ingest.reading.cleaning import UNSHOWN, as_paragraphs, clean_text, shown
from ingest.reading.front_matter import split_front_matter
from vectorstore import Article

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)
MIN_WORDS = 5


@dataclass(frozen=True)
class Draft:
    """What a document says about itself, before it has an id."""

    text: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class FeedEntry:
    link: str | None
    draft: Draft
    guid: str | None = None


def parse_html(html: str, url: str | None = None) -> Draft:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    if doc is None or isinstance(doc, dict) or not doc.text:
        raise SourceError("no article text found in the page")
    title = doc.title or None
    lines = [line.strip() for line in (doc.text or "").splitlines() if line.strip()]
    if title and lines and lines[0] == title.strip():
        lines = lines[1:]
    return Draft(
        text="\n\n".join(lines),
        title=title,
        url=doc.url or url,
        date=doc.date,
        author=doc.author,
        source=doc.sitename or doc.hostname or (urlsplit(url).hostname if url else None),
    )


def parse_pdf(body: bytes, max_pages: int = 500, limits: Limits | None = None) -> Draft:
    """pypdf's text of each page; any error of pypdf (a broken file, a stream over its
    decompression limits: LimitReachedError, a recursion) is this PDF's reason. pypdf
    decodes each stream under a limit on its output, on its filters (a stream may be
    compressed several times over) and on their total work (ingest/limits.py)."""
    from pypdf import PdfReader, apply_configuration

    limits = limits or Limits()
    try:
        with apply_configuration(
            zlib_maximum_output_length=PDF_STREAM_BYTES,
            brotli_maximum_output_length=PDF_STREAM_BYTES,
            lzw_maximum_output_length=PDF_STREAM_BYTES,
            run_length_maximum_output_length=PDF_STREAM_BYTES,
            array_based_stream_maximum_output_length=PDF_STREAM_BYTES,
            maximum_declared_stream_length=PDF_STREAM_BYTES,
            stream_filters_maximum_length=PDF_STREAM_FILTERS,
            stream_decoding_work_maximum_length=2 * PDF_STREAM_BYTES,
        ):
            return _read_pdf(PdfReader(io.BytesIO(body)), max_pages, limits)
    except SourceError:
        raise
    except Exception as exc:  # pypdf raises many types for hostile files
        raise SourceError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc


def _read_pdf(reader: PdfReader, max_pages: int, limits: Limits) -> Draft:
    if reader.is_encrypted:
        raise SourceError("the PDF is encrypted")
    if len(reader.pages) > max_pages:
        raise SourceError(f"the PDF has {len(reader.pages)} pages, over the {max_pages}-page limit")
    pages: list[str] = []
    size = 0
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        size += len(pages[-1])
        limits.check_raw(size)  # stop reading a PDF too long to be an article
    info = reader.metadata
    text = "\n\n".join(_unwrap_pdf_lines(p) for p in pages if p.strip())
    if not text.strip():
        raise SourceError("the PDF has no extractable text (a scan without OCR?)")
    title = (info.title if info else None) or None
    created = info.creation_date if info else None
    author = (info.author if info else None) or None
    return Draft(text=text, title=title, date=parse_date(created), author=author)


def _unwrap_pdf_lines(page: str) -> str:
    """PDF text has hard line breaks inside paragraphs; join them, keep blank-line breaks."""
    page = re.sub(r"-\n(?=[a-z])", "", page)
    return re.sub(r"(?<!\n)\n(?!\n)", " ", page)


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(^|\s)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?=\s|[.,;:!?]|$)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)


def parse_markdown(text: str) -> Draft:
    meta, content = split_front_matter(text)  # size, alias and depth limits: front_matter.py
    body = _MD_QUOTE.sub("", _MD_HEADING.sub("", content))
    body = _MD_MARKS.sub(lambda m: m.group(1) or "", _MD_LINK.sub(r"\1", body))
    return Draft(
        text=body,
        title=_str(meta.get("title")),
        url=_str(meta.get("url")),
        date=parse_date(meta.get("date")),
        author=_str(meta.get("author")),
        source=_str(meta.get("source")),
    )


def parse_feed(body: bytes) -> list[FeedEntry]:
    import feedparser

    parsed = feedparser.parse(io.BytesIO(body))  # bytes that name a file would be read from it
    if not parsed.entries:
        reason = getattr(parsed, "bozo_exception", None)
        raise SourceError(f"not a feed, or a feed without entries{f' ({reason})' if reason else ''}")
    site = _detail_text(parsed.feed.get("title_detail")) or None  # read as an entry's title is
    entries = []
    for entry in parsed.entries:
        text = as_paragraphs(_detail_text(*entry.get("content", []), entry.get("summary_detail")))
        published = entry.get("published") or entry.get("updated")
        struct = entry.get("published_parsed") or entry.get("updated_parsed")
        date = (
            f"{struct.tm_year:04d}-{struct.tm_mon:02d}-{struct.tm_mday:02d}"
            if struct
            else parse_date(published)
        )
        draft = Draft(
            text=text,
            title=_detail_text(entry.get("title_detail")) or None,
            url=entry.get("link"),
            date=date,
            author=entry.get("author"),
            source=site,
        )
        entries.append(FeedEntry(link=entry.get("link"), draft=draft, guid=entry.get("id")))
    return entries


def _detail_text(*details: Any) -> str:
    """The first non-empty of a feed entry's text constructs (content, summary, title) as
    text: HTML read once (its entities decoded: "AT&amp;T" is "AT&T"), plain text as it is."""
    for detail in details:
        value = str((detail or {}).get("value") or "")
        if value.strip():
            return parse_html_fragment(value) if "html" in str(detail.get("type", "html")) else value
    return ""


def parse_html_fragment(html: str) -> str:
    """Text of a small HTML fragment (a feed entry's content), as a page's is read: entities
    decoded once, scripts, styles and comments dropped, paragraphs kept."""
    from lxml import etree
    from lxml import html as lxml_html

    if "<" not in html:
        return html_entities.unescape(html)
    try:
        root = lxml_html.fromstring(f"<div>{html}</div>")
    except (ValueError, TypeError, etree.ParserError):
        return html_entities.unescape(re.sub(r"<[^>]+>", " ", html))
    for hidden in list(root.iter("script", "style", "noscript", "template", etree.Comment)):
        hidden.drop_tree()
    for block in root.iter("p", "br", "li", "div", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n" + (block.tail or "")
    return str(root.text_content())


def looks_like_feed(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return (
        head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)
    ) or head.startswith((b"<rss", b"<feed"))


def finish(
    draft: Draft,
    article_id: str | None,
    fallback_title: str,
    source: str | None = None,
    limits: Limits | None = None,
) -> Article:
    """Clean the text and give the draft its id: the given id, else its URL, else the path.

    The raw text is refused over the limits before it is cleaned, the clean text over
    MAX_ARTICLE_CHARS; lone surrogates become U+FFFD; metadata is one line, cut to size,
    without control, bidi or invisible characters (cleaning.shown);
    a URL that is not an http(s) URL of a sane length is dropped."""
    limits = limits or Limits()
    limits.check_raw(len(draft.text))
    text = clean_text(valid_text(draft.text))
    limits.check_article(len(text))
    if len(text.split()) < MIN_WORDS and len(text) < 20:
        raise SourceError("no article text (empty or only a few words)")
    url = _url(draft.url)
    ident = check_id(article_id or url or fallback_title)
    title = field(shown(clean_text(valid_text(draft.title or ""))), MAX_TITLE_CHARS)
    dated = date_of(field(draft.date), text)  # the declared date, else the text's dateline
    return Article(
        id=ident,
        title=title or field(shown(valid_text(fallback_title))) or "untitled",
        text=text,
        url=url,
        date=dated.date,
        author=field(shown(valid_text(draft.author or ""))),
        source=field(shown(valid_text(draft.source or source or ""))),
        date_source=dated.source,
        note=dated.note,
    )


def _url(value: str | None) -> str | None:
    """An http(s) URL on one line, of a sane length, without a control, bidi or invisible
    character (a real one has them percent-encoded), else None."""
    if not value:
        return None
    url = valid_text(value.strip())
    if len(url) > MAX_URL_CHARS or not url.lower().startswith(("http://", "https://")):
        return None
    return None if UNSHOWN.search(url) or any(ch.isspace() for ch in url) else url


def with_fallback(draft: Draft, fallback: Draft) -> Draft:
    """Fill what `draft` lacks from `fallback` (an article page and its feed entry)."""
    return replace(
        draft,
        title=draft.title or fallback.title,
        url=fallback.url or draft.url,
        date=draft.date or fallback.date,
        author=draft.author or fallback.author,
        source=fallback.source or draft.source,
    )


def _str(value: object) -> str | None:
    return None if value is None else str(value)
