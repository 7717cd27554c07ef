"""EPUB books through the format registry: one article per chapter, made in the test with
ebooklib itself, read through `iter_items` (a folder walk and a file), stored by a real
ingest and uploaded through the intake; and bounded: a zip bomb, too many chapters and an
over-long chapter are refused with a reason before or without costing memory."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from ingest.fetching import FetchPolicy
from ingest.limits import Limits
from ingest.sources import Failure, SourceOptions, iter_items
from vectorstore.embedding import Embedder
from vectorstore.models import Article

epub = pytest.importorskip("ebooklib.epub", reason="the epub extra (make install brings it)")

OPTIONS = SourceOptions(fetch=FetchPolicy(timeout_s=5, max_bytes=200_000))
BRIDGE = (
    "The city's harbour bridge will close to cars from 1 April for six weeks while engineers "
    "replace worn expansion joints, the transport authority announced on Monday."
)
FERRY = (
    "A temporary ferry service will run every fifteen minutes during the morning and evening "
    "rush hours while the bridge is closed, the operator said."
)


def make_epub(path: Path, chapters: list[tuple[str | None, str, str]], cover: bool = True) -> Path:
    """A book: (heading or None, TOC title, body text) per chapter, in reading order, after an
    image-only cover page when `cover`."""
    book = epub.EpubBook()
    book.set_identifier("harbour-chronicle-1")
    book.set_title("Harbour Chronicle")
    book.set_language("en")
    book.add_author("Ada Reporter")
    book.add_metadata("DC", "date", "2024-03-11")
    spine: list[object] = ["nav"]
    if cover:
        page = epub.EpubHtml(title="Cover", file_name="cover.xhtml", lang="en")
        page.content = '<html><body><img src="cover.png" alt=""/></body></html>'
        book.add_item(page)
        spine.append(page)
    links = []
    for n, (heading, toc_title, text) in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=toc_title, file_name=f"chap_{n:02d}.xhtml", lang="en")
        head = f"<h1>{heading}</h1>" if heading else ""
        item.content = f"<html><body>{head}<p>{text}</p><script>alert('x')</script></body></html>"
        book.add_item(item)
        spine.append(item)
        links.append(epub.Link(item.file_name, toc_title, f"c{n}"))
    book.toc = links
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = spine
    epub.write_epub(str(path), book)
    return path


def _articles(items: list[Article | Failure]) -> list[Article]:
    assert all(isinstance(i, Article) for i in items), items
    return [i for i in items if isinstance(i, Article)]


def test_one_article_per_chapter_with_its_heading_or_toc_title(tmp_path: Path) -> None:
    book = make_epub(
        tmp_path / "chronicle.epub", [("Bridge to close", "Ch. 1", BRIDGE), (None, "Ferries", FERRY)]
    )
    first, second = _articles(list(iter_items([str(tmp_path)], OPTIONS)))  # found by the folder walk

    ident = str(book.resolve())
    assert (first.id, second.id) == (f"{ident}#chapter-2", f"{ident}#chapter-3")  # the cover is page 1
    assert first.title == "Bridge to close" and second.title == "Ferries"
    assert first.text == BRIDGE and second.text == FERRY  # no heading, no script
    assert (
        first.date == "2024-03-11" and first.author == "Ada Reporter" and first.source == "Harbour Chronicle"
    )


def test_a_book_is_stored_and_read_again_unchanged(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    book = make_epub(
        tmp_path / "chronicle.epub", [("Bridge to close", "Ch. 1", BRIDGE), (None, "Ferries", FERRY)]
    )
    app = App(settings, embedder=embedder)
    assert app.ingest([str(book)]).count("added") == 2
    assert app.ingest([str(book)]).count("added") == 0  # the same ids: nothing new
    assert {r.title for r in app.store.records().values()} == {"Bridge to close", "Ferries"}
    uploaded = app.intake.ingest_upload("chronicle.epub", book.read_bytes(), "111")
    assert uploaded.count("added") == 2
    ids = sorted(r.id for r in app.store.records().values() if r.scope == "111")
    assert ids == ["upload:111/chronicle.epub#chapter-2", "upload:111/chronicle.epub#chapter-3"]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    book = make_epub(tmp_path / "bomb.epub", [("Bridge to close", "Ch. 1", BRIDGE)])
    with zipfile.ZipFile(book, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OEBPS/padding.bin", b"\0" * 3_000_000)  # ~3 KB packed
    assert book.stat().st_size < 100_000
    options = SourceOptions(fetch=OPTIONS.fetch, max_file_bytes=1_000_000)
    [failure] = list(iter_items([str(book)], options))
    assert (
        isinstance(failure, Failure)
        and "unpacks to 3.0 MB, over the 1 MB limit (MAX_FILE_BYTES)" in failure.reason
    )


def test_too_many_chapters_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ingest.reading.epub.BOOK_MAX_CHAPTERS", 2)
    book = make_epub(
        tmp_path / "long.epub", [(f"Part {n}", f"Part {n}", BRIDGE) for n in range(3)], cover=False
    )
    [failure] = list(iter_items([str(book)], OPTIONS))
    assert isinstance(failure, Failure) and "3 chapters, over 2" in failure.reason


def test_an_over_long_chapter_fails_alone(tmp_path: Path) -> None:
    long = " ".join([FERRY] * 20)
    book = make_epub(
        tmp_path / "mixed.epub", [("Bridge to close", "Ch. 1", BRIDGE), ("Ferries", "Ch. 2", long)]
    )
    options = SourceOptions(fetch=OPTIONS.fetch, limits=Limits(max_article_chars=1000))
    article, failure = list(iter_items([str(book)], options))
    assert isinstance(article, Article) and article.title == "Bridge to close"
    assert isinstance(failure, Failure) and failure.source.endswith("#chapter-3")
    assert "MAX_ARTICLE_CHARS=1,000" in failure.reason


def test_a_file_that_is_not_an_epub_is_a_clear_failure(tmp_path: Path) -> None:
    (tmp_path / "fake.epub").write_bytes(b"this is not a zip at all")
    [failure] = list(iter_items([str(tmp_path / "fake.epub")], OPTIONS))
    assert isinstance(failure, Failure) and "not a readable EPUB" in failure.reason
