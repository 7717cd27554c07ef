"""Turn the bytes of one document (HTML, PDF, Markdown, text, feed) into a draft article
(drafts.py makes the article of a draft)."""

from __future__ import annotations

import html as html_entities
import io
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ingest.errors import SourceError
from ingest.identity.dates import parse_date
from ingest.identity.ids import valid_text
from ingest.limits import PDF_STREAM_BYTES, PDF_STREAM_FILTERS, Limits
from ingest.reading.cleaning import as_paragraphs, clean_text
from ingest.reading.drafts import Draft
from ingest.reading.front_matter import split_front_matter

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)


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
    declared = doc.sitename if doc.sitename and not _HOST_NAME.match(doc.sitename) else None
    return Draft(
        text="\n\n".join(lines),
        title=title,
        url=doc.url or url,
        date=doc.date,
        author=doc.author,
        source=doc.sitename or doc.hostname or (urlsplit(url).hostname if url else None),
        outlet=declared,
    )


# trafilatura's site name when the page declares none: its host name (from its address or
# its <title>), which a feed's title names better
_HOST_NAME = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?$")


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


def parse_feed(body: bytes, allow_empty: bool = False) -> list[FeedEntry]:
    """A feed's entries; one without entries is an error unless `allow_empty` and it is
    a well-formed feed (the feed poller's: a feed may be empty for now)."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(body))  # bytes that name a file would be read from it
    if not parsed.entries and allow_empty and parsed.get("version") and not parsed.get("bozo"):
        return []
    if not parsed.entries:
        reason = getattr(parsed, "bozo_exception", None)
        raise SourceError(f"not a feed, or a feed without entries{f' ({reason})' if reason else ''}")
    site = _detail_text(parsed.feed.get("title_detail")) or None  # the outlet when the item names none
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
            source=_item_source(entry) or site,
            outlet=_item_source(entry),
        )
        entries.append(FeedEntry(link=entry.get("link"), draft=draft, guid=entry.get("id")))
    return entries


def _item_source(entry: Any) -> str | None:
    """The outlet an item names for itself: RSS `<source url=...>Name</source>`, Atom
    `<source><title>` (an aggregator's feed carries each item's own outlet there)."""
    source = entry.get("source")
    if not isinstance(source, dict):
        return None
    return " ".join(str(source.get("title") or "").split()) or None


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


HEADLINE_CHARS = 100


def headline_of(text: str, limit: int = HEADLINE_CHARS) -> str:
    """A title for a text that has none (a feed entry without a title): its first
    sentence, cut at a word (and "…") when longer than `limit`; "" for no text."""
    from vectorstore.sentences import split_sentences

    clean = " ".join(clean_text(valid_text(text)).split())
    first = next((s.text for s in split_sentences(clean) if s.text.strip()), "")
    if len(first) <= limit:
        return first
    cut = first[: limit - 1].rsplit(" ", 1)[0] if " " in first[: limit - 1] else first[: limit - 1]
    return cut.rstrip(" ,;:-–—") + "…"


def _str(value: object) -> str | None:
    return None if value is None else str(value)
