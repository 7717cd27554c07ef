"""all-MiniLM-L6-v2 through ONNX Runtime: the same vectors as the torch model, without
importing torch, transformers or sentence-transformers (fast start, small footprint).

The ONNX file is exported once, locally, from the installed model files, by PyTorch's
supported exporter (`torch.onnx.export(..., dynamo=True)` with dynamic batch and sequence
dimensions, so padded batches stay right; tests check it), and kept under the data dir.
Tokenisation uses the model's own tokenizer.json through the `tokenizers` library.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.embedding.model_files import pool_texts, resolve_model
from vectorstore.errors import ModelNotFoundError

log = logging.getLogger(__name__)


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the model's transformer (last hidden state) to ONNX. Needs torch, once."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    import transformers
    from transformers import AutoModel, AutoTokenizer

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    ).eval()
    sample = tokenizer(
        ["A short one.", "A longer example sentence, so that the batch is padded."],
        padding=True,
        return_tensors="pt",
    )
    batch = torch.export.Dim("batch", min=1, max=4096)
    seq = torch.export.Dim("seq", min=2, max=512)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    # Written in a folder of its own and renamed into place when complete: an interrupted
    # export leaves no half file behind (the weights sit in a .data file beside the graph).
    folder = target.parent
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # skipped torchvision ops, etc.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _export(torch, model, sample, names, partial / target.name, batch, seq)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    log.info("exported %s to %s", model_dir, target)
    return target


def _export(torch: Any, model: Any, sample: Any, names: list[str], path: Path, batch: Any, seq: Any) -> None:
    torch.onnx.export(
        model,
        (),
        kwargs={n: sample[n] for n in names},
        f=str(path),
        dynamo=True,
        verbose=False,
        input_names=names,
        output_names=["last_hidden_state"],
        dynamic_shapes={n: {0: batch, 1: seq} for n in names},
    )


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization of the exported model's MatMul weights, per channel.

    Only MatMul: quantizing the embedding tables too (onnxruntime's default op list) took
    the vectors' cosine to the float model down to 0.94 on squad-dev text; MatMul alone,
    per channel, keeps it at 0.994 (bench/README.md has the recall figures).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(target.name + ".partial")
    root = logging.getLogger()  # onnxruntime advises pre-processing there, on every call
    advice = _Drop("pre-processing before quantization")
    root.addFilter(advice)
    try:
        quantize_dynamic(
            str(source),
            str(partial),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        root.removeFilter(advice)
    partial.replace(target)
    log.info("quantized %s to %s", source, target)
    return target


class _Drop(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self._text not in record.getMessage()


def _check_mean_pooling(model_dir: Path) -> None:
    """This backend pools by the mean of token embeddings, as all-MiniLM-L6-v2 does."""
    config = model_dir / "1_Pooling" / "config.json"
    if config.is_file() and not json.loads(config.read_text()).get("pooling_mode_mean_tokens"):
        raise ModelNotFoundError(
            f"{model_dir.name} does not use mean pooling; use EMBEDDING_BACKEND=torch for it."
        )


class OnnxEmbedder:
    """The Embedder protocol on ONNX Runtime; loads lazily, thread-safe."""

    def __init__(
        self, model_name: str, onnx_dir: Path, batch_size: int = 64, threads: int = 0, int8: bool = False
    ) -> None:
        self._name, self._model_dir = resolve_model(model_name)
        _check_mean_pooling(self._model_dir)
        self._onnx_path = onnx_dir / self._name.replace("/", "--") / "model.onnx"
        self._int8_path = self._onnx_path.with_name("model.int8.onnx") if int8 else None
        self._batch_size = batch_size
        self._threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return int(self._load()[0].get_outputs()[0].shape[-1] or 384)

    @property
    def max_tokens(self) -> int:
        return 256

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime
                from tokenizers import Tokenizer

                options = onnxruntime.SessionOptions()
                if self._threads:
                    options.intra_op_num_threads = self._threads
                self._session = onnxruntime.InferenceSession(
                    str(self._model_file()), options, providers=["CPUExecutionProvider"]
                )
                tokenizer = Tokenizer.from_file(str(self._model_dir / "tokenizer.json"))
                tokenizer.enable_truncation(self.max_tokens)
                tokenizer.no_padding()
                self._tokenizer = tokenizer
            return self._session, self._tokenizer

    def _model_file(self) -> Path:
        """The ONNX file to run, exported (and quantized) on first use."""
        if not self._onnx_path.is_file():
            export_onnx(self._model_dir, self._onnx_path)
        if self._int8_path is None:
            return self._onnx_path
        if not self._int8_path.is_file():
            quantize_int8(self._onnx_path, self._int8_path)
        return self._int8_path

    def count_tokens(self, text: str) -> int:
        return len(self._load()[1].encode(text, add_special_tokens=False).ids)

    def _token_embeddings(
        self, texts: Sequence[str]
    ) -> Iterator[tuple[int, np.ndarray, list[tuple[int, int]]]]:
        """Per text: its position, its token embeddings and the tokens' character offsets,
        a batch at a time (only one batch's hidden states are held). Batches are sorted by
        length so that little padding is computed."""
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self._batch_size):
            part = order[start : start + self._batch_size]
            width = max(len(encodings[i].ids) for i in part)
            ids = np.zeros((len(part), width), dtype=np.int64)
            mask = np.zeros((len(part), width), dtype=np.int64)
            for row, i in enumerate(part):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            for row, i in enumerate(part):
                n = len(encodings[i].ids)
                yield i, hidden[row, :n].astype(np.float32), list(encodings[i].offsets)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, tokens, _ in self._token_embeddings(texts):
            vectors[i] = tokens.mean(axis=0)
        unit: np.ndarray = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        return unit

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        return pool_texts(self._token_embeddings(texts), spans, self.dimension)
