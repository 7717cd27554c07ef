"""Articles -> chunks -> embeddings -> Chroma, idempotently and in batches.

An unchanged article (same id, same content hash and metadata, all its chunks present)
costs one manifest look-up: nothing is chunked, embedded or written; a change of metadata
alone (url, date, author, source) re-stores the article, so nothing of the older version
stays. An article replaces a stored one only from the same scope and origin; another
origin's claim to its id becomes a separate article (ingest/identity/ids.py). Any error
while chunking one article is that article's failure. Changed and new articles are
chunked at once, and their chunks embedded together in batches across articles. A batch
is written to Chroma on a writer thread while the next batch is embedded (at most one
write in flight), and published when written: readers answer from each batch while the
rest of the run is embedded (a process opening the store waits at most for
one of its writes, vectorstore/chroma/load_guard.py). A run killed between batches leaves
the published ones whole; the next run skips them as unchanged. Where the writes wait (a
Chroma server elsewhere) or cores are spare, the writer thread hides them; on 2 cores both
compete for the CPU and it gains little (bench/README.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ingest.bounded_embed import embed_bounded
from ingest.chunking import Chunker
from ingest.errors import SourceError
from ingest.identity.dates import with_first_seen
from ingest.identity.ids import Claims, check_id, same_article
from ingest.identity.neardup import StoryIndex
from ingest.reading.documents import Failure, Item, reason
from ingest.report import IngestReport, Outcome, Progress, ProgressCallback, Status
from ingest.settings import IngestSettings
from vectorstore import Article, ArticleRecord, ArticleWrite, ChromaStore, Chunk, Embedder

log = logging.getLogger(__name__)

_SETTINGS = IngestSettings.model_fields  # the defaults, defined once (CHUNK_TOKENS, ...)


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    status: Status
    note: str | None = None  # why the article is not under the id it claimed


def _unchanged(record: ArticleRecord, article: Article) -> bool:
    """Does the stored record show this article already, from its origin?"""
    return same_article(record, article) and (record.origin is None or record.origin == article.origin)


class Ingestor:
    """Feeds articles to the store. One instance can run many times."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        chunk_tokens: int = _SETTINGS["chunk_tokens"].default,
        overlap_tokens: int = _SETTINGS["chunk_overlap_tokens"].default,
        flush_chunks: int = _SETTINGS["ingest_flush_chunks"].default,
        lookup_batch: int = 64,
        stories: StoryIndex | None = None,
    ) -> None:
        self._store = store
        self._stories = stories
        self._embedder = embedder
        self._chunk_tokens = chunk_tokens
        self._overlap_tokens = overlap_tokens
        self._chunker: Chunker | None = None
        self._flush_chunks = flush_chunks
        self._lookup_batch = lookup_batch

    def _chunks_of(self, article: Article, report: IngestReport) -> list[Chunk]:
        if self._chunker is None:
            t0 = time.monotonic()
            _ = self._embedder.dimension  # loads the model: not counted in the ingest rate
            report.load_seconds += time.monotonic() - t0
            self._chunker = Chunker(self._embedder.count_tokens, self._chunk_tokens, self._overlap_tokens)
        return self._chunker.split(article)

    def run(self, items: Iterable[Item], on_progress: ProgressCallback | None = None) -> IngestReport:
        report = IngestReport()
        started = time.monotonic()
        seen: set[tuple[str, str, str]] = set()
        claims = Claims()
        lookup: list[Article] = []
        pending: list[_Pending] = []

        def progress() -> None:
            if on_progress:
                on_progress(
                    Progress(len(report.outcomes), report.chunks_embedded, time.monotonic() - started)
                )

        with _Writer(self._store, report) as writer:
            for item in items:
                if isinstance(item, Failure):
                    report.outcomes.append(Outcome(item.source, "failed", reason=item.reason))
                    progress()
                    continue
                try:
                    check_id(item.id)
                except SourceError as exc:
                    report.outcomes.append(Outcome(item.id[:200], "failed", reason=reason(exc)))
                    continue
                if (item.id, item.scope, item.origin) in seen:
                    why = "the same article id came earlier in this run"
                    report.outcomes.append(Outcome(item.id, "skipped", item.id, item.title, reason=why))
                    continue
                seen.add((item.id, item.scope, item.origin))
                lookup.append(item)
                if len(lookup) >= self._lookup_batch:  # pending changes only here
                    pending.extend(self._classify(lookup, report, claims, writer))
                    lookup = []
                    pending = self._send(pending, writer, report, everything=False)
                progress()
            pending.extend(self._classify(lookup, report, claims, writer))
            self._send(pending, writer, report, everything=True)
        report.seconds = time.monotonic() - started
        progress()
        return report

    def _classify(
        self, batch: list[Article], report: IngestReport, claims: Claims, writer: _Writer
    ) -> list[_Pending]:
        """Unchanged articles are reported at once; the others are chunked for embedding.
        An origin's own copy of an article another origin holds, the same, is dropped."""
        if not batch:
            return []
        records = self._store.records(claims.lookup_ids(batch))
        resolved = claims.resolve(batch, records)
        writer.drop([r.redundant for r in resolved if r.redundant])
        intact = self._store.intact(
            [records[r.article.id] for r in resolved if not r.refused and r.article.id in records]
        )
        out = []
        for article, note, refused, _ in resolved:
            if refused:
                report.outcomes.append(Outcome(article.id, "failed", article.id, article.title, reason=note))
                continue
            record = records.get(article.id)
            if record is not None and _unchanged(record, article):
                if article.id in intact:
                    report.outcomes.append(
                        Outcome(
                            article.id, "unchanged", article.id, article.title, record.n_chunks, article.note
                        )
                    )
                    continue
                log.info("repairing %s: its chunks do not match its record", article.id)
            why = "no text to index"
            try:
                chunks = self._chunks_of(article, report)
            except Exception as exc:  # this article's failure, not the run's
                log.debug("chunking %s failed", article.id, exc_info=True)
                chunks, why = [], reason(exc)
            if not chunks:
                report.outcomes.append(Outcome(article.id, "failed", article.id, article.title, reason=why))
                continue
            status: Status = "added" if record is None else "updated"
            notes = "; ".join(n for n in (note, article.note) if n) or None
            out.append(_Pending(with_first_seen(article, record), chunks, status, notes))
        if self._stories is not None and out:  # wire copies share a story id (ingest/identity/neardup.py)
            for p, article in zip(out, self._stories.assign([p.article for p in out]), strict=True):
                p.article = article
        return out

    def _send(
        self, pending: list[_Pending], writer: _Writer, report: IngestReport, everything: bool
    ) -> list[_Pending]:
        """Embed and hand to the writer batches of about `flush_chunks` chunks; return the
        articles not sent (a batch short of the size, unless `everything`)."""
        batch: list[_Pending] = []
        size = 0
        for p in pending:
            batch.append(p)
            size += len(p.chunks)
            if size >= self._flush_chunks:
                writer.submit(self._embed(batch, report))
                batch, size = [], 0
        if everything:
            writer.submit(self._embed(batch, report))
            return []
        return batch

    def _embed(self, pending: list[_Pending], report: IngestReport) -> list[tuple[_Pending, ArticleWrite]]:
        if not pending:
            return []
        chunks = [c for p in pending for c in p.chunks]
        spans = [[(s - c.start, e - c.start) for s, e in c.sentences] for c in chunks]
        t0 = time.monotonic()
        vectors, sentence_vectors = embed_bounded(self._embedder, [c.text for c in chunks], spans)
        report.embed_seconds += time.monotonic() - t0
        self._store.check_dimension(int(vectors.shape[1]))
        out = []
        offset = 0
        for p in pending:
            end = offset + len(p.chunks)
            out.append(
                (p, ArticleWrite(p.article, p.chunks, vectors[offset:end], sentence_vectors[offset:end]))
            )
            offset = end
        return out


class _Writer:
    """Writes embedded batches on one background thread, one batch in flight at a time.

    A write error is raised in the caller at its next submit or at the end of the run;
    outcomes are reported only for articles whose write returned.
    """

    def __init__(self, store: ChromaStore, report: IngestReport) -> None:
        self._store = store
        self._report = report
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self._inflight: Future[None] | None = None

    def __enter__(self) -> _Writer:
        self._hold = self._store.writing()  # the writer lock, for the whole run (not readers')
        self._hold.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            self._wait()
        except Exception:
            if exc_type is None:
                raise
            log.exception("writing the last batch failed too")  # the run's own error goes up
        finally:
            self._pool.shutdown(wait=True)
            self._hold.__exit__(None, None, None)

    def submit(self, batch: list[tuple[_Pending, ArticleWrite]]) -> None:
        self._wait()
        if batch:
            self._inflight = self._pool.submit(self._write, batch)

    def drop(self, article_ids: list[str]) -> None:
        """Remove these articles (redundant copies), in turn with the writes. Nothing to
        drop waits for nothing: the next batch is classified and embedded while a write runs."""
        if article_ids:
            self._wait()
            self._inflight = self._pool.submit(self._drop, article_ids)

    def _drop(self, article_ids: list[str]) -> None:
        for article_id in article_ids:
            self._store.delete_article(article_id)
            log.info("removed %s: a second copy of an article stored under its own id", article_id)
        self._store.bump_generation()

    def _wait(self) -> None:
        if self._inflight is not None:
            inflight, self._inflight = self._inflight, None
            inflight.result()

    def _write(self, batch: list[tuple[_Pending, ArticleWrite]]) -> None:
        self._store.write_articles([w for _, w in batch])
        self._store.bump_generation()
        for p, w in batch:
            n = len(w.chunks)
            self._report.chunks_embedded += n
            self._report.outcomes.append(
                Outcome(p.article.id, p.status, p.article.id, p.article.title, n, reason=p.note)
            )
            log.info("stored %s (%s, %d chunks)", p.article.id, p.status, n)
