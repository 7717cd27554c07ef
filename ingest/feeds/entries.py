"""A feed's entries as articles: their pages fetched a few at a time, within a total time.

Entry pages are fetched on `fetch_workers` threads, at most that many ahead of the entry
being parsed (so at most that many bodies are held); every fetch has its own deadline
(FETCH_TIMEOUT_S) and none starts after the feed's deadline (FEED_DEADLINE_FACTOR times
that), so 50 slow entries take about 3 x FETCH_TIMEOUT_S, not 50 x. An entry whose page
cannot be used is read from the feed's own text. An entry without a link is named by the
feed and its guid, else by a digest of its content, never by its title; an entry without
a title is titled by its first sentence.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from ingest.errors import FetchError, SourceError
from ingest.fetching import Fetched, fetch
from ingest.identity.ids import entry_id, feed_origin, site_origin
from ingest.reading.documents import Failure, Item, SourceOptions, page_draft, reason
from ingest.reading.drafts import article_of, with_fallback
from ingest.reading.formats import FeedEntry, headline_of, parse_feed
from vectorstore import Article

log = logging.getLogger(__name__)

FEED_DEADLINE_FACTOR = 3
Page = Fetched | Exception | None  # None: not fetched (no http(s) link)


class _FetchHere:
    """Fetch the entry's page in the call (the feed poller's one entry at a time)."""


FETCH_HERE = _FetchHere()


def feed_items(body: bytes, location: str, options: SourceOptions) -> Iterator[Item]:
    """Each entry of the feed in `body` (read from `location`) as an article or a failure."""
    entries = parse_feed(body)[: options.feed_max_entries]
    deadline = time.monotonic() + FEED_DEADLINE_FACTOR * options.fetch.timeout_s
    pool = ThreadPoolExecutor(max_workers=options.fetch_workers, thread_name_prefix="feed-fetch")
    try:
        window: deque[tuple[FeedEntry, Future[Page]]] = deque()
        pending = iter(entries)
        for entry in pending:
            window.append((entry, pool.submit(_fetch_page, entry.link, options, deadline)))
            if len(window) >= options.fetch_workers:
                break
        while window:
            entry, page = window.popleft()
            following = next(pending, None)
            if following is not None:
                window.append((following, pool.submit(_fetch_page, following.link, options, deadline)))
            yield feed_entry_item(entry, location, options, page.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _fetch_page(link: str | None, options: SourceOptions, deadline: float) -> Page:
    if not link or not link.lower().startswith(("http://", "https://")):
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        return FetchError("the feed's time for fetching pages was up")
    # the page is named by the feed, not by the operator: public addresses (or FETCH_ALLOW_PRIVATE's)
    policy = replace(options.fetch, timeout_s=min(options.fetch.timeout_s, left), named_by_operator=False)
    try:
        return fetch(link, policy)
    except Exception as exc:  # the entry's reason, or its fallback to the feed's text
        return exc


def feed_entry_item(
    entry: FeedEntry, feed_id: str, options: SourceOptions, page: Page | _FetchHere = FETCH_HERE
) -> Item:
    """One parsed feed entry as an article (its page, else its own text), or why not;
    also what the feed poller (ingest/feeds) ingests for each new or changed entry."""
    if isinstance(page, _FetchHere):
        page = _fetch_page(entry.link, options, time.monotonic() + options.fetch.timeout_s)
    try:
        return _feed_article(entry, feed_id, options, page)
    except Exception as exc:
        return Failure(entry.link or entry.draft.title or feed_id, reason(exc))


def _feed_article(entry: FeedEntry, feed_id: str, options: SourceOptions, page: Page) -> Article:
    """The entry's article page, extracted; the entry's own content when that fails."""
    page_error: Exception | None = page if isinstance(page, Exception) else None
    if isinstance(page, Fetched):
        try:
            draft = with_fallback(page_draft(page, options.limits), entry.draft)
            untitled = headline_of(draft.text) or page.url
            article = article_of(draft, entry.link, entry.draft.title or untitled, limits=options.limits)
            return options.stamp(article, site_origin(page.url))
        except SourceError as exc:
            page_error = exc
    if page_error is not None:
        log.info("feed entry %s: page unusable (%s); using the entry's content", entry.link, page_error)
    ident = entry.link or entry_id(feed_id, entry.guid, entry.draft.title, entry.draft.text)
    title = entry.draft.title or headline_of(entry.draft.text) or ident  # never an id when it has text
    try:
        article = article_of(entry.draft, ident, title, limits=options.limits)
    except SourceError as exc:
        if page_error is not None:
            raise SourceError(f"{reason(page_error)}; the feed entry has no text either") from exc
        raise
    return options.stamp(article, feed_origin(feed_id))
