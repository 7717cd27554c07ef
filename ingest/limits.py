"""How much of one input ingest will read: each limit, its reason, and where it is checked.

An article's clean text is capped by MAX_ARTICLE_CHARS (a news article is rarely over
100 KB): a longer text is refused, not cut, since a cut article would answer questions
about its first part only. The raw text of a document may be larger than its clean text
(markup, spaces), by the factors below; beyond them it is refused before it is parsed,
so that neither time nor memory grows with what a stranger sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.errors import SourceError

RAW_TEXT_FACTOR = 4  # plain text, Markdown, a JSONL line: spaces and marks
RAW_HTML_FACTOR = 25  # a page: scripts, styles, navigation around the article
MAX_URL_CHARS = 2048
MAX_TITLE_CHARS = 500
MAX_FIELD_CHARS = 300  # author, source, a date string
MAX_ID_CHARS = 1024
# one stream of a PDF (a page's content, a font's map), decoded: an article's page is a few
# hundred KB (pypdf's own limit is 75 MB a filter, 300 MB a stream); and its filters, for
# a stream may be compressed several times over
PDF_STREAM_BYTES = 20_000_000
PDF_STREAM_FILTERS = 4


@dataclass(frozen=True)
class Limits:
    max_article_chars: int = 200_000

    @property
    def max_raw_text(self) -> int:
        return self.max_article_chars * RAW_TEXT_FACTOR

    @property
    def max_raw_html(self) -> int:
        return self.max_article_chars * RAW_HTML_FACTOR

    def check_raw(self, size: int, html: bool = False, what: str | None = None) -> None:
        """Refuse a document whose raw text cannot hold an article under the cap."""
        cap = self.max_raw_html if html else self.max_raw_text
        if size > cap:
            what = what or ("page" if html else "text")
            raise SourceError(
                f"the {what} is {size:,} characters, over the {cap:,} read for an article of at "
                f"most MAX_ARTICLE_CHARS={self.max_article_chars:,}; refused"
            )

    def check_article(self, size: int) -> None:
        if size > self.max_article_chars:
            raise SourceError(
                f"the article text is {size:,} characters, over MAX_ARTICLE_CHARS="
                f"{self.max_article_chars:,}; refused (not cut)"
            )


def one_line(text: str, limit: int = 300) -> str:
    """A reason shown on one line of a summary: no line breaks, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def field(value: str | None, limit: int = MAX_FIELD_CHARS) -> str | None:
    """A metadata value on one line and cut to `limit` characters (None stays None)."""
    if value is None:
        return None
    flat = one_line(value, limit)
    return flat or None
