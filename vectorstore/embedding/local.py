"""What both embedding backends share: the model's files found when an embedder is made,
the model loaded on first use, once, under a lock, and the vectors of a text and of its
spans pooled from its token embeddings (model_files.pool_texts)."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np

from vectorstore.embedding.model_files import pool_texts, resolve_model

log = logging.getLogger(__name__)
M = TypeVar("M")
TokenEmbeddings = Iterable[tuple[int, np.ndarray, Sequence[tuple[int, int]]]]


class LocalEmbedder(ABC, Generic[M]):
    """An embedder over model files on this machine (never downloaded); `M` is what its
    backend loads (`_load`), thread-safe."""

    def __init__(self, model_name: str, batch_size: int, threads: int) -> None:
        self._name, self._model_dir = resolve_model(model_name)
        self._batch_size = batch_size
        self._threads = threads
        self._loaded: M | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    @abstractmethod
    def dimension(self) -> int: ...

    def _model(self) -> M:
        with self._lock:
            if self._loaded is None:
                log.info("loading embedding model %s from %s", self._name, self._model_dir)
                self._loaded = self._load()
            return self._loaded

    @abstractmethod
    def _load(self) -> M:
        """The backend's model, from `self._model_dir` (called once, under the lock)."""

    @abstractmethod
    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors of at least one text."""

    @abstractmethod
    def _token_embeddings(self, texts: Sequence[str]) -> TokenEmbeddings:
        """Per text of at least one: its position, its token embeddings and the tokens'
        character offsets."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._embed(texts)

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass per text giving both its vector (mean pooling, as `embed`)
        and a vector for each character span (a sentence), pooled from the same tokens."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        return pool_texts(self._token_embeddings(texts), spans, self.dimension)
