"""The store, the embedder and retrieval: what `bot/` and `ingest/` import, from here.

The rooms (ARCHITECTURE.md draws them): `chroma/` (the source of truth, its connection,
coordination and locks), `replica/` (this host's read copy: rows, chunk index, BM25),
`embedding/` (text -> vectors), `retrieval/` (dense + BM25 fused, filters); and beside
them the core types (`models.py`), the user-facing errors, the settings, sentences and
words (`sentences.py`, `lexical.py`).

Each name is imported when it is first used (PEP 562), so that `from vectorstore import
Article` costs what `vectorstore.models` costs (0.2 s), not what Chroma and the indexes
cost (about 4 s and 90 MB more): the parsers of `ingest/` and `newsdesk --help` stay cheap.
Inside `vectorstore/`, modules import each other by their own paths, never from here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, for type checkers (`as`: re-exported)
    from vectorstore.chroma.lease import (
        Seat as Seat,
    )
    from vectorstore.chroma.metadata import (
        ArticleWrite as ArticleWrite,
    )
    from vectorstore.chroma.metadata import (
        StoredChunk as StoredChunk,
    )
    from vectorstore.chroma.store import (
        ChromaStore as ChromaStore,
    )
    from vectorstore.chroma.store import (
        poller_seat as poller_seat,
    )
    from vectorstore.embedding import (
        Embedder as Embedder,
    )
    from vectorstore.embedding import (
        canonical_model_name as canonical_model_name,
    )
    from vectorstore.embedding import (
        make_embedder as make_embedder,
    )
    from vectorstore.errors import (
        ArticleNotFoundError as ArticleNotFoundError,
    )
    from vectorstore.errors import (
        ModelMismatchError as ModelMismatchError,
    )
    from vectorstore.errors import (
        ModelNotFoundError as ModelNotFoundError,
    )
    from vectorstore.errors import (
        StoreBusyError as StoreBusyError,
    )
    from vectorstore.errors import (
        StoreFormatError as StoreFormatError,
    )
    from vectorstore.errors import (
        StoreUnavailableError as StoreUnavailableError,
    )
    from vectorstore.lexical import (
        tokenize as tokenize,
    )
    from vectorstore.models import (
        GLOBAL_SCOPE as GLOBAL_SCOPE,
    )
    from vectorstore.models import (
        Article as Article,
    )
    from vectorstore.models import (
        ArticleRecord as ArticleRecord,
    )
    from vectorstore.models import (
        Chunk as Chunk,
    )
    from vectorstore.models import (
        Passage as Passage,
    )
    from vectorstore.models import (
        StoreStats as StoreStats,
    )
    from vectorstore.models import (
        content_hash as content_hash,
    )
    from vectorstore.models import (
        date_to_ts as date_to_ts,
    )
    from vectorstore.models import (
        parse_date as parse_date,
    )
    from vectorstore.retrieval import (
        Filters as Filters,
    )
    from vectorstore.retrieval import (
        Retrieval as Retrieval,
    )
    from vectorstore.retrieval import (
        Retriever as Retriever,
    )
    from vectorstore.sentences import (
        SENTENCE_SEPARATOR as SENTENCE_SEPARATOR,
    )
    from vectorstore.sentences import (
        Sentence as Sentence,
    )
    from vectorstore.sentences import (
        split_sentences as split_sentences,
    )
    from vectorstore.settings import (
        StoreSettings as StoreSettings,
    )

# name -> the module that defines it
_HOME = {
    "Seat": "vectorstore.chroma.lease",
    "ArticleWrite": "vectorstore.chroma.metadata",
    "StoredChunk": "vectorstore.chroma.metadata",
    "ChromaStore": "vectorstore.chroma.store",
    "poller_seat": "vectorstore.chroma.store",
    "Embedder": "vectorstore.embedding",
    "canonical_model_name": "vectorstore.embedding",
    "make_embedder": "vectorstore.embedding",
    "ArticleNotFoundError": "vectorstore.errors",
    "ModelMismatchError": "vectorstore.errors",
    "ModelNotFoundError": "vectorstore.errors",
    "StoreBusyError": "vectorstore.errors",
    "StoreFormatError": "vectorstore.errors",
    "StoreUnavailableError": "vectorstore.errors",
    "tokenize": "vectorstore.lexical",
    "GLOBAL_SCOPE": "vectorstore.models",
    "Article": "vectorstore.models",
    "ArticleRecord": "vectorstore.models",
    "Chunk": "vectorstore.models",
    "Passage": "vectorstore.models",
    "StoreStats": "vectorstore.models",
    "content_hash": "vectorstore.models",
    "date_to_ts": "vectorstore.models",
    "parse_date": "vectorstore.models",
    "Filters": "vectorstore.retrieval",
    "Retrieval": "vectorstore.retrieval",
    "Retriever": "vectorstore.retrieval",
    "SENTENCE_SEPARATOR": "vectorstore.sentences",
    "Sentence": "vectorstore.sentences",
    "split_sentences": "vectorstore.sentences",
    "StoreSettings": "vectorstore.settings",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'vectorstore' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(_HOME)
