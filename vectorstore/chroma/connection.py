"""The Chroma client and collections of one store (shared by every ChromaStore of a
process: coordination.connect), reopened when another process has written to an embedded
store.

An embedded Chroma (PersistentClient) keeps each collection's HNSW index in the memory of
the process that loaded it; rows another process adds later are in SQLite (so `count()`
sees them) but not in that index: `get(ids=[new], include=["embeddings"])` raises
InternalError "Error finding id" and queries miss them, for as long as the client lives.
Chroma caches one System per path and process (SharedSystemClient), so reopening means
stopping that System and making a new client, which loads the index from disk with every
committed write; reads wait for the swap, and one thread swaps at a time (gate.py).
Answering reads only the manifest collection (the chunks and their vectors come from the
host's rows and chunk index: replica/), so a reopen is cheap, and a process that loaded
the vector collections (a write, a catch-up) lets them go with one once it is done
(Coordinator.release). A Chroma server keeps one index for all its clients, so a server
connection is never reopened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vectorstore.chroma.gate import Gate
from vectorstore.chroma.load_guard import LoadGuard
from vectorstore.chroma.locks import WriterLock
from vectorstore.chroma.metadata import GENERATION_ID, WRITE_EPOCH_ID
from vectorstore.errors import StoreUnavailableError
from vectorstore.settings import StoreSettings
from vectorstore.system import give_back_memory

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.collection_configuration import CreateHNSWConfiguration
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

# HNSW settings, from bench/hnsw_recall.py at 458,724 sentence vectors (a 100k-chunk store):
# recall@10 against exact search 0.881 with Chroma's M=16 at ef_search 200, 0.950 at 800;
# 0.984 with M=32 at ef_search 800, for 2.8 ms a query. M (max_neighbors) and
# ef_construction are fixed when a collection is made.
EF_CONSTRUCTION, EF_SEARCH, MAX_NEIGHBORS = 200, 800, 32

HNSW_CONFIG: CreateHNSWConfiguration = {
    "space": "cosine",
    "ef_construction": EF_CONSTRUCTION,
    "ef_search": EF_SEARCH,
    "max_neighbors": MAX_NEIGHBORS,
}


def open_client(settings: StoreSettings) -> ClientAPI:
    """The embedded store under the data dir, or a server when CHROMA_HOST is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain exceptions for connection errors
        raise StoreUnavailableError(f"Cannot open {describe(settings)}: {exc}") from exc


def describe(settings: StoreSettings) -> str:
    if settings.chroma_host:
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return f"the store in {settings.data_dir / 'chroma'}"


def location(settings: StoreSettings) -> str:
    if settings.chroma_host:
        return f"chroma server {settings.chroma_host}:{settings.chroma_port}"
    return str((settings.data_dir / "chroma").resolve())


@dataclass
class Connection:
    """A client and the store's three collections; `known_generation` is the generation
    whose writes the loaded vector indexes are known to hold."""

    settings: StoreSettings
    model_name: str
    embedded: bool
    client: Any = None
    chunks: Any = None
    articles: Any = None
    sentences: Any = None  # a store older than format 4 only (migrate.py)
    known_generation: str | None = None
    known_epoch: str | None = None  # the write epoch (store.py) they are known to hold
    reopens: int = 0
    gate: Gate = field(default_factory=Gate)  # reads of the collections vs. a swap of them
    broken: bool = False  # a swap stopped the old System but could not open the new one
    vectors_loaded: bool = False  # a write or a catch-up read the vector collections (loaded whole)

    def open(self, wait: bool = True, guarded: bool = False) -> bool:
        """Open the client and its collections (their indexes load on first use). An
        embedded store is opened under a shared hold of its load guard (load_guard.py)
        unless the caller is the writer (`guarded`); it waits for the write under way, if
        any (one batch, not the writer's run), or without `wait` returns False."""
        if not self.embedded or guarded:
            self._load()
            return True
        guard = LoadGuard.of(self.settings.data_dir)
        with guard.loading(wait=False) as ok:
            if ok:
                self._load()
                return True
        if not wait:
            return False
        log.info("waiting for a write under way before opening the store")
        with guard.loading(wait=True):
            self._load()
        return True

    def _load(self) -> None:
        """A new client and its collections (their indexes load on first use), under the
        load guard (load_guard.py) or by the writer."""
        client = open_client(self.settings)
        chunks, articles, sentences = _collections(client, self.settings, self.model_name)
        self.client, self.chunks, self.articles, self.sentences = client, chunks, articles, sentences
        self.vectors_loaded = False
        # what the loaded indexes hold, read while nothing writes (the guard): a write
        # that started after the load must not look already known (coordination.py)
        self.known_generation = _marker(articles, GENERATION_ID)
        self.known_epoch = _marker(articles, WRITE_EPOCH_ID)

    def reopen(self, generation: str | None, guarded: bool = False, wait: bool = True) -> bool:
        """Swap this process's Chroma System for the path for a new one; False (and
        nothing changed) when a write is under way or this process holds the writer lock
        and the caller is not its writer (`guarded`: the hold's first thread), or, without
        `wait`, when another thread is reopening it."""
        if not self.embedded:
            return True
        with self.gate.turn(wait) as mine:
            if not mine:
                return False
            if guarded:
                return self._swap(generation)
            if WriterLock(self.settings.data_dir).busy_here:
                return False  # this process writes: its indexes are its own writes
            with LoadGuard.of(self.settings.data_dir).loading(wait=False) as ok:
                return ok and self._swap(generation)

    def _swap(self, generation: str | None) -> bool:
        """Stop the old System and open the new one while reads wait (gate.py): one copy
        of the collections in memory, never two."""
        from chromadb.api.shared_system_client import SharedSystemClient

        identifier = str(self.settings.data_dir / "chroma")
        with self.gate.exclusive():
            with SharedSystemClient._refcount_lock:
                old = SharedSystemClient._identifier_to_system.pop(identifier, None)
                SharedSystemClient._identifier_to_refcount.pop(identifier, None)
            if old is not None:
                old.stop()
                give_back_memory()
            try:
                self._load()
            except BaseException:
                self.broken = True  # its collections are stopped: the next read reopens first
                raise
            self.broken = False
        self.reopens += 1
        log.info("reopened %s at generation %s", location(self.settings), generation)
        return True


def _collections(
    client: ClientAPI, settings: StoreSettings, model_name: str
) -> tuple[Collection, Collection, Collection | None]:
    """The chunks and the manifest (made if missing), and the sentence collection of a
    store older than format 4 (None when there is none: format.py)."""
    from chromadb.errors import NotFoundError

    from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION

    name = settings.chroma_collection
    try:
        chunks = client.get_or_create_collection(
            f"{name}_chunks",
            metadata={"embedding_model": model_name, FORMAT_KEY: FORMAT_VERSION},
            configuration={"hnsw": HNSW_CONFIG},
            embedding_function=None,
        )
        articles = client.get_or_create_collection(f"{name}_articles", embedding_function=None)
        try:
            sentences: Collection | None = client.get_collection(f"{name}_sentences", embedding_function=None)
        except NotFoundError:
            sentences = None
    except Exception as exc:
        raise StoreUnavailableError(f"Cannot open {describe(settings)}: {exc}") from exc
    return chunks, articles, sentences


def _marker(articles: Collection, key: str) -> str:
    got = articles.get(ids=[key], include=["metadatas"])
    metas = got["metadatas"] or []
    return str(metas[0]["value"]) if metas and metas[0] else "empty"
