"""Text -> vectors: the protocol the store and the answering core use, and the one
factory that picks a backend from the registry `BACKENDS` (ONNX Runtime by default, or
sentence-transformers).

Nothing here imports torch or sentence-transformers at import time: `--help`, `stats`
and `articles list` never pay for them; the backends import what they need when the
model first loads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from common.per_process import PerProcess
from vectorstore.embedding.model_files import canonical_model_name
from vectorstore.embedding.onnx_backend import OnnxEmbedder
from vectorstore.embedding.torch_backend import SentenceTransformerEmbedder
from vectorstore.errors import ModelNotFoundError
from vectorstore.settings import StoreSettings

__all__ = ["BACKENDS", "Embedder", "canonical_model_name", "make_embedder"]


class Embedder(Protocol):
    """What the store and the answering core need from an embedding model."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, text: str) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


@dataclass(frozen=True)
class EmbeddingOptions:
    """What a backend's factory is given (from the EMBEDDING_* settings)."""

    model: str
    batch_size: int
    threads: int
    onnx_dir: Path


@dataclass(frozen=True)
class Backend:
    """One member of the registry: its name (EMBEDDING_BACKEND), what it is, its factory."""

    name: str
    about: str
    build: Callable[[EmbeddingOptions], Embedder]


def _onnx(int8: bool) -> Callable[[EmbeddingOptions], Embedder]:
    def build(o: EmbeddingOptions) -> Embedder:
        return OnnxEmbedder(o.model, o.onnx_dir, batch_size=o.batch_size, threads=o.threads, int8=int8)

    return build


def _torch(o: EmbeddingOptions) -> Embedder:
    return SentenceTransformerEmbedder(o.model, batch_size=o.batch_size, threads=o.threads)


# The registry of embedding backends: a backend is named here once; the settings reference,
# `.env.example` and the extension points page list it from here.
BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend(
            "onnx",
            "ONNX Runtime, no torch at run time (the model is exported once, locally, from the "
            "installed model files)",
            _onnx(int8=False),
        ),
        Backend(
            "onnx-int8",
            "ONNX Runtime with int8 weights: about 1.5x faster on a CPU, vectors at cosine ~0.994 to "
            "onnx's; for `newsdesk ingest` on a weak machine, keep onnx for the bot",
            _onnx(int8=True),
        ),
        Backend(
            "torch",
            "sentence-transformers: the same vectors as onnx, so one store serves both",
            _torch,
        ),
    )
}


def make_embedder(settings: StoreSettings) -> Embedder:
    """The one place that chooses the embedder; one loaded model per process and config."""
    backend = settings.embedding_backend.strip().lower()
    if backend not in BACKENDS:
        raise ModelNotFoundError(f"EMBEDDING_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")
    onnx_dir = settings.embedding_onnx_dir or settings.data_dir / "models"
    options = EmbeddingOptions(
        settings.embedding_model, settings.embedding_batch_size, settings.embedding_threads, onnx_dir
    )
    return _SHARED.get((backend, options), lambda: BACKENDS[backend].build(options))


_SHARED: PerProcess[tuple[str, EmbeddingOptions], Embedder] = PerProcess(most=4)
