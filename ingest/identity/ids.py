"""Whose article is it: ids that one origin cannot take from another.

An article's id is what it claims (a JSONL id, a canonical URL) or where it was read
(a path). Its *origin* says who supplied it: a local file or JSONL file (by path), a web
site (by host, for pages fetched from it), a feed (for entries read from the feed's own
text), or a Discord server (everything a server adds). An update replaces an article
only from the same scope and origin; an article claiming an id held by another origin
is stored as a new article under a derived id (the claimed id plus a digest of its
origin), which the same origin finds again next time. The very article another origin
holds (same title, text, url, date, author and source: a file moved or copied, a store
and its inputs copied elsewhere) is that article, unchanged, not a second copy; a copy
this origin stored before under its derived id is then dropped. Ids like
`__generation__` name the store's own records and are refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from ingest.errors import SourceError
from ingest.limits import MAX_ID_CHARS
from vectorstore import GLOBAL_SCOPE, Article, ArticleRecord

_RESERVED = re.compile(r"^__.*__$", re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNREADABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def check_id(article_id: str) -> str:
    """The id, or a SourceError saying why it cannot name an article."""
    if not article_id.strip():
        raise SourceError("the article id is empty")
    if _RESERVED.match(article_id):
        raise SourceError(f"the id {article_id[:40]!r} is reserved for the store's own records")
    if _SURROGATE.search(article_id) or _CONTROL.search(article_id):
        raise SourceError("the article id holds invalid characters (a lone surrogate or a control)")
    if len(article_id) > MAX_ID_CHARS:
        raise SourceError(f"the article id is {len(article_id):,} characters, over {MAX_ID_CHARS:,}")
    return article_id


def readable_id(ident: str) -> tuple[str, str | None]:
    """`ident` when the id check takes its characters; else (a file named with a tab, a
    newline or a byte that is not UTF-8) a derived id, as another origin's claim gets one:
    its readable form, each such character as U+FFFD, plus a digest of what it was, so two
    names that read alike stay two ids; and the note that says so."""
    if not (_SURROGATE.search(ident) or _CONTROL.search(ident)):
        return ident, None
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()
    derived = f"{_UNREADABLE.sub(chr(0xFFFD), ident)}~{digest[:12]}"
    note = "the name holds a control character or a byte that is not UTF-8: stored under a derived id"
    return derived, f"{note} ({derived[-60:]!r})"


def valid_text(value: str) -> str:
    """The text with lone surrogates (undecodable halves of a pair) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value)


def file_origin(path: Path) -> str:
    return f"file:{readable_id(str(path.resolve()))[0]}"


def site_origin(url: str) -> str:
    return f"site:{_host(url)}"


def feed_origin(location: str) -> str:
    return f"feed:{location}"


def scope_origin(scope: str) -> str:
    """Everything a Discord server adds has one origin: that server."""
    return f"scope:{scope}"


def same_host(a: str | None, b: str | None) -> bool:
    """Do two URLs name the same host (both having one)?"""
    host = _host(a)
    return bool(host) and host == _host(b)


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url).hostname or "").lower() if url else ""
    except ValueError:  # a malformed URL names no host
        return ""


def entry_id(feed_location: str, guid: str | None, title: str | None, text: str) -> str:
    """A feed entry without a link: the feed plus its guid, else a digest of its content."""
    if guid and guid.strip():
        return f"{feed_location}#{guid.strip()}"
    digest = hashlib.sha256(f"{title or ''}\x00{text}".encode("utf-8", "replace")).hexdigest()
    return f"{feed_location}#{digest[:16]}"


def owner_key(scope: str, origin: str) -> str:
    return f"{scope}\x00{origin}"


def derived_id(article: Article) -> str:
    digest = hashlib.sha256(owner_key(article.scope, article.origin).encode("utf-8")).hexdigest()
    return f"{article.id}~{digest[:12]}"


def may_replace(record: ArticleRecord, article: Article) -> bool:
    """May `article` replace the stored `record` of the same id? Only from the same scope
    and origin; a record stored before origins were kept is matched by scope alone."""
    if record.scope != article.scope:
        return False
    return record.origin is None or record.origin == article.origin


def same_article(record: ArticleRecord, article: Article) -> bool:
    """Does the stored record hold this very article, its origin aside: the same title and
    text (content hash), url, date, author and source?"""
    fields = ("hash", "url", "date", "author", "source")
    return all((getattr(record, f) or None) == (getattr(article, f) or None) for f in fields)


def is_global(scope: str) -> bool:
    return scope == GLOBAL_SCOPE


class Resolved(NamedTuple):
    article: Article  # under the id it may write
    note: str | None = None  # why that is not the id it claimed, or why it is refused
    refused: bool = False
    redundant: str | None = None  # this origin's own copy of the very article another holds


@dataclass
class Claims:
    """The ids articles take in one run: a claimed id goes to the first origin that may
    write it (the store's record's own origin, else the run's first claimant)."""

    taken: dict[str, str] = field(default_factory=dict)  # id -> owner key
    hashes: dict[str, str] = field(default_factory=dict)  # id -> content hash claimed in this run

    @staticmethod
    def lookup_ids(batch: Sequence[Article]) -> list[str]:
        """The ids whose records `resolve` needs: each claimed id and its derived id."""
        return [i for a in batch for i in (a.id, derived_id(a))]

    def resolve(self, batch: Sequence[Article], records: Mapping[str, ArticleRecord]) -> list[Resolved]:
        """Each article under the id it may write, with a note when that is not its claim;
        refused when even its derived id is held by another origin (a derived id is
        predictable, so another origin may have claimed it on purpose)."""
        out: list[Resolved] = []
        for article in batch:
            owner = owner_key(article.scope, article.origin)
            alt = derived_id(article)
            held, own = records.get(article.id), records.get(alt)
            if held is not None and self._copy_of(held, article):
                redundant = own.id if own is not None and may_replace(own, article) else None
                out.append(
                    Resolved(replace(article, origin=held.origin or article.origin), redundant=redundant)
                )
                continue
            free = (held is None or may_replace(held, article)) and self.taken.get(article.id, owner) == owner
            if free and not (own is not None and may_replace(own, article)):
                self.taken[article.id], self.hashes[article.id] = owner, article.hash
                out.append(Resolved(article, None))
                continue
            if (own is not None and not may_replace(own, article)) or self.taken.get(alt, owner) != owner:
                why = f"the id {article.id[:80]!r} and its derived id {alt[-13:]!r} are others' articles"
                out.append(Resolved(article, why, True))
                continue
            self.taken[alt] = owner
            note = f"the id {article.id[:80]!r} is another origin's article: stored as a separate article"
            out.append(Resolved(replace(article, id=alt), note))
        return out

    def _copy_of(self, held: ArticleRecord, article: Article) -> bool:
        """Is `article` the very article another origin holds under its id (a file moved
        or copied, a page also in a feed)? Then it is that article, unchanged: not a second
        copy under a derived id, whose chunks would crowd the first's out of the answers
        (this origin's copy stored so before is redundant). Not when this run claims the id
        for another version of it."""
        if held.scope != article.scope or may_replace(held, article) or not same_article(held, article):
            return False
        owner = owner_key(held.scope, held.origin or "")
        if self.taken.get(article.id, owner) != owner or self.hashes.get(article.id, held.hash) != held.hash:
            return False
        self.taken[article.id] = owner
        return True
