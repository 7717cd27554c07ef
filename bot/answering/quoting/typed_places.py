"""Places a member types in lower case ("measles in texas", "can u still hike alone in
nepal"): a country, US state, city or region of places.py, typed without its capital, is
still a place the answer has to be about (anchors.py makes it an anchor as it makes
"Texas"). Left out: short names that are ordinary words ("us"), and names that are as
often something else (places.AMBIGUOUS: "jordan", "turkey", "austin"). A place may still
open a person's name ("sydney sweeney", "paris hilton"): each comes with the word after it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.answering.quoting.places import AMBIGUOUS, CITIES, COUNTRIES, REGIONS, US_STATES


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    listing = "|".join((COUNTRIES, US_STATES, CITIES, REGIONS)).replace("\n", "")
    names = {n.strip().lower() for n in listing.split("|")}
    names = {n for n in names if len(n) > 3 and n not in AMBIGUOUS}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w-])")


def typed_places(question: str) -> list[tuple[str, str]]:
    """The places `question` names in lower case, as typed ("new mexico", "texas"), each
    with the word typed after it ("sweeney" of "sydney sweeney"; "" at the end)."""
    out = []
    for m in _pattern().finditer(question):
        after = re.match(r"\s+([a-z]+)", question[m.end() :])
        out.append((m.group(), after.group(1) if after else ""))
    return out
