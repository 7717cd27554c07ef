"""Dense retrieval over the host's rows: chunks ranked by their sentence closest to the
question.

The chunk index (chunk_index.py) proposes the chunks whose vectors are nearest; each is
then scored by its best stored sentence vector (passages.py), read from the host's rows
with its text. Ranking by the best sentence finds passages better than whole-chunk vectors
(squad-dev MRR@10 0.808 -> 0.830); proposing by chunk vectors keeps the index 4.6 times
smaller than one over every sentence, with the same ranking on squad-dev (bench/README.md).
A filter that admits few chunks is searched exactly: every admitted chunk's vector is
compared, as an approximate search would have to fetch most of the store to find them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from vectorstore.replica.chunk_index import ChunkIndex
from vectorstore.replica.passages import best_similarity
from vectorstore.replica.rows import ChunkRows, StoredPassage

EXACT_LIMIT = 5000  # admitted chunks up to which a filtered search compares every one
CANDIDATES = 200  # chunks the index proposes (bench/query.py: recall of the proposals)
KEPT = 60  # of them, the best by sentence, returned

Visible = Callable[[str, str], bool]  # (article id, version) -> may be returned


class DenseSearch:
    def __init__(self, rows: ChunkRows, index: ChunkIndex) -> None:
        self._rows = rows
        self._index = index

    def search(
        self, vector: np.ndarray, visible: Visible, among: Sequence[str] | None = None, share: float = 1.0
    ) -> list[tuple[StoredPassage, float]]:
        """(row, similarity of its best sentence) of the nearest visible chunks, best first.
        `among`: only these articles' chunks, compared exactly; `share`: the share of the
        store the caller's filters admit (more neighbours are fetched to find enough)."""
        if among is not None:
            proposed = self._exact(vector, among)
        else:
            proposed = self._index.search(vector, math.ceil(CANDIDATES / max(share, 1e-9)))
        near = dict(proposed)
        keep = [seq for seq, article, version in self._rows.owners(list(near)) if visible(article, version)]
        scored: list[tuple[StoredPassage, float]] = []
        for row in self._rows.passages_at(keep):  # texts and sentences of the visible ones only
            best = best_similarity(vector, row.sentences)
            scored.append((row, near[row.seq] if best is None else best))
        scored.sort(key=lambda hit: -hit[1])
        return scored[:KEPT]

    def _exact(self, vector: np.ndarray, among: Sequence[str]) -> list[tuple[int, float]]:
        pairs = list(self._rows.vectors(articles=among))
        if not pairs:
            return []
        sims = np.stack([v for _, v in pairs]) @ vector
        top = np.argsort(-sims, kind="stable")[:CANDIDATES]
        return [(pairs[i][0], float(sims[i])) for i in top]
