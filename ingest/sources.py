"""From what the user names (files, folders, URLs, feeds, JSONL) to articles or failures.

Every item is yielded on its own: one broken file, dead link or bad line becomes a
`Failure` with a one-line reason, and the rest carry on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from ingest.errors import SourceError
from ingest.fetching import Fetched, FetchPolicy, fetch
from ingest.formats import (
    Draft,
    FeedEntry,
    decode,
    finish,
    looks_like_feed,
    parse_feed,
    parse_html,
    parse_markdown,
    parse_pdf,
    with_fallback,
)
from vectorstore.models import Article

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES | {".pdf", ".jsonl"}


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
    scope: str = "global"


def is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def iter_items(targets: list[str], options: SourceOptions) -> Iterator[Item]:
    for target in targets:
        if is_url(target):
            yield from _guard(target, partial(_from_url, target, options))
            continue
        path = Path(target).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not files:
                yield Failure(target, f"no {', '.join(sorted(SUFFIXES))} files in this folder")
            for file in files:
                yield from _guard(str(file), partial(_from_file, file, options))
        elif path.is_file():
            yield from _guard(target, partial(_from_file, path, options))
        else:
            yield Failure(target, "no such file, folder or URL")


def _guard(source: str, produce: Callable[[], Iterable[Item]]) -> Iterator[Item]:
    """Run a producer; turn its errors into one Failure without losing what it yielded."""
    try:
        yield from produce()
    except SourceError as exc:
        yield Failure(source, str(exc))
    except (OSError, UnicodeError, ValueError) as exc:
        log.debug("reading %s failed", source, exc_info=True)
        yield Failure(source, f"{type(exc).__name__}: {exc}")


def _scoped(article: Article, options: SourceOptions) -> Article:
    return article if article.scope == options.scope else replace(article, scope=options.scope)


def _from_file(path: Path, options: SourceOptions) -> Iterator[Item]:
    size = path.stat().st_size
    if size > options.max_file_bytes:
        raise SourceError(
            f"the file is {size / 1e6:.1f} MB, over the {options.max_file_bytes / 1e6:.0f} MB "
            "limit (MAX_FILE_BYTES)"
        )
    suffix = path.suffix.lower()
    ident = str(path.resolve())
    if suffix == ".jsonl":
        yield from _from_jsonl(path, options)
        return
    body = path.read_bytes()
    if suffix in FEED_SUFFIXES or (suffix not in SUFFIXES and looks_like_feed(body)):
        yield from _from_feed(body, ident, options)
        return
    yield _scoped(_document(body, suffix, ident, path.stem, None), options)


def _document(body: bytes, kind: str, ident: str, fallback_title: str, url: str | None) -> Article:
    draft = _draft(body, kind, url)
    return finish(draft, None if draft.url else ident, fallback_title)


def _draft(body: bytes, kind: str, url: str | None) -> Draft:
    """What one document (by suffix or content type) says about itself."""
    if kind in (".pdf", "application/pdf"):
        draft = parse_pdf(body)
    elif kind in HTML_SUFFIXES or kind in ("text/html", "application/xhtml+xml"):
        draft = parse_html(decode(body), url)
    elif kind in MARKDOWN_SUFFIXES or kind == "text/markdown":
        draft = parse_markdown(decode(body))
    elif kind in TEXT_SUFFIXES or kind == "text/plain":
        draft = Draft(text=decode(body))
    else:
        raise SourceError(f"unsupported kind of document ({kind})")
    return replace(draft, url=url) if url and not draft.url else draft


def _from_jsonl(path: Path, options: SourceOptions) -> Iterator[Item]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or not row.get("text"):
                    raise SourceError("a JSONL line needs at least a 'text' field")
                draft = Draft(
                    text=str(row["text"]),
                    title=_opt(row.get("title")),
                    url=_opt(row.get("url")),
                    date=_opt(row.get("date")),
                    author=_opt(row.get("author")),
                    source=_opt(row.get("source")),
                )
                yield _scoped(finish(draft, _opt(row.get("id")), f"{path.stem} line {number}"), options)
            except json.JSONDecodeError as exc:
                yield Failure(where, f"not valid JSON ({exc.msg})")
            except SourceError as exc:
                yield Failure(where, str(exc))


def _from_url(url: str, options: SourceOptions) -> Iterator[Item]:
    fetched = fetch(url, options.fetch)
    if fetched.content_type in ("application/rss+xml", "application/atom+xml") or looks_like_feed(
        fetched.body
    ):
        yield from _from_feed(fetched.body, fetched.url, options)
        return
    yield _scoped(_document(fetched.body, _kind(fetched), fetched.url, url, fetched.url), options)


def _kind(fetched: Fetched) -> str:
    return fetched.content_type or "text/html"


def _from_feed(body: bytes, feed_id: str, options: SourceOptions) -> Iterator[Item]:
    for entry in parse_feed(body)[: options.feed_max_entries]:
        yield feed_entry_item(entry, feed_id, options)


def feed_entry_item(entry: FeedEntry, feed_id: str, options: SourceOptions) -> Item:
    """One parsed feed entry as an article (its page, else its own text), or why not;
    also what the feed poller (ingest/feeds) ingests for each new or changed entry."""
    try:
        return _scoped(_feed_article(entry.link, entry.draft, options), options)
    except SourceError as exc:
        return Failure(entry.link or entry.draft.title or feed_id, str(exc))


def _feed_article(link: str | None, entry: Draft, options: SourceOptions) -> Article:
    """The entry's article page, extracted; the entry's own content when that fails."""
    page_error: SourceError | None = None
    if link and link.lower().startswith(("http://", "https://")):
        try:
            fetched = fetch(link, options.fetch)
            draft = with_fallback(_draft(fetched.body, _kind(fetched), fetched.url), entry)
            return finish(draft, link, entry.title or link)
        except SourceError as exc:
            page_error = exc
            log.info("feed entry %s: page unusable (%s); using the entry's content", link, exc)
    try:
        return finish(entry, link, entry.title or link or "feed entry")
    except SourceError as exc:
        if page_error is not None:
            raise SourceError(f"{page_error}; the feed entry has no text either") from exc
        raise


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
