"""Retrieval on top of the store: `Retriever` (dense + BM25, fused by reciprocal rank)
and the `Filters` a question carries."""

from vectorstore.retrieval.filters import Filters
from vectorstore.retrieval.retriever import Retrieval, Retriever

__all__ = ["Filters", "Retrieval", "Retriever"]
