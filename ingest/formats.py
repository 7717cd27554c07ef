"""Turn the bytes of one document (HTML, PDF, Markdown, text, feed) into a draft article."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ingest.cleaning import as_paragraphs, clean_text
from ingest.dates import date_of, parse_date
from ingest.errors import SourceError
from vectorstore.models import Article

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


def decode(body: bytes, charset: str | None = None) -> str:
    for encoding in (charset, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("latin-1")


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


def parse_pdf(body: bytes, max_pages: int = 500) -> Draft:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted:
            raise SourceError("the PDF is encrypted")
        if len(reader.pages) > max_pages:
            raise SourceError(f"the PDF has {len(reader.pages)} pages, over the {max_pages}-page limit")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except PdfReadError as exc:
        raise SourceError(f"not a readable PDF ({exc})") from exc
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise SourceError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
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
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        raise SourceError(f"the front matter is not valid YAML ({exc})") from exc
    meta = post.metadata
    body = _MD_QUOTE.sub("", _MD_HEADING.sub("", post.content))
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

    parsed = feedparser.parse(body)
    if not parsed.entries:
        reason = getattr(parsed, "bozo_exception", None)
        raise SourceError(f"not a feed, or a feed without entries{f' ({reason})' if reason else ''}")
    site = parsed.feed.get("title")
    entries = []
    for entry in parsed.entries:
        content = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
        text = as_paragraphs(parse_html_fragment(content)) if content else ""
        published = entry.get("published") or entry.get("updated")
        struct = entry.get("published_parsed") or entry.get("updated_parsed")
        date = (
            f"{struct.tm_year:04d}-{struct.tm_mon:02d}-{struct.tm_mday:02d}"
            if struct
            else parse_date(published)
        )
        draft = Draft(
            text=text,
            title=entry.get("title"),
            url=entry.get("link"),
            date=date,
            author=entry.get("author"),
            source=site,
        )
        entries.append(FeedEntry(link=entry.get("link"), draft=draft))
    return entries


def parse_html_fragment(html: str) -> str:
    """Text of a small HTML fragment (a feed entry's content), paragraphs kept."""
    from lxml import html as lxml_html

    if "<" not in html:
        return html
    try:
        root = lxml_html.fromstring(f"<div>{html}</div>")
    except (ValueError, TypeError):
        return re.sub(r"<[^>]+>", " ", html)
    for block in root.iter("p", "br", "li", "div", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n" + (block.tail or "")
    return str(root.text_content())


def looks_like_feed(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return (
        head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)
    ) or head.startswith((b"<rss", b"<feed"))


def finish(draft: Draft, article_id: str | None, fallback_title: str, source: str | None = None) -> Article:
    """Clean the text and give the draft its id: the given id, else its URL, else the path."""
    text = clean_text(draft.text)
    if len(text.split()) < MIN_WORDS and len(text) < 20:
        raise SourceError("no article text (empty or only a few words)")
    ident = article_id or draft.url or fallback_title
    title = clean_text(draft.title or "") or fallback_title
    dated = date_of(draft.date, text)  # the declared date, else the text's dateline
    return Article(
        id=ident,
        title=title,
        text=text,
        url=draft.url,
        date=dated.date,
        author=draft.author,
        source=draft.source or source,
        date_source=dated.source,
    )


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
