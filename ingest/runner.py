"""Run an ingest from settings: the shared body of `newsdesk ingest` and `python -m ingest`."""

from __future__ import annotations

from ingest.fetching import FetchPolicy
from ingest.pipeline import Ingestor, IngestReport, ProgressCallback
from ingest.settings import IngestSettings
from ingest.sources import SourceOptions, iter_items
from vectorstore.embedding import Embedder, canonical_model_name, make_embedder
from vectorstore.store import ChromaStore


def source_options(
    settings: IngestSettings, public_only: bool = False, scope: str = "global"
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
    )


def build_ingestor(
    settings: IngestSettings, embedder: Embedder | None = None, store: ChromaStore | None = None
) -> Ingestor:
    embedder = embedder or make_embedder(settings)
    store = store or ChromaStore(settings, canonical_model_name(settings.embedding_model))
    return Ingestor(
        store, embedder, settings.chunk_tokens, settings.chunk_overlap_tokens, settings.ingest_flush_chunks
    )


def run_ingest(
    settings: IngestSettings,
    targets: list[str],
    on_progress: ProgressCallback | None = None,
    scope: str = "global",
    ingestor: Ingestor | None = None,
) -> IngestReport:
    ingestor = ingestor or build_ingestor(settings)
    return ingestor.run(iter_items(targets, source_options(settings, scope=scope)), on_progress)
