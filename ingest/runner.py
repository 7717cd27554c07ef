"""An ingest run from settings: the source options the settings give, and a run of the
ingestor the composition root (bot/app.py) built."""

from __future__ import annotations

import time

from ingest.fetching import FetchPolicy
from ingest.limits import Limits
from ingest.pipeline import Ingestor
from ingest.report import IngestReport, ProgressCallback
from ingest.settings import IngestSettings
from ingest.sources import SourceOptions, fetched_first
from vectorstore import GLOBAL_SCOPE


def source_options(
    settings: IngestSettings, public_only: bool = False, scope: str = GLOBAL_SCOPE
) -> SourceOptions:
    policy = FetchPolicy(
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.fetch_max_bytes,
        public_only=public_only,
        user_agent=settings.user_agent,
        allow_private=settings.allow_private,
    )
    return SourceOptions(
        fetch=policy,
        max_file_bytes=settings.max_file_bytes,
        feed_max_entries=settings.feed_max_entries,
        scope=scope,
        limits=Limits(settings.max_article_chars),
        fetch_workers=settings.fetch_workers,
    )


def run_ingest(
    settings: IngestSettings,
    targets: list[str],
    *,
    ingestor: Ingestor,
    on_progress: ProgressCallback | None = None,
    scope: str = GLOBAL_SCOPE,
) -> IngestReport:
    """Pages and feeds are fetched before the run takes the writer lock (`fetched_first`);
    the report's seconds count the whole run, that fetching included (`fetch_seconds`)."""
    started = time.monotonic()
    items = fetched_first(targets, source_options(settings, scope=scope))
    fetched = time.monotonic()
    report = ingestor.run(items, on_progress)
    report.fetch_seconds = fetched - started
    report.seconds = time.monotonic() - started
    return report
