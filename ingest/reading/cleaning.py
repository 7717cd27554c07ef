"""Clean article text: one space between words, paragraphs separated by a blank line.

`clean_with_map` also returns, for each character of the clean text, its offset in the
original, so that offsets into the clean text can be mapped back (the eval needs this).
"""

from __future__ import annotations

import unicodedata

_SPACES = {
    " ",
    "\t",
    "\u00a0",
    "\u2000",
    "\u2001",
    "\u2002",
    "\u2003",
    "\u2004",
    "\u2005",
    "\u2006",
    "\u2007",
    "\u2008",
    "\u2009",
    "\u200a",
    "\u202f",
    "\u205f",
    "\u3000",
    "\f",
    "\v",
}
_DROP = {"\u200b", "\ufeff", "\u00ad"}


def clean_text(text: str) -> str:
    return clean_with_map(text)[0]


def clean_with_map(text: str) -> tuple[str, list[int]]:
    """(clean text, original offset of each clean character)."""
    text = unicodedata.normalize("NFC", text) if not unicodedata.is_normalized("NFC", text) else text
    out: list[str] = []
    where: list[int] = []
    pending_space = -1  # offset of a space not yet written
    newlines = 0
    newline_at = -1
    for i, ch in enumerate(text):
        if ch == "\r":
            continue
        if ch == "\n":
            newlines += 1
            newline_at = i if newlines == 1 else newline_at
            pending_space = -1
            continue
        if ch in _SPACES:
            if pending_space < 0:
                pending_space = i
            continue
        if ch in _DROP or (unicodedata.category(ch) == "Cc"):
            continue
        if out:
            if newlines:
                breaks = "\n\n" if newlines >= 2 else "\n"
                out.extend(breaks)
                where.extend([newline_at] * len(breaks))
            elif pending_space >= 0:
                out.append(" ")
                where.append(pending_space)
        newlines = 0
        pending_space = -1
        out.append(ch)
        where.append(i)
    return "".join(out), where


def as_paragraphs(text: str) -> str:
    """Treat every line as a paragraph (extractors give one paragraph a line)."""
    lines = [line.strip() for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line)
