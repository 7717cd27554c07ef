"""Poll subscribed feeds: a conditional GET, then only the new or changed entries.

A poll of one feed:
1. GET with the validators of the last answer; 304 -> nothing else happens.
2. Parse the feed (formats.parse_feed, as `newsdesk ingest URL` does) and fingerprint each
   entry; entries whose fingerprint is remembered cost nothing: no page fetch, no embedding.
3. New or changed entries become articles (sources.feed_entry_item: the entry's page,
   else its own text) with the subscription's scope, fetched under the same FetchPolicy
   (public addresses only for a Discord server's feeds), and go through the Ingestor,
   under the store's writer lock.
4. The registry remembers the validators and fingerprints; a failure is recorded and the
   next poll backed off. A poll never raises into its caller (the bot or `newsdesk watch`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from common.errors import NewsdeskError
from common.lock_order import LockRank, ranked
from ingest.feeds.conditional import Validators, conditional_get
from ingest.feeds.entries import feed_entry_item
from ingest.feeds.registry import FeedError, FeedRegistry, PollRecord, Subscription, check_feed_url
from ingest.fetching import check_public, fetch
from ingest.identity.ids import is_global
from ingest.reading.documents import Failure, Item, SourceOptions
from ingest.reading.formats import FeedEntry, parse_feed
from ingest.report import IngestReport
from vectorstore import GLOBAL_SCOPE, Article

log = logging.getLogger(__name__)

PollStatus = Literal["ingested", "not_modified", "failed"]
IngestFn = Callable[[Iterable[Item]], IngestReport]
Clock = Callable[[], datetime]
WATCH_TICK = timedelta(seconds=60)  # the longest `watch` sleeps: a feed added meanwhile is seen
SHOWN_FAILURES = 2  # failed entries a poll's summary names


class PollListener(Protocol):
    """Told what each poll that read its feed stored (nothing, for a feed not modified;
    before the poll is recorded: a poll that dies after telling is repeated, so a listener
    must take the same news twice calmly) and when a round of polls ends; the newsroom
    (bot/newsroom) plans deliveries from it."""

    def polled(self, subscription: Subscription, article_ids: list[str]) -> None: ...

    def round_done(self) -> object: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def entry_fingerprint(entry: FeedEntry) -> str:
    """What a feed says about one entry; a change in any of it is a changed entry."""
    draft = entry.draft
    digest = hashlib.sha256()
    for part in (entry.link, draft.title, draft.date, draft.author, draft.text):
        digest.update((part or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def stored(article: Article, report: IngestReport) -> bool:
    """Whether the ingest did not fail this article (an article claiming another origin's
    id is stored under the id plus a suffix): a failed entry is tried again next poll."""
    failed = [o.article_id or o.source for o in report.failed]
    return not any(f.startswith(article.id[:200]) for f in failed)


@dataclass(frozen=True)
class PollResult:
    url: str
    scope: str
    status: PollStatus
    added: int = 0
    updated: int = 0
    unchanged: int = 0  # entries skipped by fingerprint or found unchanged by the ingestor
    failed: int = 0
    error: str | None = None
    failures: tuple[str, ...] = ()  # the failed entries: "its link: the reason"

    def summary(self) -> str:
        if self.status == "not_modified":
            return "not modified"
        if self.status == "failed":
            return f"failed: {self.error}"
        text = f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        if not self.failed:
            return text
        named = "; ".join(self.failures[:SHOWN_FAILURES])
        more = f"; and {self.failed - SHOWN_FAILURES} more" if self.failed > SHOWN_FAILURES else ""
        return f"{text}, {self.failed} {'entry' if self.failed == 1 else 'entries'} failed ({named}{more})"


class FeedPoller:
    """Polls the registry's feeds; receives every part it uses.

    `ingest` writes items to the store (an Ingestor's `run`); `options` is the operator's
    source options (fetch policy, entry cap), narrowed per subscription to its scope and,
    for a Discord server's feeds, to public addresses; `writer_lock` is taken around each
    poll's writes; `clock` tells the time; `seat` says whether this process is the fleet's
    one poller now (the poller lease, taken when free: vectorstore/chroma/lease.py; None:
    always), asked at each round, which then polls and plans the newsroom's deliveries
    (the listener) only in that process; `tick` is the longest a watcher sleeps.
    """

    def __init__(
        self,
        registry: FeedRegistry,
        ingest: IngestFn,
        options: SourceOptions,
        writer_lock: Callable[[], AbstractContextManager[object]] = nullcontext,
        clock: Clock = utc_now,
        listener: PollListener | None = None,
        seat: Callable[[], bool] | None = None,
        tick: timedelta = WATCH_TICK,
    ) -> None:
        self.registry = registry
        self.listener = listener
        self.options = options
        self.tick = tick
        self.leading = seat is None  # this process polled at its last round (the seat's answer)
        self._ingest = ingest
        self._writer_lock = writer_lock
        self._clock = clock
        self._seat = seat
        self._polling = threading.Lock()  # one poll round at a time in this process

    def with_options(self, options: SourceOptions) -> FeedPoller:
        """The same poller fetching under other source options."""
        parts = (self._writer_lock, self._clock, self.listener, self._seat, self.tick)
        return FeedPoller(self.registry, self._ingest, options, *parts)

    def _lead(self) -> bool:
        """Whether this process is the fleet's feed poller now (asks the seat, which takes it
        when it is free); always True without one."""
        if self._seat is not None:
            try:
                self.leading = self._seat()
            except Exception:  # the store is away: not this round
                log.exception("feeds: cannot tell which process polls")
                self.leading = False
        return self.leading

    def pause(self) -> float:
        """How long a watcher sleeps now: until the next feed is due (at most a tick), or a
        tick while another process is the poller."""
        return self.seconds_to_next(self.tick) if self.leading else self.tick.total_seconds()

    def follow(self, url: str, scope: str, every_minutes: int) -> tuple[Subscription, bool]:
        """Subscribe `scope` to a feed (due at once), or change its interval; True when new.
        A Discord server's feed must be on a public address (checked before it is stored)."""
        if not is_global(scope):
            check_public(check_feed_url(url), self.options.fetch.address_allowed)
        return self.registry.add(url, scope, every_minutes, self._clock())

    def newest_entry(self, url: str, scope: str) -> FeedEntry:
        """A followed feed's newest entry, read now (by its date, else the first); not
        stored. A FeedError when it is not followed, has no entry or cannot be read."""
        subscription = self.registry.get(url, scope)
        if subscription is None:
            raise FeedError("No such feed is followed here (see the feeds list).")
        fetched = fetch(subscription.url, self._options_for(subscription).fetch)
        entries = parse_feed(fetched.body, allow_empty=True)
        if not entries:
            raise FeedError("The feed has no entries now.")
        return max(enumerate(entries), key=lambda e: (e[1].draft.date or "", -e[0]))[1]

    def read_before(self, subscription: Subscription) -> bool:
        """Whether a poll has read this feed: its next poll brings only new entries."""
        read = subscription.last_result not in (None, "failed")
        return read or bool(self.registry.fingerprints(subscription))

    def unfollow(self, url: str, scope: str) -> Subscription:
        return self.registry.remove(url, scope)

    def subscriptions(self, scope: str | None = None) -> list[Subscription]:
        """Every subscription (of one scope, when given)."""
        return self.registry.subscriptions(scope)

    def poll_due(self) -> list[PollResult]:
        """Poll the feeds that are due now."""
        return self._poll_claimed(everything=False)

    def poll_all(self) -> list[PollResult]:
        """Poll every subscribed feed now, due or not (`newsdesk watch --once`)."""
        return self._poll_claimed(everything=True)

    def poll_one(self, url: str, scope: str) -> PollResult | None:
        """Poll one subscription now (after `/feeds add`); None when it is not subscribed."""
        subscription = self.registry.get(url, scope)
        if subscription is None:
            return None
        result = self.poll(subscription)
        if self._lead():  # else the poller's next round plans what it stored
            self._round_done()
        return result

    def _poll_claimed(self, everything: bool) -> list[PollResult]:
        """The due feeds (every feed: `everything`, asked for by the operator) claimed and
        polled, then the round's end told to the listener; nothing while another process
        of the fleet is the poller (`everything` polls all the same)."""
        if not everything and not self._lead():
            return []
        with ranked(LockRank.POLL_ROUND), self._polling:
            try:
                claimed = self.registry.claim(self._clock(), everything)
            except Exception:  # the registry file is unreadable: log, and try next round
                log.exception("feeds: cannot read the subscriptions")
                return []
            results = [self.poll(s) for s in claimed]
            self._round_done()  # also when nothing was due: a listener may have timed work
            return results

    def _round_done(self) -> None:
        if self.listener is not None:
            try:
                self.listener.round_done()
            except Exception:  # the next round tries again; polls go on
                log.exception("feeds: the listener failed at the end of a round")

    def poll(self, subscription: Subscription) -> PollResult:
        """Poll one feed; every error becomes a failed result recorded in the registry."""
        try:
            result = self._poll(subscription)
        except Exception as exc:  # a poll never raises into the bot or the watcher
            error = str(exc) if isinstance(exc, NewsdeskError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, NewsdeskError):
                log.warning("feed %s failed", subscription.url, exc_info=True)
            result = PollResult(subscription.url, subscription.scope, "failed", error=error)
            try:
                self.registry.record_failure(subscription, self._clock(), error)
            except Exception:
                log.exception("feeds: cannot record the failure of %s", subscription.url)
        log.info("feed %s (%s): %s", subscription.url, subscription.scope, result.summary())
        return result

    def _poll(self, subscription: Subscription) -> PollResult:
        options = self._options_for(subscription)
        known = Validators(subscription.etag, subscription.last_modified)
        response = conditional_get(subscription.url, options.fetch, known)
        if response.fetched is None:
            if self.listener is not None:  # read, nothing new
                self.listener.polled(subscription, [])
            record = PollRecord(known.etag, known.last_modified, "not modified", 0, None)
            self.registry.record_success(subscription, self._clock(), record)
            return PollResult(subscription.url, subscription.scope, "not_modified")
        entries = parse_feed(response.fetched.body, allow_empty=True)[: options.feed_max_entries]
        seen = self.registry.fingerprints(subscription)
        fingerprinted = [(entry_fingerprint(e), e) for e in entries]
        kept = {f for f, _ in fingerprinted if f in seen}
        feed_id = response.fetched.url
        changed = [(f, feed_entry_item(e, feed_id, options)) for f, e in fingerprinted if f not in seen]
        report = self._write([item for _, item in changed])
        kept |= {f for f, item in changed if isinstance(item, Article) and stored(item, report)}
        if self.listener is not None:  # before the poll is recorded: told again if it dies here
            self.listener.polled(subscription, report.article_ids)
        result = PollResult(
            subscription.url,
            subscription.scope,
            "ingested",
            added=report.count("added"),
            updated=report.count("updated"),
            unchanged=len(entries) - len(changed) + report.count("unchanged") + report.count("skipped"),
            failed=len(report.failed),
            failures=tuple(f"{o.source[:200]}: {(o.reason or 'failed')[:200]}" for o in report.failed),
        )
        # an entry that failed is tried again next poll: ask for the whole feed, not a 304
        validators = Validators() if result.failed else response.validators
        record = PollRecord(
            validators.etag,
            validators.last_modified,
            result.summary(),
            result.added,
            frozenset(kept),
        )
        self.registry.record_success(subscription, self._clock(), record)
        return result

    def _write(self, items: list[Item]) -> IngestReport:
        """The one place a poll writes to the store: under the writers' lock."""
        if not items:
            return IngestReport()  # every entry unchanged: the ingestor is not even built
        if all(isinstance(i, Failure) for i in items):
            return self._ingest(items)  # only failures: no write, no lock
        with self._writer_lock():
            return self._ingest(items)

    def _options_for(self, subscription: Subscription) -> SourceOptions:
        public_only = self.options.fetch.public_only or subscription.scope != GLOBAL_SCOPE
        return replace(
            self.options,
            scope=subscription.scope,
            fetch=replace(self.options.fetch, public_only=public_only),
        )

    def seconds_to_next(self, limit: timedelta = WATCH_TICK) -> float:
        """How long a watcher may sleep before a feed is due (at most `limit`)."""
        try:
            due = self.registry.next_due()
        except Exception:
            log.exception("feeds: cannot read the subscriptions")
            return limit.total_seconds()
        if due is None:
            return limit.total_seconds()
        return max(0.0, min((due - self._clock()).total_seconds(), limit.total_seconds()))


def watch(
    poller: FeedPoller,
    stop: threading.Event,
    on_result: Callable[[PollResult], None],
    on_round: Callable[[], None] = lambda: None,
) -> int:
    """Poll each feed when it is due until `stop` is set; returns the number of polls."""
    polls = 0
    while not stop.is_set():
        for result in poller.poll_due():
            polls += 1
            on_result(result)
        on_round()
        stop.wait(poller.pause())
    return polls
