"""From what the user names (files, folders, URLs, feeds, JSONL) to articles or failures.

Every item is yielded on its own: any error while reading, fetching, decoding or parsing
one file, page, feed entry or JSONL line (a broken PDF, a recursion, invalid UTF-8, a
bad URL) becomes a `Failure` with a one-line reason, and the rest carry on. Each article
carries its scope and origin (ingest/identity/ids.py); limits are in ingest/limits.py.
"""

from __future__ import annotations

import json
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
from ingest.reading.documents import (
    FEED_SUFFIXES,
    SUFFIXES,
    Failure,
    Item,
    SourceOptions,
    draft_of,
    kind_of,
    page_draft,
    reason,
)
from ingest.reading.formats import Draft, finish, looks_like_feed
from vectorstore import Article

log = logging.getLogger(__name__)

__all__ = [
    "SUFFIXES", "Failure", "Item", "SourceOptions", "feed_entry_item", "fetched_first", "is_url",
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
    if suffix == ".jsonl":
        yield from _from_jsonl(path, options)
        return
    body = path.read_bytes()
    if suffix in FEED_SUFFIXES or (suffix not in SUFFIXES and looks_like_feed(body)):
        yield from feed_items(body, ident, options)
        return
    draft = draft_of(body, suffix, None, options.limits)
    article = finish(draft, None if draft.url else ident, path.stem, limits=options.limits)
    if renamed and not draft.url:
        article = replace(article, note="; ".join(n for n in (renamed, article.note) if n))
    yield options.stamp(article, file_origin(path))


def _from_jsonl(path: Path, options: SourceOptions) -> Iterator[Item]:
    """One article a line; each line fails alone, with its number."""
    origin = file_origin(path)
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            where = f"{path}:{number}"
            try:
                article = _jsonl_article(raw, path, number, options)
            except Exception as exc:  # this line's reason; the next line is read
                yield Failure(where, reason(exc))
                continue
            if article is not None:
                yield options.stamp(article, origin)


def _jsonl_article(raw: bytes, path: Path, number: int, options: SourceOptions) -> Article | None:
    options.limits.check_raw(len(raw), html=True, what="line")  # escapes make a line longer than its text
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not valid UTF-8 (byte {exc.start + 1} of the line)") from exc
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise SourceError("not valid JSON here (nested too deeply)") from exc
    if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"]:
        raise SourceError("a JSONL line needs at least a 'text' field")
    draft = Draft(
        text=row["text"],
        title=_opt(row.get("title")),
        url=_opt(row.get("url")),
        date=_opt(row.get("date")),
        author=_opt(row.get("author")),
        source=_opt(row.get("source")),
    )
    fallback = readable_id(f"{path.stem} line {number}")[0]
    return finish(draft, _opt(row.get("id")), fallback, limits=options.limits)


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
    article = finish(draft, None, url, limits=options.limits)
    yield options.stamp(article, site_origin(fetched.url))


def _opt(value: object) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)
