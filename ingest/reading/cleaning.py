"""Clean article text: one space between words, paragraphs separated by a blank line.

`clean_with_map` also returns, for each character of the clean text, its offset in the
original, so that offsets into the clean text can be mapped back (the eval needs this).

Text shown as text: bidirectional embeddings, overrides and isolates (U+202A-U+202E,
U+2066-U+2069) and invisible characters (zero-width space, word joiner, BOM) are dropped
from an article's text: they reorder or hide what follows them ("file.exe\u202egpj." reads
"file.exe.jpg") and say nothing an extractor keeps elsewhere. The bidi marks (LRM, RLM,
ALM) and the joiners (ZWJ, ZWNJ) stay in the text, where right-to-left, Persian and Indic
writing and emoji need them. `shown` is the stricter form for what is a name (a title, an
author, an outlet) and for everything a terminal or Discord shows: no bidi control at
all, no control character, and a joiner only between two non-ASCII characters, where it
is spelling.
"""

from __future__ import annotations

import re
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
BIDI_FORMATTING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # embeddings, overrides, isolates
BIDI_MARKS = "\u200e\u200f\u061c"  # LRM, RLM, ALM
INVISIBLE = "\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\u180e"  # zero-width, no spelling role
JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ
_DROP = {"\u00ad", *BIDI_FORMATTING, *INVISIBLE}
CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and newline, DEL, C1 (U+009B is a CSI)
UNSHOWN = re.compile(f"[{CONTROLS}{BIDI_FORMATTING}{BIDI_MARKS}{INVISIBLE}]")
_JOINER = re.compile(f"[{JOINERS}]")


def shown(text: str) -> str:
    """`text` as it is safe to show or to keep as a name: no control character (tab and
    newline kept), no bidi control, no invisible character, and a joiner only between two
    non-ASCII characters (Persian, Indic, emoji)."""
    text = UNSHOWN.sub("", text)
    return _JOINER.sub(_spelling_joiner, text) if _JOINER.search(text) else text


def _spelling_joiner(found: re.Match[str]) -> str:
    text, at = found.string, found.start()
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    return found.group() if _letterlike(before) and _letterlike(after) else ""


def _letterlike(ch: str) -> bool:
    return ord(ch) > 0x7F and not ch.isspace() and ch not in JOINERS


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
