"""What of a story's reports can be told, and numerals read as figures.

- A page's date and time stamp alone ("May 7, 2026 Updated May 8, 2026, 8:47 a.m. ET") is
  no sentence of the story, nor is a live blog's run of entries ("Share this update"), nor
  a sentence standing in a furniture line of its page (vectorstore/furniture.py, read on
  the whole line: a sentence cut from its line can look like a heading).
- A live blog's entry begins with its stamp, share button, heading and byline run into its
  first sentence ("9:12 pm ET April 1, 2026 Share this update Crew safe Jane Roe The crew
  ..."): the sentences that begin within ENTRY_HEAD characters after the share button are
  that head, the entry's later sentences are its reporting and can be told. A sentence that
  opens on a link's label ("Read more: ...") is a link to another page, wherever it stands.
- A numeral of two letters or more names a thing as its figure does ("Artemis II" is
  "Artemis 2").
- A report spells a name as news writing does (`spelt`): a title before a name ("Gov.
  Gavin Newsom" is a governor), a people's name for its place ("Canadian wildfires" are
  Canada's, a "Chilean" town is in Chile), a US city for its state ("Jacksonville" is in
  Florida; places.CITY_STATES); and a state's postal code in a headline only (`headline`:
  "CA race updates" is California's, a "CT scan" no state's).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.answering.quoting.extractive import Candidate
from bot.answering.quoting.modifiers import DEMONYM_ALIASES, DEMONYMS
from bot.answering.quoting.places import CITIES, COUNTRIES, STATE_OF, US_STATES
from vectorstore.furniture import line_is_furniture
from vectorstore.lexical import tokenize

# a page's date and time stamp alone ("May 7, 2026 Updated May 8, 2026, 8:47 a.m. ET"): no lead
_DAY = r"[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}(?:,? \d{1,2}:\d\d\s?[ap]\.?m\.?(?: ET)?)?"
_STAMP = re.compile(rf"^(?:(?:Updated|Published):?\s+)?{_DAY}(?:\s+(?:Updated|Published):?\s+{_DAY})?\s*$")
# a live blog's entries run together, each with its stamp and share button: no one sentence
_LIVE = re.compile(r"\bshare this update\b", re.IGNORECASE)
ENTRY_HEAD = 100  # a live entry's heading and byline after its share button, at most
# a link's label before another page's headline: "Read more: ...", "RELATED: ..."
_LINK = re.compile(r"^\W*(?:read more|more|related|see also|watch|listen|also read)\s*:", re.IGNORECASE)


def told(text: str) -> bool:
    """Whether a sentence can be told: not a date stamp, not a live blog's entry head, not a
    link to another page."""
    return not _STAMP.match(text.strip()) and not _LIVE.search(text) and not _LINK.match(text)


def tellable(candidate: Candidate) -> bool:
    """Whether a candidate can be told: it can (told), and so can the line of its page it
    stands in: not a furniture line (read as a whole line: a sentence cut from its line
    looks like a heading); on a live blog's entry, not its head (stamp, heading and byline
    run into the first sentence)."""
    text, at = candidate.passage.text, candidate.start - candidate.passage.start
    start = text.rfind("\n", 0, max(at, 0)) + 1
    line = text[start : (text.find("\n", at) + 1 or len(text) + 1) - 1]
    if _LIVE.search(line):  # measured from its entry's share button: the last one before it
        shares = [m.end() for m in _LIVE.finditer(line) if m.end() <= at - start]
        return told(candidate.text) and bool(shares) and at - start - shares[-1] > ENTRY_HEAD
    return told(candidate.text) and not line_is_furniture(line.strip())


_ROMAN = re.compile(r"\b(?=[XVI]{2})(X{0,2})(IX|IV|V?I{0,3})\b")
_ONES = {"": 0, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}


def arabic(text: str) -> str:
    """A text with its numerals of two letters or more in figures ("Artemis II" is
    "Artemis 2", "Charles III" "Charles 3"): X names them either way."""

    def figure(m: re.Match[str]) -> str:
        return str(10 * len(m.group(1)) + _ONES[m.group(2)]) if len(m.group(0)) >= 2 else m.group(0)

    return _ROMAN.sub(figure, text)


# a title before a name, as news writing abbreviates it
_TITLES = {"Gov.": "governor", "Sen.": "senator", "Rep.": "representative", "Pres.": "president"}
# the states' postal codes a headline uses for them; not those that are words or other names
# (IN, OR, ME, OK, HI, OH, LA, DE, CO, ID, AL, MA, PA, MD, MS, MT, NE, VA, WA, WI, MO, MI)
_CODES = {
    "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CT": "Connecticut",
    "FL": "Florida", "GA": "Georgia", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky",
    "MN": "Minnesota", "NC": "North Carolina", "ND": "North Dakota", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NV": "Nevada", "NY": "New York", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VT": "Vermont", "WV": "West Virginia", "WY": "Wyoming",
}  # fmt: skip
_ABBREVIATED = re.compile(
    r"(?<![\w.])(?:(?P<title>"
    + "|".join(map(re.escape, _TITLES))
    + r")|(?P<code>"
    + "|".join(_CODES)
    + r")(?![\w.'’-]))(?=\s|$|[,:;!?])"
)


_CITY = re.compile(r"\b(" + "|".join(map(re.escape, STATE_OF)) + r")\b")
# words made like a people's name that name no people, or another than the place's
_NOT_PEOPLES = frozenset(["roman", "dominican"])


@lru_cache(maxsize=1)
def _peoples() -> dict[str, str]:
    """A people's name (as tokens) -> its place: "Canadian" -> Canada, "Chilean" -> Chile,
    "Iranian" -> Iran, "Texan" -> Texas; made by the suffixes English forms them with ("-i"
    a country's only: "Israeli", not the surname "Parisi"), the longest place's when two
    make it ("Nigerian" is Nigeria's, not Niger's), with those of modifiers.DEMONYM_ALIASES that
    share no stem ("British" is Britain's, "Dutch" the Netherlands')."""
    out: dict[str, str] = {}
    for listing in (COUNTRIES, US_STATES, CITIES):
        for name in listing.replace("\n", "").split("|"):
            if " " in name or len(name) < 4:
                continue
            for form in tokenize(" ".join(_people_forms(name.lower(), listing is COUNTRIES))):
                longest = len(name) > len(out.get(form, ""))
                if form not in tokenize(name) and form not in _NOT_PEOPLES and longest:
                    out[form] = name
    for group in DEMONYM_ALIASES:
        names = group.split()
        place = next(n for n in names if n not in DEMONYMS)
        out.update({t: place for n in names if n in DEMONYMS for t in tokenize(n) if t not in out})
    return out


def _people_forms(low: str, country: bool) -> list[str]:
    """The forms a people's name of place `low` may take."""
    forms = [low + s for s in ("n", "an", "ian", "ese")] + ([low + "i"] if country else [])
    if low[-1] in "aeiou":
        forms += [low[:-1] + s for s in ("an", "ian", "ese")]
    if low.endswith("y"):
        forms += [low[:-1], low[:-1] + "ian"]
    if low.endswith("s"):
        forms += [low[:-1] + "n"]
    return forms


@lru_cache(maxsize=4096)  # a report's headline is read with each of its sentences
def spelt(text: str) -> str:
    """A text with the names its titles and peoples' names stand for written after it, for
    reading which words of a story it holds: "Gov. Newsom" holds "governor", "Canadian
    wildfires" "Canada", "Jacksonville" "Florida"."""
    named = [_TITLES[m.group("title")] for m in _ABBREVIATED.finditer(text) if m.group("title")]
    named += [STATE_OF[m.group(1)] for m in _CITY.finditer(text)]
    peoples = _peoples()
    named += [peoples[t] for t in tokenize(text) if t in peoples]
    return f"{text} {' '.join(dict.fromkeys(named))}" if named else text


@lru_cache(maxsize=4096)
def headline(title: str) -> str:
    """A report's headline with the states its postal codes stand for written after it ("CA
    race updates" holds "California"): a headline's shorthand, read in no other text (a
    "CT scan", "SD card")."""
    named = [_CODES[m.group("code")] for m in _ABBREVIATED.finditer(title) if m.group("code")]
    return f"{title} {' '.join(dict.fromkeys(named))}" if named else title
