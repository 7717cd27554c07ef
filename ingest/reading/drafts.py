"""A document's draft (what it says about itself, before it has an id) and the article it
makes: the text cleaned and checked against the limits, the metadata made safe to show,
the id given."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ingest.errors import SourceError
from ingest.identity.dates import date_of
from ingest.identity.ids import check_id, valid_text
from ingest.limits import MAX_TITLE_CHARS, MAX_URL_CHARS, Limits, field
from ingest.reading.cleaning import UNSHOWN, clean_text, shown
from vectorstore import Article

MIN_WORDS = 5


@dataclass(frozen=True)
class Draft:
    """What a document says about itself, before it has an id."""

    text: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None  # the outlet: declared, else guessed (a host name, a feed's title)
    outlet: str | None = None  # the outlet the document itself declares (og:site_name, <source>)


def with_fallback(draft: Draft, fallback: Draft) -> Draft:
    """Fill what `draft` lacks from `fallback` (an article page and its feed entry). The
    outlet: the one the entry declares (its `<source>`), else the page's (og:site_name),
    else the entry's guess (the feed's title), else the page's (its host name)."""
    outlet = fallback.outlet or draft.outlet
    return replace(
        draft,
        title=draft.title or fallback.title,
        url=fallback.url or draft.url,
        date=draft.date or fallback.date,
        author=draft.author or fallback.author,
        source=outlet or fallback.source or draft.source,
        outlet=outlet,
    )


def article_of(
    draft: Draft,
    article_id: str | None,
    fallback_title: str,
    limits: Limits | None = None,
) -> Article:
    """The article a draft makes: its text cleaned, its id the given one, else its URL, else
    `fallback_title` (the path, the feed entry, ...), which is also its title when it has none.

    The raw text is refused over the limits before it is cleaned, the clean text over
    MAX_ARTICLE_CHARS; lone surrogates become U+FFFD; metadata is one line, cut to size,
    without control, bidi or invisible characters (cleaning.shown);
    a URL that is not an http(s) URL of a sane length is dropped."""
    limits = limits or Limits()
    limits.check_raw(len(draft.text))
    text = clean_text(valid_text(draft.text))
    limits.check_article(len(text))
    if len(text.split()) < MIN_WORDS and len(text) < 20:
        raise SourceError("no article text (empty or only a few words)")
    url = _url(draft.url)
    ident = check_id(article_id or url or fallback_title)
    title = field(shown(clean_text(valid_text(draft.title or ""))), MAX_TITLE_CHARS)
    dated = date_of(field(draft.date), text)  # the declared date, else the text's dateline
    return Article(
        id=ident,
        title=title or field(shown(valid_text(fallback_title))) or "untitled",
        text=text,
        url=url,
        date=dated.date,
        author=field(shown(valid_text(draft.author or ""))),
        source=field(shown(valid_text(draft.source or ""))),
        date_source=dated.source,
        note=dated.note,
    )


def _url(value: str | None) -> str | None:
    """An http(s) URL on one line, of a sane length, without a control, bidi or invisible
    character (a real one has them percent-encoded), else None."""
    if not value:
        return None
    url = valid_text(value.strip())
    if len(url) > MAX_URL_CHARS or not url.lower().startswith(("http://", "https://")):
        return None
    return None if UNSHOWN.search(url) or any(ch.isspace() for ch in url) else url
