"""Text -> vectors: the `Embedder` protocol and the one factory (`embedder.py`), the ONNX
Runtime and sentence-transformers backends, and where the model's files are."""

from vectorstore.embedding.embedder import BACKENDS, Embedder, canonical_model_name, make_embedder

__all__ = ["BACKENDS", "Embedder", "canonical_model_name", "make_embedder"]
