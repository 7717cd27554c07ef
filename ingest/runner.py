"""An ingest run from settings and the parts the composition root (bot/app.py) built."""

from __future__ import annotations

from ingest.fetching import FetchPolicy
from ingest.limits import Limits
from ingest.neardup import StoryIndex
from ingest.pipeline import Ingestor, IngestReport, ProgressCallback
from ingest.settings import IngestSettings
from ingest.sources import SourceOptions, iter_items
from vectorstore.embedding import Embedder
from vectorstore.models import GLOBAL_SCOPE
from vectorstore.store import ChromaStore


def source_options(
    settings: IngestSettings, public_only: bool = False, scope: str = GLOBAL_SCOPE
) -> SourceOptions:
    policy = FetchPolicy(
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.fetch_max_bytes,
        public_only=public_only,
        user_agent=settings.user_agent,
    )
    return SourceOptions(
        fetch=policy,
        max_file_bytes=settings.max_file_bytes,
        feed_max_entries=settings.feed_max_entries,
        scope=scope,
        limits=Limits(settings.max_article_chars),  # issue #14
        fetch_workers=settings.fetch_workers,
    )


def build_ingestor(settings: IngestSettings, embedder: Embedder, store: ChromaStore) -> Ingestor:
    """The ingestor over the store and embedder the composition root made."""
    return Ingestor(
        store,
        embedder,
        settings.chunk_tokens,
        settings.chunk_overlap_tokens,
        settings.ingest_flush_chunks,
        stories=StoryIndex(settings.data_dir / "stories.sqlite3"),  # wire copies (ingest/neardup.py)
    )


def run_ingest(
    settings: IngestSettings,
    targets: list[str],
    *,
    ingestor: Ingestor,
    on_progress: ProgressCallback | None = None,
    scope: str = GLOBAL_SCOPE,
) -> IngestReport:
    return ingestor.run(iter_items(targets, source_options(settings, scope=scope)), on_progress)
