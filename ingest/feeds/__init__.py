"""Feeds followed by themselves.

- `registry.py`: subscriptions and their polling state (`feeds.sqlite3`).
- `conditional.py`: a conditional GET (ETag / Last-Modified, 304).
- `poller.py`: a poll of each due feed: only new or changed entries are ingested.
- `entries.py`: a feed's entries as articles, their pages fetched a few at a time (also
  for `newsdesk ingest FEED_URL`).
"""

from __future__ import annotations

from ingest.feeds.poller import FeedPoller, IngestFn, PollListener, PollResult, watch
from ingest.feeds.registry import DEFAULT_EVERY_MINUTES, FeedError, FeedRegistry, Subscription, feeds_path

__all__ = [
    "DEFAULT_EVERY_MINUTES",
    "FeedError",
    "FeedPoller",
    "FeedRegistry",
    "IngestFn",
    "PollListener",
    "PollResult",
    "Subscription",
    "feeds_path",
    "watch",
]
