"""Settings for the store and the embedder, read once by each entry point."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class StoreSettings(BaseSettings):
    """Where data lives and how text becomes vectors."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    newsdesk_data_dir: Path = Field(
        default=Path("data"), description="Everything the program writes lives here."
    )
    chroma_host: str | None = Field(
        default=None, description="Talk to a Chroma server instead of the embedded store."
    )
    chroma_port: int = 8000
    chroma_ssl: bool = False
    chroma_collection: str = "newsdesk"
    writer_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="With CHROMA_HOST: a writer's lease lasts this long unless renewed.",
    )
    poller_lease_s: float = Field(
        default=60.0,
        ge=3,
        description="The fleet's one feed poller holds a lease this long unless renewed; another "
        "process takes over within about 5/3 of it when the poller dies.",
    )
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_backend: str = Field(
        default="onnx", description="onnx (ONNX Runtime, no torch at run time), onnx-int8 or torch."
    )
    embedding_onnx_dir: Path | None = Field(
        default=None, description="Where the exported ONNX model is kept (default: <data dir>/models)."
    )
    embedding_batch_size: int = Field(
        default=8,
        ge=1,
        description="Texts per forward pass; the memory a batch takes grows with it (bench/memory.py).",
    )
    embedding_threads: int = Field(default=0, ge=0, description="0: all cores (the bot splits them).")

    @property
    def data_dir(self) -> Path:
        return self.newsdesk_data_dir
