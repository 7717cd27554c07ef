"""The words of news events, as the lexical index stems them (vectorstore.lexical.tokenize):

- EVENTS: what happened, the words a story's follow-ups name it by ("after the dam
  collapse", "over the crown theft", "late flood warnings");
- OUTCOMES: what a development says happened next, by kind ("put out", "resigned",
  "arrested", "reopened", "convicted"), matched as phrases.

A topic word ("dynasty", "system", "university") is in neither: two reports sharing one
are about one subject, not one event. Hand-written for English news.
"""

from __future__ import annotations

import re

from vectorstore.lexical import tokenize


def _stems(words: str) -> frozenset[str]:
    return frozenset(tokenize(words))


EVENTS = _stems(
    """
    accident attack avalanche blast blaze bombing breach bribery burglary bushfire clash
    collapse collision crash crisis cyclone derailment disaster drought earthquake epidemic
    eruption evacuation explosion famine fire flood flooding fraud heatwave hijacking
    hurricane inferno killing kidnapping landslide layoffs leak massacre mudslide murder
    outage outbreak overdose pandemic protest quake raid recall riot robbery rockfall
    scandal shipwreck shooting siege sinking smuggling spill stabbing stampede storm strike
    tornado tragedy theft tsunami typhoon wildfire wreck cuts jobs trial charges hack
    shutdown walkout standoff heist poisoning contamination blackout rescue search
    """
)

# What a development says happened next, by kind: a report saying "extinguished" adds
# nothing to one that said "put out". Phrases, matched as words in any case.
_OUTCOMES = {
    "put out": r"(?:put|puts|putting) out|extinguish(?:ed|es)?|(?:brought|now) under control|contained",
    "reopened": r"re-?open(?:s|ed)?|resum(?:es|ed)|restored|back in service",
    "resigned": r"resign(?:s|ed|ation)?|quits?|steps? down|stepped down|sacked|ousted",
    "suspended": r"suspend(?:s|ed)|suspension",
    "arrested": r"arrest(?:s|ed)?|detained",
    "charged": r"charged|indicted",
    "convicted": r"convict(?:s|ed)|found guilty|guilty verdict",
    "acquitted": r"acquitt(?:ed|al)|cleared of",
    "sentenced": r"sentenced|jailed|prison term",
    "released": r"freed|released|set free",
    "rescued": r"rescued|brought out alive|found alive|pulled (?:out )?alive",
    "found": r"found(?! guilty| alive)|recovered|located",
    "called off": r"called off|call(?:s)? off|cancell?ed|postponed|scrapped",
    "ended": r"ended|lifted|over at last",
    "agreed": r"agree(?:s|d)?|deal|settle(?:s|d|ment)",
    "approved": r"approv(?:es|ed|al)",
    "rejected": r"reject(?:s|ed)|vetoed",
    "closed": r"clos(?:es|ed)|shut(?:s|down)?",
    "evacuated": r"evacuat(?:es|ed|ion)|ordered to leave",
    "emergency": r"(?:declares?|declared) (?:a |an )?(?:state of )?emergency|state of emergency",
    "apologised": r"apologi[sz](?:es|ed|e)",
    "elected": r"elected|wins|won|defeat(?:s|ed)|concedes",
    "died": r"dies|died|killed|dead|death",
}
OUTCOMES = {
    kind: re.compile(rf"(?<![\w-])(?:{words})(?![\w-])", re.IGNORECASE) for kind, words in _OUTCOMES.items()
}


def outcomes_of(text: str) -> frozenset[str]:
    """The kinds of development a text says happened ("put out", "resigned")."""
    return frozenset(kind for kind, pattern in OUTCOMES.items() if pattern.search(text))
