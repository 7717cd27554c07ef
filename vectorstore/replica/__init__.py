"""This host's read copy of the store: what answering reads instead of Chroma's vector
collections.

- `rows.py`: `ChunkRows`, each chunk's words, text, offsets, vector and sentence vectors
  (SQLite in the data dir); `passages.py`: how those are encoded.
- `chunk_index.py`: the memory-mapped usearch index over the chunk vectors.
- `bm25.py`: the in-memory BM25 replica, kept current from the rows.
- `dense.py`: dense search (the chunk index proposes, sentence vectors rank).
- `catch_up.py`: rows and index brought up to the manifest from Chroma.
"""
