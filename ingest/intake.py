"""What a Discord server's admins may do to the store: add a page, a feed or an uploaded
file for their server, and remove an article their server added. Everything fetched for
them is fetched from public addresses only (every redirect and feed entry's page too,
whatever FETCH_ALLOW_PRIVATE says)."""

from __future__ import annotations

import tempfile
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path

from ingest.errors import SourceError
from ingest.identity.ids import readable_id
from ingest.pipeline import Ingestor
from ingest.report import IngestReport
from ingest.sources import SUFFIXES, SourceOptions, fetched_first, iter_items
from vectorstore import Article, ArticleNotFoundError, ArticleRecord, ChromaStore

UPLOAD_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf"})


def upload_id(scope: str, filename: str) -> str:
    """An uploaded file's article id: its name within the server that uploaded it (a
    derived id for a name the id check refuses)."""
    return readable_id(f"upload:{scope}/{Path(filename).name}")[0]


class Intake:
    """`options` are the operator's source options (limits, fetch policy), narrowed for
    each server to its scope and to public addresses."""

    def __init__(self, ingestor: Ingestor, store: ChromaStore, options: SourceOptions) -> None:
        self._ingestor = ingestor
        self._store = store
        self._options = options

    def options(self, scope: str) -> SourceOptions:
        """The source options of one server: its scope, public addresses only."""
        return replace(self._options, scope=scope, fetch=replace(self._options.fetch, public_only=True))

    def ingest_url(self, url: str, scope: str) -> IngestReport:
        """A page, PDF or feed for one server, fetched before the writer lock is taken."""
        items = fetched_first([url], self.options(scope))
        with self._writing(scope):
            return self._ingestor.run(items)

    def ingest_upload(self, filename: str, data: bytes, scope: str) -> IngestReport:
        """An attached file for one server, read from a private temporary folder."""
        name = Path(filename).name
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES or suffix not in SUFFIXES:
            raise SourceError(f"{name}: attach a .txt, .md, .html or .pdf file.")
        options = self.options(scope)
        with tempfile.TemporaryDirectory(prefix="newsdesk-upload-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            temporary_id = str(path.resolve())
            items = (
                replace(i, id=upload_id(scope, name))
                if isinstance(i, Article) and i.id == temporary_id
                else i
                for i in iter_items([str(path)], options)
            )
            with self._writing(scope):
                return self._ingestor.run(items)

    def _writing(self, scope: str) -> AbstractContextManager[object]:
        """The writer lock, not waited for: while another process (an operator's ingest)
        writes, the admin is told who holds the store (StoreBusyError) instead of waiting
        past Discord's 15-minute reply window."""
        lock: AbstractContextManager[object] = self._store.writing(f"/ingest for server {scope}", wait=False)
        return lock

    def forget(self, article_id: str, scope: str) -> ArticleRecord:
        """Remove an article this server added, and its chunks. The scope is checked under
        the writer lock, against the store itself (not a reader's snapshot)."""
        with self._store.writing(f"forget for server {scope}"):
            record = self._store.record(article_id)
            if record.scope != scope:
                raise ArticleNotFoundError(f"No article with id {article_id!r} was added by this server.")
            return self._store.delete_article(article_id)
