"""The Chroma side: the store's source of truth and what keeps it consistent.

- `store.py`: `ChromaStore`, the store every part receives (articles, chunks, the manifest).
- `connection.py`: the client and collections, shared by a process and reopened when
  another process wrote to an embedded store; `gate.py`: reads of it against a reopen.
- `coordination.py`: many readers, one writer (the manifest's markers, holds, migration).
- `locks.py`: the writer lock (a flock a writer holds for its run, or a lease on a
  server), held by a process as a whole; `load_guard.py`: the embedded store's files,
  held by a writer for each write and shared by a process while it opens the store.
- `format.py`: the store format version; `migrate.py`: format 1-3 -> 4.
- `metadata.py`: how the core types are written to Chroma's metadata.
"""
