"""Embed chunks in groups whose memory is bounded, whatever the articles are.

A transformer's working memory per batch grows with rows x tokens^2 (attention): with
all-MiniLM-L6-v2 on ONNX Runtime, a process embedding 64 chunks of 198 tokens at a time
peaked at 1,354 MB, 16 at a time at 453 MB, and 64 chunks of 99 tokens at 585 MB
(measured in fresh processes, ru_maxrss). The embedder batches by count, so an article of
full-length chunks (a long text on one line, a long report) set the peak. Here chunks
are sorted by token count (as the embedder sorts them, so little padding) and handed
over in groups under EMBED_BUDGET: full-length chunks go 16 at a time, chunks of half
that length 64 at a time, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vectorstore import Embedder

EMBED_BUDGET = 16 * 200 * 200  # rows x tokens^2 in one call of the embedder


def groups_by_budget(tokens: Sequence[int], budget: int = EMBED_BUDGET) -> list[list[int]]:
    """Indexes of `tokens`, shortest first, in groups with len(group) x widest^2 <= budget
    (a single text over the budget is a group of its own)."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(tokens)), key=lambda i: tokens[i]):
        width = max(tokens[i], 1)
        if current and (len(current) + 1) * width * width > budget:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


def embed_bounded(
    embedder: Embedder, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """`embedder.embed_with_spans(texts, spans)`, a group under the budget at a time."""
    if not texts:
        return embedder.embed_with_spans([], [])
    tokens = [embedder.count_tokens(t) + 2 for t in texts]  # + [CLS] and [SEP]
    vectors: np.ndarray | None = None
    pooled: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(texts)
    for group in groups_by_budget(tokens):
        part, part_pooled = embedder.embed_with_spans([texts[i] for i in group], [spans[i] for i in group])
        if vectors is None:
            vectors = np.empty((len(texts), part.shape[1]), dtype=np.float32)
        vectors[group] = part
        for row, i in enumerate(group):
            pooled[i] = part_pooled[row]
    assert vectors is not None
    return vectors, pooled
