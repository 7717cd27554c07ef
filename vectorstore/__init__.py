"""Chroma storage, the embedder, and retrieval (dense + lexical, fused, filtered)."""
