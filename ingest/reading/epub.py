"""EPUB books (ebooklib): one article per chapter, in reading order.

A chapter's id is the file's id and its number (`<file>#chapter-3`); its title is the
chapter's first heading, else its entry in the table of contents, else the book's title and
its number. The zip is checked before anything is decompressed: the sizes its entries
declare, uncompressed, add up to at most MAX_FILE_BYTES, in at most ZIP_MAX_ENTRIES entries
and BOOK_MAX_CHAPTERS chapters; each chapter is then an article under MAX_ARTICLE_CHARS.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import SourceError
from ingest.identity.dates import parse_date
from ingest.identity.ids import file_origin, readable_id
from ingest.limits import BOOK_MAX_CHAPTERS, ZIP_MAX_ENTRIES
from ingest.reading.drafts import Draft, article_of
from ingest.reading.items import Failure, Item, SourceOptions, reason

HEADINGS = ("h1", "h2", "h3")
BLOCKS = ("p", "br", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")


@dataclass(frozen=True)
class Chapter:
    number: int
    draft: Draft


def epub_items(path: Path, options: SourceOptions) -> Iterator[Item]:
    """The book's chapters as articles; a chapter that cannot be read fails alone."""
    body = path.read_bytes()  # the caller checked MAX_FILE_BYTES
    ident, _ = readable_id(str(path.resolve()))
    origin = file_origin(path)
    for chapter in chapters(body, options.max_file_bytes):
        where = f"{ident}#chapter-{chapter.number}"
        try:
            article = article_of(chapter.draft, where, where, limits=options.limits)
        except Exception as exc:  # this chapter's reason; the next one is read
            yield Failure(where, reason(exc))
            continue
        yield options.stamp(article, origin)


def check_zip(body: bytes, max_bytes: int) -> None:
    """Refuse a zip that would decompress to more than `max_bytes`, or holds too many entries."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SourceError(f"not a readable EPUB (not a zip: {exc})") from exc
    if len(entries) > ZIP_MAX_ENTRIES:
        raise SourceError(f"the EPUB holds {len(entries):,} files, over {ZIP_MAX_ENTRIES:,}; refused")
    size = sum(e.file_size for e in entries)
    if size > max_bytes:
        raise SourceError(
            f"the EPUB unpacks to {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit "
            "(MAX_FILE_BYTES); refused"
        )


def chapters(body: bytes, max_bytes: int) -> list[Chapter]:
    """The book's chapter documents in reading order (the spine), as drafts."""
    check_zip(body, max_bytes)
    try:
        import ebooklib
        from ebooklib import epub
    except ImportError as exc:
        raise SourceError("reading .epub needs the ebooklib package (pip install 'newsdesk[epub]')") from exc
    try:
        book = epub.read_epub(io.BytesIO(body), {"ignore_ncx": True})
    except Exception as exc:  # ebooklib raises many types for broken files
        raise SourceError(f"not a readable EPUB ({type(exc).__name__}: {exc})") from exc
    toc = dict(_toc_titles(book.toc))
    items = [book.get_item_with_id(idref) for idref, _ in book.spine]
    docs = [i for i in items if i is not None and i.get_type() == ebooklib.ITEM_DOCUMENT and i.is_chapter()]
    if len(docs) > BOOK_MAX_CHAPTERS:
        raise SourceError(f"the EPUB has {len(docs):,} chapters, over {BOOK_MAX_CHAPTERS}; refused")
    title = _meta(book, "title")
    date, author = parse_date(_meta(book, "date")), _meta(book, "creator")
    out = []
    for number, item in enumerate(docs, start=1):
        heading, text = _chapter_text(item.get_content())
        if not text.strip():
            continue  # a cover, an image page
        named = heading or toc.get(item.get_name()) or (f"{title}, chapter {number}" if title else None)
        out.append(Chapter(number, Draft(text=text, title=named, date=date, author=author, source=title)))
    return out


def _chapter_text(content: bytes) -> tuple[str | None, str]:
    """A chapter's first heading and its text, paragraphs kept (scripts and styles dropped)."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(content)
    except (ValueError, etree.ParserError) as exc:
        raise SourceError(f"a chapter is not readable XHTML ({exc})") from exc
    for hidden in list(root.iter("script", "style", "noscript", "template", etree.Comment)):
        hidden.drop_tree()
    head = next(root.iter(*HEADINGS), None)
    heading = " ".join(head.text_content().split()) if head is not None else None
    if head is not None:
        head.drop_tree()  # the title is not the article's first line
    for block in root.iter(*BLOCKS):
        block.tail = "\n" + (block.tail or "")
    body = root.find("body")
    text = str((body if body is not None else root).text_content())
    return heading or None, "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def _toc_titles(entries: Iterable[Any]) -> Iterator[tuple[str, str]]:
    """(file name, title) of each entry of the table of contents, sections included."""
    for entry in entries:
        if isinstance(entry, tuple | list):  # (Section, [children])
            yield from _toc_titles(entry[:1])
            yield from _toc_titles(entry[1] if len(entry) > 1 else [])
        elif getattr(entry, "href", None) and getattr(entry, "title", None):
            yield str(entry.href).split("#", 1)[0], str(entry.title)


def _meta(book: Any, name: str) -> str | None:
    values = book.get_metadata("DC", name)
    return str(values[0][0]) if values and values[0][0] else None
