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
  Gavin Newsom" is a governor), a state's postal code in a headline ("CA race updates" is
  California's), a people's name for its place ("Canadian wildfires" are Canada's, a
  "Chilean" town is in Chile), a US city for its state ("Jacksonville" is in Florida).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.answering.quoting.extractive import Candidate
from bot.answering.quoting.places import CITIES, COUNTRIES, US_STATES
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
    live = _LIVE.search(line)
    if live is not None:
        return told(candidate.text) and at - start - live.end() > ENTRY_HEAD
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


# a US city names its state: "Jacksonville" is in Florida (large or much reported ones; not those
# that are also names or other places: Jackson, Austin, Phoenix, Portland, Columbus, Madison)
_CITY_STATES = {
    "Florida": "Jacksonville|Miami|Tampa|Orlando|Tallahassee|St. Petersburg|Fort Lauderdale|Parkland",
    "California": "Los Angeles|San Francisco|San Diego|San Jose|Sacramento|Oakland|Fresno|Long Beach",
    "Texas": "Houston|Dallas|San Antonio|Fort Worth|El Paso|Uvalde",
    "New York": "New York City|Brooklyn|Manhattan|Buffalo|Albany",
    "Illinois": "Chicago", "Arizona": "Tucson|Scottsdale", "Nevada": "Las Vegas",
    "Pennsylvania": "Philadelphia|Pittsburgh|Harrisburg", "Ohio": "Cleveland|Cincinnati",
    "Georgia": "Atlanta", "Michigan": "Detroit|Lansing", "Massachusetts": "Boston",
    "Washington": "Seattle|Spokane", "Colorado": "Denver", "Tennessee": "Nashville|Memphis",
    "Minnesota": "Minneapolis|St. Paul", "Louisiana": "New Orleans|Baton Rouge",
    "Maryland": "Baltimore", "North Carolina": "Raleigh", "Missouri": "St. Louis",
    "Wisconsin": "Milwaukee", "Utah": "Salt Lake City", "Hawaii": "Honolulu|Maui|Lahaina",
    "Kentucky": "Louisville", "Indiana": "Indianapolis",
}  # fmt: skip
_STATE_OF = {c: state for state, cities in _CITY_STATES.items() for c in cities.split("|")}
_CITY = re.compile(r"\b(" + "|".join(map(re.escape, _STATE_OF)) + r")\b")


@lru_cache(maxsize=1)
def _peoples() -> dict[str, str]:
    """A people's name (as tokens) -> its place: "Canadian" -> Canada, "Chilean" -> Chile,
    "Iranian" -> Iran; made by the suffixes English forms them with."""
    out: dict[str, str] = {}
    for listing in (COUNTRIES, US_STATES, CITIES):
        for name in listing.replace("\n", "").split("|"):
            if " " in name or len(name) < 4:
                continue
            low = name.lower()
            forms = [low + s for s in ("n", "an", "ian", "i", "ese")]
            if low[-1] in "aeiou":
                forms += [low[:-1] + s for s in ("an", "ian", "ese")]
            if low.endswith("y"):
                forms += [low[:-1], low[:-1] + "ian"]
            for form in tokenize(" ".join(forms)):
                if form not in tokenize(low):
                    out.setdefault(form, name)
    return out


@lru_cache(maxsize=4096)  # a report's headline is read with each of its sentences
def spelt(text: str) -> str:
    """A text with the names its abbreviations and peoples' names stand for written after
    it, for reading which words of a story it holds: "Gov. Newsom" holds "governor", "CA
    race updates" "California", "Canadian wildfires" "Canada"."""
    named = [
        _TITLES[m.group("title")] if m.group("title") else _CODES[m.group("code")]
        for m in _ABBREVIATED.finditer(text)
    ]
    named += [_STATE_OF[m.group(1)] for m in _CITY.finditer(text)]
    peoples = _peoples()
    named += [peoples[t] for t in tokenize(text) if t in peoples]
    return f"{text} {' '.join(dict.fromkeys(named))}" if named else text
