"""The words of news events, as the lexical index stems them (vectorstore.lexical.tokenize):

- EVENTS: what happened, the words a story's follow-ups name it by ("after the dam
  collapse", "over the crown theft", "late flood warnings");
- OUTCOMES: what a development says happened next ("put out", "resigns", "arrested",
  "reopened", "found guilty").

A topic word ("dynasty", "system", "university") is in neither: two reports sharing one
are about one subject, not one event. Hand-written for English news.
"""

from __future__ import annotations

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

OUTCOMES = _stems(
    """
    put out extinguished contained controlled reopened reopens resumed resumes restored
    resigns resigned resignation quits quit stepped down sacked fired dismissed suspended
    arrested arrests detained charged indicted convicted guilty acquitted cleared sentenced
    jailed freed released fined banned verdict ruling appeal
    rescued found recovered survivors alive dead died dies killed bodies confirmed
    called off cancelled postponed ended ends lifted agreed deal settled approved rejected
    closed shut evacuated withdrawn recalled apologises apologized admits denies
    elected wins won defeated concedes
    """
)
