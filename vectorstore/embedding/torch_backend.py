"""The sentence-transformers backend (EMBEDDING_BACKEND=torch): torch is imported when the
model first loads, never at import time."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from vectorstore.embedding.local import LocalEmbedder, TokenEmbeddings
from vectorstore.errors import ModelNotFoundError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedTokenizerBase


class SentenceTransformerEmbedder(LocalEmbedder["SentenceTransformer"]):
    """all-MiniLM-L6-v2 (or another local model) through sentence-transformers, on CPU."""

    def __init__(self, model_name: str, batch_size: int = 64, threads: int = 0) -> None:
        super().__init__(model_name, batch_size, threads)

    @property
    def model(self) -> SentenceTransformer:
        return self._model()

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
        return SentenceTransformer(str(self._model_dir), device="cpu", local_files_only=True)

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

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _token_embeddings(self, texts: Sequence[str]) -> TokenEmbeddings:
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
        return (
            (i, np.asarray(t.float().cpu().numpy(), dtype=np.float32), offsets)
            for i, (t, offsets) in enumerate(zip(token_sets, encoded["offset_mapping"], strict=True))
        )
