"""From what the user names (files, folders, URLs, feeds, JSONL) to articles or failures.

Every item is yielded on its own: any error while reading, fetching, decoding or parsing
one file, page, feed entry or JSONL line (a broken PDF, a recursion, invalid UTF-8, a
bad URL) becomes a `Failure` with a one-line reason, and the rest carry on. Each article
carries its scope and origin (ingest/identity/ids.py); limits are in ingest/limits.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import partial
from itertools import chain
from pathlib import Path

from ingest.errors import SourceError
from ingest.feeds.entries import feed_entry_item, feed_items
from ingest.fetching import check_url, fetch, shown
from ingest.identity.ids import file_origin, readable_id, site_origin
from ingest.limits import one_line
from ingest.reading.documents import Failure, Item, SourceOptions, draft_of, kind_of, page_draft, reason
from ingest.reading.drafts import article_of
from ingest.reading.formats import looks_like_feed
from ingest.reading.registry import SUFFIXES, by_suffix

log = logging.getLogger(__name__)

__all__ = [
    "SUFFIXES",
    "Failure",
    "Item",
    "SourceOptions",
    "feed_entry_item",
    "fetched_first",
    "is_url",
    "iter_items",
]


def is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def iter_items(targets: list[str], options: SourceOptions) -> Iterator[Item]:
    for target in targets:
        yield from _guard(one_line(target, 200), partial(_from_target, target, options))


def fetched_first(targets: list[str], options: SourceOptions) -> Iterator[Item]:
    """The targets' items in their order, every URL's (a page, or a feed and its entries'
    pages) fetched and extracted now, before the caller takes the store's writer lock: a
    slow site never holds it. Local paths are read as the run goes."""
    parts = [list(iter_items([t], options)) if is_url(t) else iter_items([t], options) for t in targets]
    return chain.from_iterable(parts)


def _from_target(target: str, options: SourceOptions) -> Iterator[Item]:
    if not target.strip():
        raise SourceError("an empty path names nothing (use . for the current folder)")
    if is_url(target):
        yield from _from_url(target, options)
        return
    path = Path(target).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not files:
            yield Failure(target, f"no {', '.join(sorted(SUFFIXES))} files in this folder")
        for file in files:
            yield from _guard(str(file), partial(_from_file, file, options))
    elif path.is_file():
        yield from _from_file(path, options)
    else:
        yield Failure(target, "no such file, folder or URL")


def _guard(source: str, produce: Callable[[], Iterable[Item]]) -> Iterator[Item]:
    """Run a producer; turn any error into one Failure without losing what it yielded."""
    try:
        yield from produce()
    except Exception as exc:  # one item's failure, whatever raised it
        log.debug("reading %s failed", source, exc_info=not isinstance(exc, SourceError))
        yield Failure(source, reason(exc))


def _from_file(path: Path, options: SourceOptions) -> Iterator[Item]:
    size = path.stat().st_size
    if size > options.max_file_bytes:
        raise SourceError(
            f"the file is {size / 1e6:.1f} MB, over the {options.max_file_bytes / 1e6:.0f} MB "
            "limit (MAX_FILE_BYTES)"
        )
    suffix = path.suffix.lower()
    ident, renamed = readable_id(str(path.resolve()))  # a name with a tab: a derived id, noted
    form = by_suffix(suffix)
    if form is not None and form.articles is not None:  # a file holding several articles
        yield from form.articles(path, options)
        return
    body = path.read_bytes()
    if (form is not None and form.feed) or (form is None and looks_like_feed(body)):
        yield from feed_items(body, ident, options)
        return
    draft = draft_of(body, suffix, None, options.limits)
    article = article_of(draft, None if draft.url else ident, path.stem, limits=options.limits)
    if renamed and not draft.url:
        article = replace(article, note="; ".join(n for n in (renamed, article.note) if n))
    yield options.stamp(article, file_origin(path))


def _from_url(url: str, options: SourceOptions) -> Iterator[Item]:
    check_url(url)
    fetched = fetch(url, options.fetch)
    if fetched.content_type in ("application/rss+xml", "application/atom+xml") or looks_like_feed(
        fetched.body
    ):
        yield from feed_items(fetched.body, fetched.url, options)
        return
    draft = page_draft(fetched, options.limits)
    log.debug("fetched %s as %s", shown(url), kind_of(fetched))
    article = article_of(draft, None, url, limits=options.limits)
    yield options.stamp(article, site_origin(fetched.url))
