"""Dense retrieval over the host's rows: chunks ranked by their sentence closest to the
question.

The chunk index (chunk_index.py) proposes the chunks whose vectors are nearest; each is
then scored by its best stored sentence vector (passages.py), read from the host's rows
with its text. Ranking by the best sentence finds passages better than whole-chunk vectors
(squad-dev MRR@10 0.808 -> 0.830); proposing by chunk vectors keeps the index 4.6 times
smaller than one over every sentence, with the same ranking on squad-dev (bench/README.md).
A filter that admits up to EXACT_LIMIT chunks is searched exactly: every admitted chunk's
vector is compared, as an approximate search would have to fetch most of the store to
find them. A store of at most SMALL_STORE chunks is compared whole too: the index would
propose every one of them, so the same rows are read, ranked at least as well, and a
question there never imports usearch (nor its urllib and tqdm). Comparing more costs
more than the index (1,172 chunks: 39 ms of CPU a question against 26-30, their vectors
read from the rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from vectorstore.replica.chunk_index import ChunkIndex
from vectorstore.replica.passages import best_similarity
from vectorstore.replica.rows import ChunkRows, StoredRow

EXACT_LIMIT = 5000  # admitted chunks up to which a filtered search compares every one
CANDIDATES = 200  # chunks the index proposes (bench/query.py: recall of the proposals)
SMALL_STORE = CANDIDATES  # chunks up to which a store is compared whole, without filters
KEPT = 60  # of them, the best by sentence, returned

Visible = Callable[[str, str], bool]  # (article id, version) -> may be returned


class DenseSearch:
    def __init__(self, rows: ChunkRows, index: ChunkIndex) -> None:
        self._rows = rows
        self._index = index

    def search(
        self, vector: np.ndarray, visible: Visible, among: Sequence[str] | None = None, share: float = 1.0
    ) -> list[tuple[StoredRow, float]]:
        """(row, similarity of its best sentence) of the nearest visible chunks, best first.
        `among`: only these articles' chunks, compared exactly; `share`: the share of the
        store the caller's filters admit (more neighbours are fetched to find enough).
        Only the sentence vectors are read, as float16 views of their blobs: the texts and
        offsets of the passages kept are read by the caller."""
        if among is not None:
            proposed = self._exact(vector, among)
        else:
            proposed = self._index.search(vector, math.ceil(CANDIDATES / max(share, 1e-9)))
        near = dict(proposed)
        scored: list[tuple[StoredRow, float]] = []
        for row, blob in self._rows.sentence_blobs_at(list(near)):
            if visible(row.article_id, row.hash):
                best = best_similarity(vector, blob)
                scored.append((row, near[row.seq] if best is None else best))
        scored.sort(key=lambda hit: (-hit[1], hit[0].seq))  # ties: the older row first
        return scored[:KEPT]

    def _exact(self, vector: np.ndarray, among: Sequence[str]) -> list[tuple[int, float]]:
        seqs, vectors = self._rows.vector_matrix(among)
        if not seqs:
            return []
        sims = vectors @ vector
        top = np.argsort(-sims, kind="stable")[:CANDIDATES]
        return [(seqs[i], float(sims[i])) for i in top]
