"""all-MiniLM-L6-v2 through ONNX Runtime: the same vectors as the torch model, without
importing torch, transformers or sentence-transformers (fast start, small footprint).

The ONNX file is exported once, by `make install` or by a child process on first need
(export.py): this process never imports torch. Tokenisation uses the model's own
tokenizer through the `tokenizers` library (model_files.load_tokenizer).

Memory: ONNX Runtime's CPU arena keeps room for the largest batch a session has run and
never gives it back (a bot embedding 64 chunks at a time grew by about 1 GB). A batch
holds at most `batch_size` texts (EMBEDDING_BATCH_SIZE, 8 by default) and `TOKEN_BUDGET`
rows x tokens^2 (attention grows with the square of the length), so what the arena keeps
is bounded whatever the texts and the setting. The arena is off (`ARENA`): a whole ingest
peaked lower without it, and what an embedding used is given back when it is done.
bench/onnx_memory.py measures the arena on and off at each batch size, with the
throughput.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.embedding.export import ensure_exported, onnx_path
from vectorstore.embedding.local import LocalEmbedder
from vectorstore.embedding.model_files import load_tokenizer
from vectorstore.errors import ModelNotFoundError
from vectorstore.system import give_back_memory

# ONNX Runtime's CPU memory arena keeps the room of the largest batch it has run, for
# good. Embedding alone the Wikinews chunks (about 200 tokens each), it added +42 MB at 4
# texts, +89 at 8, +164 at 16, +333 at 32 and kept it; off, the same batches peaked at
# +122, +176, +268 MB and kept about 20 MB once given back, at the same speed
# (bench/onnx_memory.py). A whole `newsdesk ingest` peaked lower with it off: 366 MB
# against 406 for the 89 Wikinews articles, 351 against 411 for a 150,000-character
# article (bench/hostile.py), at the same CPU time: off.
ARENA = False
TOKEN_BUDGET = 4 * 256 * 256  # rows x tokens^2 in one batch: 4 texts at the longest, 6 of 200
TRIM_TOKENS = 2048  # tokens embedded in one call (arena off) from which freed memory is given back


def _check_mean_pooling(model_dir: Path) -> None:
    """This backend pools by the mean of token embeddings, as all-MiniLM-L6-v2 does."""
    config = model_dir / "1_Pooling" / "config.json"
    if config.is_file() and not json.loads(config.read_text()).get("pooling_mode_mean_tokens"):
        raise ModelNotFoundError(
            f"{model_dir.name} does not use mean pooling; use EMBEDDING_BACKEND=torch for it."
        )


class OnnxEmbedder(LocalEmbedder[tuple[Any, Any]]):
    """The Embedder protocol on ONNX Runtime: its session and the model's tokenizer, loaded
    lazily, thread-safe."""

    def __init__(
        self,
        model_name: str,
        onnx_dir: Path,
        batch_size: int = 8,
        threads: int = 0,
        int8: bool = False,
        arena: bool = ARENA,
    ) -> None:
        super().__init__(model_name, batch_size, threads)
        _check_mean_pooling(self._model_dir)
        self._onnx_path = onnx_path(onnx_dir, self._name)
        self._int8 = int8
        self._arena = arena

    @property
    def dimension(self) -> int:
        return int(self._model()[0].get_outputs()[0].shape[-1] or 384)

    @property
    def max_tokens(self) -> int:
        return 256

    def _load(self) -> tuple[Any, Any]:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.enable_cpu_mem_arena = self._arena
        options.enable_mem_pattern = self._arena  # planned inside the arena
        if self._threads:
            options.intra_op_num_threads = self._threads
        model = ensure_exported(self._model_dir, self._onnx_path, self._int8)
        session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        tokenizer = load_tokenizer(self._model_dir)
        tokenizer.enable_truncation(self.max_tokens)
        tokenizer.no_padding()
        return session, tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self._model()[1].encode(text, add_special_tokens=False).ids)

    def _token_embeddings(
        self, texts: Sequence[str]
    ) -> Iterator[tuple[int, np.ndarray, list[tuple[int, int]]]]:
        """Per text: its position, its token embeddings and the tokens' character offsets,
        a batch at a time (only one batch's hidden states are held). Batches are sorted by
        length so that little padding is computed."""
        session, tokenizer = self._model()
        encodings = tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        for part in batches(lengths, self._batch_size):
            width = max(lengths[i] for i in part)
            ids = np.zeros((len(part), width), dtype=np.int64)
            mask = np.zeros((len(part), width), dtype=np.int64)
            for row, i in enumerate(part):
                ids[row, : lengths[i]] = encodings[i].ids
                mask[row, : lengths[i]] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feed)[0]
            for row, i in enumerate(part):
                yield i, hidden[row, : lengths[i]].astype(np.float32), list(encodings[i].offsets)
            del hidden
        if not self._arena and sum(lengths) >= TRIM_TOKENS:
            give_back_memory()

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, tokens, _ in self._token_embeddings(texts):
            vectors[i] = tokens.mean(axis=0)
        unit: np.ndarray = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        return unit


def batches(lengths: Sequence[int], size: int, budget: int | None = None) -> Iterator[list[int]]:
    """Indexes of texts of these token counts, shortest first, in batches of at most `size`
    texts and `budget` (TOKEN_BUDGET) rows x widest^2 (a text alone is always a batch)."""
    budget = budget or TOKEN_BUDGET
    part: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        width = max(lengths[i], 1)
        if part and (len(part) == size or (len(part) + 1) * width * width > budget):
            yield part
            part = []
        part.append(i)
    if part:
        yield part
