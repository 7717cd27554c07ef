"""The store's format version, recorded in the chunks collection's metadata next to the
embedding model and its dimension.

- 0 (no version recorded): chunks only; no sentence vectors, no `n_sentences` on chunks.
- 1 (no version recorded): + one record per sentence with its in-context vector,
  `n_sentences` on each chunk, HNSW `max_neighbors` 32.
- 2: the version recorded; the chunks' words for the lexical index live in SQLite in the
  data dir (`lexical.sqlite3`, per host, caught up from the manifest when behind);
  writers take the writer lock (`writer.lock` and the load guard `chroma.rwlock`:
  locks.py, load_guard.py; a lease record in the manifest on a server) and move the
  `__write_epoch__` marker before their first write; `__generation__` moves after every change.
- 3: the `__write_epoch__` marker numbers the writes (`seq`) and each manifest record
  carries the number of the write that added it (`wseq`): a reader re-reads only the
  records written since its snapshot, plus the ids (deletions; a record without `wseq`,
  from a format-2 store, is read by its id). A format-2 store is read as it is and
  stamped 3 by its next writer; format-2 code refuses to open a format-3 store. A
  format-2 process already running at the stamp may still write: its marker has no `seq`,
  and a reader that sees the number go back reads the whole manifest.
- 4: each chunk's sentences (offsets and in-context vectors) are in the chunk's own
  metadata (`sentences`); `<name>_sentences` is dropped: nothing
  searches them in Chroma (answering reads the host's rows and chunk index), and an
  embedded writer no longer loads their HNSW index (about 1 GB at 100k chunks). A
  format 1-3 store is read as it is (a chunk without the field has its sentences read
  from the collection) and migrated by its next writer (migrate.py: the sentences moved
  a page of chunks at a time, the collection dropped, then the version stamped); older
  code refuses it afterwards, and a format-3 process still running when it happened fails
  its next write.
- 5: each sentence in a chunk's field carries its flags: whether it is page furniture
  (vectorstore/furniture.py: link lines, promotions, credits, captions, headings), never
  quoted nor a lead. A format 1-4 store is read as it is (the flags of a sentence stored
  without them are read from its chunk's text, by the rule a writer applies) and
  migrated by its next writer: one pass over the chunks writes every field again with
  its flags (migrate.py), then the version is stamped; older code refuses it afterwards.

A store without a recorded version is probed once when opened: one that holds sentence
vectors and counts (1) is read as it is and migrated to 5 by its next writer (its lexical
rows are read back from its chunks on first use); an older one (0) is refused with the command that
rebuilds it. Code reads only the current format: nothing guesses from missing fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vectorstore.errors import StoreFormatError

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

FORMAT_VERSION = 5
FORMAT_KEY = "format_version"


def rebuild_hint(location: str) -> str:
    return (
        f"Rebuild it: point NEWSDESK_DATA_DIR at a new folder (or set CHROMA_COLLECTION to a new "
        f"name) and run `newsdesk ingest <your articles>` again; then remove {location}."
    )


def recorded_version(chunks: Collection) -> int | None:
    value = (chunks.metadata or {}).get(FORMAT_KEY)
    return None if value is None else int(value)


def check_format(chunks: Collection, sentences: Collection | None, location: str) -> bool:
    """Refuse a store this version cannot read; True when it needs its version stamped."""
    version = recorded_version(chunks)
    if version == FORMAT_VERSION:
        return False
    if version in (2, 3, 4):
        return True  # migrated to 5 by its next writer
    if version is not None and version > FORMAT_VERSION:
        raise StoreFormatError(
            f"The store in {location} has format {version}, written by a newer newsdesk "
            f"(this one reads format {FORMAT_VERSION}). Upgrade newsdesk."
        )
    if version is None and _probe(chunks, sentences) == 1:
        return True
    found = version if version is not None else 0
    raise StoreFormatError(
        f"The store in {location} has format {found} (no sentence vectors), which this "
        f"version of newsdesk no longer reads. {rebuild_hint(location)}"
    )


def _probe(chunks: Collection, sentences: Collection | None) -> int:
    """1 for an unversioned store with sentence vectors and counts (or an empty one), else 0."""
    sample = chunks.get(limit=1, include=["metadatas"])
    metas = sample["metadatas"] or []
    if not metas:
        return 1
    has_counts = bool(metas[0].get("n_sentences"))
    moved = "sentences" in metas[0]  # a migration to 4 cut off before its stamp (migrate.py)
    held = sentences is not None and bool(sentences.get(limit=1, include=[])["ids"])
    return 1 if has_counts and (moved or held) else 0
