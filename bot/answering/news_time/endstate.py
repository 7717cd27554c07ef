"""The end states a question about now may ask for ("is the port strike over", "is the
fire contained yet", "did they catch the escapees", "did the workers accept the offer",
"is air canada flying again"), each with the words a report of that end uses.

While a strike, a fire or a manhunt is under way the store's newest report tells the
state before the end ("are officially on strike", "has set 3,000 acres ablaze",
"authorities hunted for four inmates"); such a quote does not answer the question, and
outcome.unreported reads it as leaving the outcome unreported. A report of the end
states it: "is over", "ended", "contained", "were captured", "ratified", "resumed", or
the question's own verb in the past ("caught"). Likewise a quote that announces the contest
still to be played ("the championship matchup is set", "will face") does not report who
won it, whatever wins on the way there it reports (still_to_play), and a knockout round's
result ("Spain eliminated Portugal with a 1-0 win", "advance to the semifinals") is not the
title's (earlier_round)."""

from __future__ import annotations

import re

# The end a question asks about (its word, as asked) -> the words that state that end.
_ENDED = (
    r"(?:is|are|was|were|be|been|now)\s+(?:officially\s+|finally\s+)?over"
    r"|ended|ends|settled|called off|lifted|deal|agreement|ratified|back to work|returned to work"
)
_REOPENED = r"reopened|reopens|resumed|resumes|restored|back open|open again|returned"
_ENDS: dict[str, str] = {
    "over": _ENDED,
    "ended": _ENDED,
    "done": _ENDED,
    "finished": _ENDED,
    "resolved": _ENDED + "|resolved",
    "settled": _ENDED,
    "contained": r"contained|extinguished|put out",
    "back": _REOPENED + "|back",
    "again": _REOPENED + "|back",
    "reopened": _REOPENED,
    "catch": r"caught|captured|recaptured|arrested|apprehended|in custody|found|surrendered",
    "capture": r"caught|captured|recaptured|arrested|apprehended|in custody|surrendered",
    "arrest": r"arrested|in custody|caught|captured|charged",
    "find": r"found|located|discovered|recovered|rescued",
    "rescue": r"rescued|saved|freed|found alive|pulled out",
    "accept": r"accepted|ratified|approved|voted (?:to|in favou?r of) (?:accept|ratify|approve)",
    "ratify": r"ratified|accepted|approved|voted (?:to|in favou?r of) (?:accept|ratify|approve)",
    "approve": r"approved|passed|ratified|accepted",
    "reach": r"reached|deal|agreement|agreed|settled",
    "end": _ENDED,
}
# "is X over / contained (yet) / back / open again / flying again / reopened"
_IS_ENDED = re.compile(
    r"^(?:is|are|has|have)\b.*?\b(over|ended|done|finished|resolved|settled|contained|back|reopened|again)\b",
    re.I,
)
# "did they catch / find / rescue / accept / reach a deal", "has the strike ended"
_DID_END = re.compile(
    r"^(?:did|has|have)\s+(?:\S+\s+){0,4}?(catch|capture|arrest|find|rescue|accept|ratify|approve|reach|end)\b",
    re.I,
)


def end_state(question: str) -> re.Pattern[str] | None:
    """The words that state the end a question asks about, as a pattern over a quote, or
    None for a question that asks about no end state."""
    q = question.strip().lower()
    found = _IS_ENDED.search(q) or _DID_END.search(q)
    if found is None:
        return None
    word = found.group(1)
    again = re.search(r"\b(\w+?)(?:ing)?\s+again\b", q) if word == "again" else None
    stated = _ENDS[word] + (f"|{again.group(1)}\\w*\\s+again" if again else "")
    return re.compile(rf"\b(?:{stated})\b", re.I)


# A contest still to be played: a preview of the final names its two sides ("will meet",
# "matchup is set", "It'll be a rematch"), whatever wins it reports on the way there.
_COMING = re.compile(
    r"\b(?:will|['’]ll|set to|poised to) (?:meet|face|play|take on|square off|be a rematch)\b"
    r"|\b(?:matchup|showdown|final|finals|title game|championship game) (?:is|are) set\b",
    re.I,
)


def still_to_play(quote: str) -> bool:
    """Whether a quote announces a contest still to be played (the final's preview)."""
    return bool(_COMING.search(quote))


# A knockout round's result: a win on the way to the title, not the title.
_ROUND = re.compile(
    r"\b(?:eliminat(?:ed|es|ing)|knock(?:ed|s) out|advanc(?:ed|es|ing) to|round of \d+|group stage"
    r"|(?:quarter|semi)-?finals?|(?:first|second|third|opening|wild[- ]card|divisional) round)\b",
    re.I,
)
# A question about one game, not the title: a round's result may answer it.
_GAME = re.compile(r"\b(?:game|games|match|matches|leg|last night|tonight|yesterday)\b", re.I)
# What a report of the title says: the title, the champion, the final itself.
_TITLE = re.compile(r"\b(?:titles?|champions?|championship|crown(?:ed)?|trophy|the final)\b", re.I)


def earlier_round(question: str, quote: str) -> bool:
    """Whether a quote reports only a knockout round's result ("Spain eliminated Portugal
    with a 1-0 win") for a question that names no round ("who won the world cup"): it
    names a round and nothing of the title. A question about a game ("did the lakers win
    last night") is answered by its round's result."""
    if _ROUND.search(question) or _GAME.search(question):
        return False
    return bool(_ROUND.search(quote)) and not _TITLE.search(quote)
