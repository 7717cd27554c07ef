"""How the core types are written to and read from Chroma's metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from vectorstore.models import Article, ArticleRecord, Chunk, date_to_ts
from vectorstore.replica.passages import PassageRow, Sentences, covered, flag_chunks, sentences_field

GENERATION_ID = "__generation__"  # moves after every change of content: readers refresh
WRITE_EPOCH_ID = "__write_epoch__"  # moves before a writer's first write: writers reload
LEASE_ID = "__writer_lease__"  # the writer lease on a Chroma server (locks.py, lease.py)
POLLER_LEASE_ID = "__poller_lease__"  # the fleet's one feed poller, on a Chroma server (lease.py)
MARKER_IDS = frozenset({GENERATION_ID, WRITE_EPOCH_ID, LEASE_ID, POLLER_LEASE_ID})  # not articles
# a chunk's sentences' offsets, vectors (format 4) and flags (format 5): passages.sentences_field
SENTENCES_KEY = "sentences"


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store (text and metadata, no embedding)."""

    id: str
    article_id: str
    hash: str
    index: int
    text: str
    start: int
    end: int
    n_sentences: int = 0
    furniture: frozenset[int] = frozenset()  # the starts of its furniture sentences, when read with them

    def row(self, vector: np.ndarray, sentences: Sentences) -> PassageRow:
        """This chunk as the host's rows keep it (replica/rows.py)."""
        fields = (self.id, self.article_id, self.hash, self.text, self.index, self.start, self.end)
        return PassageRow(*fields, vector, sentences)


def chunk_meta(article: Article, chunk: Chunk, sentences: Sentences) -> dict[str, str | int]:
    meta: dict[str, str | int] = {
        "article_id": article.id,
        "hash": article.hash,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "title": article.title,
        "scope": article.scope,
        "n_sentences": len(chunk.sentences),
    }
    meta[SENTENCES_KEY] = sentences_field(sentences)  # even none: a chunk without it is a format-3 one
    put_optional(meta, article)
    return meta


def article_meta(article: Article, n_chunks: int, seq: int) -> dict[str, str | int]:
    """The manifest record of an article; `seq`: the number of the write (coordination.py)."""
    meta: dict[str, str | int] = {
        "wseq": seq,
        "title": article.title,
        "hash": article.hash,
        "n_chunks": n_chunks,
        "scope": article.scope,
        "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    put_optional(meta, article)
    extra: dict[str, Any] = {"author": article.author or None}
    for key in ("date_source", "first_seen", "story_id", "origin"):  # news time, origin
        extra[key] = getattr(article, key) or None
    meta.update(extra)
    return meta


def put_optional(meta: dict[str, Any], article: Article) -> None:
    """An absent field is written as None, which Chroma's upsert takes as "remove": an
    update (even of metadata alone) leaves nothing of the older version behind."""
    meta["url"] = article.url or None
    put_filtered(meta, article)
    meta["date"] = article.date if meta["date_ts"] is not None else None


def put_filtered(meta: dict[str, Any], article: Article) -> None:
    """The optional fields that filters read: source and date (as a timestamp)."""
    meta["source"] = article.source or None
    meta["date_ts"] = date_to_ts(article.date) if article.date else None


def records_from(ids: Sequence[str], metas: Sequence[Any] | None) -> dict[str, ArticleRecord]:
    out: dict[str, ArticleRecord] = {}
    for aid, meta in zip(ids, metas or [], strict=True):
        if not meta or "kind" in meta:  # the markers and the writer lease, not articles
            continue
        out[aid] = ArticleRecord(
            id=aid,
            title=str(meta.get("title", "")),
            hash=str(meta["hash"]),
            n_chunks=int(meta.get("n_chunks", 0)),
            url=_opt(meta, "url"),
            date=_opt(meta, "date"),
            author=_opt(meta, "author"),
            source=_opt(meta, "source"),
            scope=str(meta.get("scope", "global")),
            ingested_at=_opt(meta, "ingested_at"),
            date_source=_opt(meta, "date_source"),
            first_seen=_opt(meta, "first_seen"),
            story_id=_opt(meta, "story_id"),
            origin=_opt(meta, "origin"),
        )
    return out


def _opt(meta: Any, key: str) -> str | None:
    value = meta.get(key)
    return None if value is None else str(value)


def stored_chunk(cid: str, doc: str | None, meta: Any) -> StoredChunk:
    return StoredChunk(
        id=cid,
        article_id=str(meta["article_id"]),
        hash=str(meta["hash"]),
        index=int(meta["index"]),
        text=doc or "",
        start=int(meta["start"]),
        end=int(meta["end"]),
        n_sentences=int(meta["n_sentences"]),
    )


def passage_row(
    cid: str, article: Article, chunk: Chunk, vector: np.ndarray, sentences: Sentences
) -> PassageRow:
    """The host's row of a chunk (replica/rows.py): its words, text, vector and sentences."""
    return PassageRow(
        cid, article.id, article.hash, chunk.text, chunk.index, chunk.start, chunk.end, vector, sentences
    )


@dataclass(frozen=True)
class ArticleWrite:
    """One article's new version: its chunks, their vectors and their sentences' vectors."""

    article: Article
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    sentence_vectors: Sequence[np.ndarray] = ()


def chunk_id(article_id: str, article_hash: str, index: int) -> str:
    key = hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:16]
    return f"{key}:{article_hash[:12]}:{index:05d}"


def sentence_ids(chunk_ids: Sequence[str], counts: Sequence[int]) -> list[str]:
    return [f"{cid}:{k:03d}" for cid, n in zip(chunk_ids, counts, strict=True) for k in range(n)]


Row = tuple[str, np.ndarray, str | None, dict[str, Any]]  # id, vector, document, metadata


@dataclass(frozen=True)
class WriteRows:
    """What a write of some articles adds: each article's chunk ids, and the rows of the
    chunks (their sentences in their metadata) and of this host's copy (ChromaStore.write_articles)."""

    ids: list[list[str]]
    chunks: list[Row]
    host: list[PassageRow]


def _text_of(write: ArticleWrite) -> str:
    """The article's text, in which its chunks' offsets are (rebuilt from the chunks when a
    caller gave the article without it)."""
    if write.article.text or not write.chunks:
        return write.article.text
    text, base = covered((0, c.start, c.text) for c in write.chunks)[0]
    return "\n" * base + text


def write_rows(writes: Sequence[ArticleWrite]) -> WriteRows:
    ids = [[chunk_id(w.article.id, w.article.hash, c.index) for c in w.chunks] for w in writes]
    pairs = [
        (cid, c, w)
        for w, chunk_ids in zip(writes, ids, strict=True)
        for cid, c in zip(chunk_ids, w.chunks, strict=True)
    ]
    vectors = [v for w in writes for v in w.vectors]
    sentences = [
        rows
        for w in writes
        for rows in flag_chunks(
            [c.sentences for c in w.chunks],
            [w.sentence_vectors[i] if len(w.sentence_vectors) else [] for i in range(len(w.chunks))],
            _text_of(w),
            0,
        )
    ]
    rows = list(zip(pairs, vectors, sentences, strict=True))
    return WriteRows(
        ids=ids,
        chunks=[(cid, v, c.text, chunk_meta(w.article, c, s)) for (cid, c, w), v, s in rows],
        host=[passage_row(cid, w.article, c, v, s) for (cid, c, w), v, s in rows],
    )
