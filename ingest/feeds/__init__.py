"""Feeds followed by themselves: subscriptions (registry), a conditional GET, the poller."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from ingest.feeds.poller import FeedPoller, IngestFn, PollListener, PollResult, watch
from ingest.feeds.registry import FeedError, FeedRegistry, Subscription, feeds_path
from ingest.runner import source_options
from ingest.settings import IngestSettings

__all__ = [
    "FeedError",
    "FeedPoller",
    "FeedRegistry",
    "PollListener",
    "PollResult",
    "Subscription",
    "build_poller",
    "feeds_path",
    "watch",
]


def build_poller(
    settings: IngestSettings,
    ingest: IngestFn,
    writer_lock: Callable[[], AbstractContextManager[object]] = nullcontext,
    listener: PollListener | None = None,
) -> FeedPoller:
    """The poller over the data dir's subscriptions, fetching as the operator's ingest does
    (a Discord server's feeds from public addresses only)."""
    registry = FeedRegistry(feeds_path(settings.data_dir))
    return FeedPoller(registry, ingest, source_options(settings), writer_lock, listener=listener)
