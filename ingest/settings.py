"""Settings for ingest: the store's, plus chunking and fetching."""

from __future__ import annotations

from pydantic import Field

from vectorstore.settings import StoreSettings


class IngestSettings(StoreSettings):
    chunk_tokens: int = Field(default=200, ge=32, description="Chunk size in embedder tokens.")
    chunk_overlap_tokens: int = Field(default=40, ge=0)
    fetch_timeout_s: float = Field(default=20.0, gt=0)
    fetch_max_bytes: int = Field(default=10_000_000, gt=0, description="Largest page or file fetched.")
    max_file_bytes: int = Field(default=50_000_000, gt=0, description="Largest local file read.")
    feed_max_entries: int = Field(default=50, ge=1)
    ingest_flush_chunks: int = Field(
        default=1024, ge=1, description="Chunks embedded (sorted by length) and written per batch."
    )
    user_agent: str = "newsdesk/0.1 (+https://github.com/newsdesk)"
