"""One document (a file's or a response's bytes) -> a draft, by its kind (the format
registry) and charset, under the limits."""

from __future__ import annotations

from dataclasses import replace

from ingest.errors import SourceError
from ingest.fetching import Fetched
from ingest.identity.ids import same_host
from ingest.limits import Limits, one_line
from ingest.reading.drafts import Draft
from ingest.reading.items import Failure, Item, SourceOptions, reason
from ingest.reading.registry import reader_of

__all__ = ["Failure", "Item", "SourceOptions", "draft_of", "kind_of", "page_draft", "reason"]


def draft_of(body: bytes, kind: str, url: str | None, limits: Limits, charset: str | None = None) -> Draft:
    """What one document (by suffix or content type) says about itself: read by its format in
    the registry (ingest/reading/registry.py)."""
    read = reader_of(kind)
    if read is None:
        raise SourceError(f"unsupported kind of document ({one_line(kind, 60)})")
    draft = read(body, charset, url, limits)
    return replace(draft, url=url) if url and not draft.url else draft


def kind_of(fetched: Fetched) -> str:
    return fetched.content_type or "text/html"


def page_draft(fetched: Fetched, limits: Limits) -> Draft:
    """A fetched page's draft. Its canonical URL is kept only on the host it came from: a
    page cannot name (and so replace) another site's article."""
    draft = draft_of(fetched.body, kind_of(fetched), fetched.url, limits, fetched.charset)
    if draft.url and not same_host(draft.url, fetched.url):
        draft = replace(draft, url=fetched.url)
    return draft
