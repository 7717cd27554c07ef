"""What of a story's reports can be told, and numerals read as figures.

- A page's date and time stamp alone ("May 7, 2026 Updated May 8, 2026, 8:47 a.m. ET") is
  no sentence of the story, nor is a live blog's run of entries ("Share this update"), nor
  a sentence standing in a furniture line of its page (vectorstore/furniture.py, read on
  the whole line: a sentence cut from its line can look like a heading).
- A numeral of two letters or more names a thing as its figure does ("Artemis II" is
  "Artemis 2").
"""

from __future__ import annotations

import re

from bot.answering.quoting.extractive import Candidate
from vectorstore.furniture import line_is_furniture

# a page's date and time stamp alone ("May 7, 2026 Updated May 8, 2026, 8:47 a.m. ET"): no lead
_DAY = r"[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}(?:,? \d{1,2}:\d\d\s?[ap]\.?m\.?(?: ET)?)?"
_STAMP = re.compile(rf"^(?:(?:Updated|Published):?\s+)?{_DAY}(?:\s+(?:Updated|Published):?\s+{_DAY})?\s*$")
# a live blog's entries run together, each with its stamp and share button: no one sentence
_LIVE = re.compile(r"\bshare this update\b", re.IGNORECASE)


def told(text: str) -> bool:
    """Whether a sentence can be told: not a date stamp, not a live blog's run of entries."""
    return not _STAMP.match(text.strip()) and not _LIVE.search(text)


def tellable(candidate: Candidate) -> bool:
    """Whether a candidate can be told: it can (told), and so can the line of its page it
    stands in: not a furniture line (read as a whole line: a sentence cut from its line
    looks like a heading), not a live blog's entry (its stamp, heading, byline and text
    run together)."""
    text, at = candidate.passage.text, candidate.start - candidate.passage.start
    line = text[text.rfind("\n", 0, max(at, 0)) + 1 : (text.find("\n", at) + 1 or len(text) + 1) - 1]
    return told(candidate.text) and not _LIVE.search(line) and not line_is_furniture(line.strip())


_ROMAN = re.compile(r"\b(X{0,2})(IX|IV|V?I{0,3})\b")
_ONES = {"": 0, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}


def arabic(text: str) -> str:
    """A text with its numerals of two letters or more in figures ("Artemis II" is
    "Artemis 2", "Charles III" "Charles 3"): X names them either way."""

    def figure(m: re.Match[str]) -> str:
        return str(10 * len(m.group(1)) + _ONES[m.group(2)]) if len(m.group(0)) >= 2 else m.group(0)

    return _ROMAN.sub(figure, text)
