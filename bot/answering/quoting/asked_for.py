"""What kind of answer a question asks for, read from its wording.

"How many Russians could be conscripted?" wants a number, "which major company?" a name,
"where ...?" or "which European island?" a place, "who ...?" a person, "when ...?" a time,
"why ...?" a reason. The answer is the thing the question does not already say: a sentence
that only restates the question ("the wildly popular South Korean show is green lit")
names no such thing, and the sentence next to it often does ("“Squid Game” is officially
coming back"). answer_spans.py finds the spans of each kind in a sentence.

The wh-phrase is read from the question's last sentence (quiz questions open with
context: "Britain bid farewell to Queen Elizabeth II ... Which kind of animal was it?";
a period after "U.S." or "Gov." ends no sentence),
and its head noun is looked up in small word lists below. No model: the lists are the
rule, and bench/realtimeqa.py measures them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.answering.quoting.anchors import Anchor, Kind, anchors_of
from vectorstore.lexical import tokenize
from vectorstore.sentences import is_abbreviation


def words(text: str) -> frozenset[str]:
    """A word list written as one string."""
    return frozenset(text.split())


class AnswerKind(StrEnum):
    """The kind of thing a question asks for."""

    PERSON = "person"
    PLACE = "place"
    NAME = "name"  # a company, team, show, product, event...: a proper name or a title
    NUMBER = "number"
    TIME = "time"
    REASON = "reason"
    OTHER = "other"  # "what did the images show?": new content, of no kind we can see


@dataclass(frozen=True)
class AskedFor:
    """What a question asks for, as `what_is_asked` reads it: the kind of answer, and the
    words that tell a new answer from one that restates the question."""

    kind: AnswerKind
    head: str | None  # the wh-phrase's noun as written ("company", "island"), if any
    question_tokens: frozenset[str]  # what the question already says (tokenize())
    counted: frozenset[str] = frozenset()  # "how many baby swings": the things counted
    plain: frozenset[str] = frozenset()  # the question's words written in lower case (not names)
    weaker: frozenset[str] = frozenset()  # "how long is the tunnel": a duration answers, less surely
    names: tuple[Anchor, ...] = ()  # the names the asking sentence pins down (anchors.py)

    @property
    def typed(self) -> bool:
        """Whether a span of this kind can be looked for in a sentence."""
        return self.kind not in (AnswerKind.OTHER, AnswerKind.REASON)


_PERSON_NOUNS = words(
    """person people man woman men women actor actress singer rapper musician star celebrity
    athlete player quarterback pitcher official politician leader lawmaker senator governor
    president king queen prince princess ceo executive founder billionaire director author
    writer journalist judge justice candidate figure individual comedian host anchor pope
    minister chancellor mayor secretary astronaut coach boxer golfer nominee winner heir
    monarch royal spokesperson chief activist artist rocker legend icon entrepreneur
    investor owner personality influencer member representative congressman congresswoman
    official's head"""
)
_PLACE_NOUNS = words(
    """country countries nation state states city cities town island islands continent region
    province county park capital place location village territory sea ocean river lake
    mountain area neighborhood neighbourhood district border coast peninsula destination
    airport port"""
)
_NAME_NOUNS = words(
    """company companies automaker carmaker retailer brand chain restaurant airline bank firm
    startup network channel app platform website site service team club league university
    college school organization organisation agency group party union show series movie film
    song album book novel game event tournament award awards magazine newspaper publication
    product device phone drug vaccine variant storm hurricane mission rocket spacecraft
    telescope ship band franchise character musical play podcast program programme candy
    drink beverage streamer studio store supermarket cryptocurrency exchange giant maker
    manufacturer technology feature holiday bill law act treaty operation disease virus
    tech flavor flavour"""
)
_HOW_NUMBER = words("many much old long far big large tall high fast deep heavy often strong powerful hot")
_NUMBER_NOUNS = words(
    """percentage percent number amount share fraction proportion age price sum rate score speed
    temperature total figure toll cost count tally rise raise increase hike"""
)
_AGE = frozenset(tokenize("years old aged"))  # the words that follow an age
MONEY = frozenset(
    tokenize("dollars euros pounds yen")
)  # the words that follow a sum ("$", "€" before it: answer_spans.py)
_PRICED = re.compile(
    r"\b(?:cost|costs|pay|paid|worth|price|spend|spent|sue|suing|sued|fine|fined|charge|owe)\b"
    r"|\b(?:sell|sells|selling|sold)\s+for\b",  # "did the painting sell for"; "did the album sell": copies
    re.I,
)
_SOLD = re.compile(r"\b(?:sell|sells|selling|sold)\b", re.I)
_UNITS_SOLD = frozenset(tokenize("copies units tickets"))  # "how much did the album sell": "2 million copies"
# "how long is the tunnel": a length; "how long did the strike last": a duration
_LENGTH = frozenset(
    tokenize("kilometres kilometers km miles metres meters feet ft yards inches centimetres cm")
)
_HOW_LONG_DURATION = re.compile(
    r"^long\s+(?:did|does|do|has|have|had|will|would|can|could|should|may|might|must|take|takes|took|ago|until)\b"
    r"|\b(?:last|lasted|lasts|take|takes|took|stay|stayed|serve|served|wait|waited)\b",
    re.I,
)
_DURATION = frozenset(tokenize("seconds minutes hours days weeks months years decades"))  # ... a duration
# the things "how long is ..." asks the length of, as written (stemmed, "training" would be
# "train", "shipping" "ship"); of anything else (a speech, a ban, a stay in space, a
# boycott) it asks how long it lasts
_LONG_THINGS = words(
    """tunnel bridge road highway motorway river wall runway track trail line border coast
    coastline pipeline canal route railway railroad street fence cable snake python crocodile
    alligator shark whale fish worm queue train ship boat yacht course lap"""
)
_LONG_THINGS |= frozenset(w + "es" if w.endswith(("sh", "ch")) else w + "s" for w in _LONG_THINGS)
_TIME_NOUNS = words("year month day date time decade century season week")
_NAMED = re.compile(
    r"^(?:is|was|are|were)\s+(?:it|its|the\s+\w+)?\s*(?:called|named)\b|^name\b"
    r"|^(?:is|was)\s+(?:the|his|her|its|their)\s+name\b"
    r"|^does\s+.{1,30}\s+stand\s+for\b"
    # "what are they calling the Wienermobile now", not "what are protesters calling for"
    r"|^(?:are|is|do|does)\s+\w+\s+call(?:ing)?\b(?!\s+(?:for|on|off|out)\b)"
    r"|\b(?:called|calling|named)(?:\s+(?:now|today|these\s+days))?\W*$",  # "what is it called now"
    re.I,
)
_REASON_AFTER_WHAT = re.compile(r"^(?:caused|prompted|led\s+to|is\s+behind|was\s+behind)\b", re.I)
_AUXILIARIES = words("is was are were do does did has have had will would can could should may might must")
_COPULAS = words("is was are were")
_ASKING = _AUXILIARIES | words("who whom whose what which where when why how")
# counted words too common to tell one number from another ("8,000 people are in shelters"
# is no answer to "how many people have died?")
_VAGUE_COUNTS = frozenset(tokenize("people persons individuals residents times things years days"))
# "whats", "whos", "wheres": a wh-word typed with its "is" glued on, as members type it
_WH = re.compile(r"\b(how|what|which|who|whom|whose|where|when|why)s?\b", re.I)
_SIMPLE = {
    "who": AnswerKind.PERSON,
    "whom": AnswerKind.PERSON,
    "whose": AnswerKind.PERSON,
    "where": AnswerKind.PLACE,
}
_SIMPLE |= {"when": AnswerKind.TIME, "why": AnswerKind.REASON}


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z])")


def last_question(question: str) -> str:
    """The sentence that asks: the last one with a question mark, else the last one. A
    period after an initial or an abbreviation ends no sentence ("the U.S. Open", "Gov.
    Gavin Newsom", "J. K. Rowling") unless a question starts after it ("... a farm in the
    U.S. Which country ...")."""
    text, parts, start = question.strip(), [], 0
    for m in _SENTENCE_END.finditer(text):
        after = text[m.end() :].split(None, 1)[0].lower()
        if _abbreviated(text[: m.start()].rsplit(None, 1)[-1]) and after not in _ASKING:
            continue
        parts.append(text[start : m.start()])
        start = m.end()
    parts.append(text[start:])
    asking = [p for p in parts if "?" in p]
    return (asking or parts or [question])[-1]


def _abbreviated(word: str) -> bool:
    """Whether `word` ends with a period that ends no sentence: "U.S.", "J.", "Gov.", "Jan."."""
    return word.endswith(".") and is_abbreviation(word[:-1].lstrip("(\"“‘'"))


def what_is_asked(question: str) -> AskedFor:
    """What `question` asks for (see the module docstring): the kind of answer said by the
    first wh-word of its asking sentence that says one."""
    asking = last_question(question)
    tokens = frozenset(tokenize(question))
    plain = frozenset(tokenize(" ".join(w for w in question.split() if not w[:1].isupper())))
    names = tuple(a for a in anchors_of(asking) if a.kind is Kind.NAME)
    for m in _WH.finditer(asking):
        word, rest = m.group(1).lower(), asking[m.end() :].strip()
        found = _SIMPLE.get(word) or (_how(rest) if word == "how" else _what(rest))
        if found == (AnswerKind.OTHER, None) and _WH.search(rest):
            continue  # "began what could be her final act by playing in which tournament?"
        if found is not None:
            kind = found[0] if isinstance(found, tuple) else found
            counted = _counted(rest) if kind is AnswerKind.NUMBER else frozenset()
            if kind is AnswerKind.NUMBER and rest.lower().startswith("old"):
                counted = _AGE  # "how old was she": "died at 93 years old", "a 3,500-year-old jar"
            elif kind is AnswerKind.NUMBER and rest.lower().startswith("long"):
                return replace(_how_long(rest, tokens, plain), names=names)
            elif kind is AnswerKind.NUMBER and re.match(r"much\b", rest, re.I) and _PRICED.search(rest):
                counted = MONEY  # "how much will the repairs cost": "14 million euros", "$10 billion"
            elif kind is AnswerKind.NUMBER and re.match(r"much\b", rest, re.I) and _SOLD.search(rest):
                counted = _UNITS_SOLD
            return AskedFor(kind, _head_of(found), tokens, counted, plain, names=names)
    return AskedFor(AnswerKind.OTHER, None, tokens, plain=plain, names=names)


def _how_long(rest: str, tokens: frozenset[str], plain: frozenset[str]) -> AskedFor:
    """ "how long did he speak" (a verb follows), "how long was the speech": a duration,
    "for 25 hours"; "how long is the tunnel" (a thing that has a length, _LONG_THINGS): a
    length, "64 kilometres", and a duration only less surely."""
    if _HOW_LONG_DURATION.search(rest) or not set(re.findall(r"[a-z]+", rest.lower())) & _LONG_THINGS:
        return AskedFor(AnswerKind.NUMBER, None, tokens, _DURATION, plain)
    return AskedFor(AnswerKind.NUMBER, None, tokens, _LENGTH, plain, weaker=_DURATION)


def _counted(rest: str) -> frozenset[str]:
    """The words of what a number question counts: "how many baby swings and rockers were
    recalled" -> baby, swings, rockers (up to the verb)."""
    out: list[str] = []
    for raw in rest.split()[1:6]:
        word = raw.lower().strip("’'?,.")
        if word in _AUXILIARIES or word in ("did", "have", "will"):
            break
        out.append(word)
    return frozenset(tokenize(" ".join(out))) - _VAGUE_COUNTS


def _head_of(found: AnswerKind | tuple[AnswerKind, str | None]) -> str | None:
    return found[1] if isinstance(found, tuple) else None


def _how(rest: str) -> AnswerKind | None:
    following = rest.split()[:1]
    if not following:
        return None
    word = following[0].lower()
    return AnswerKind.NUMBER if word in _HOW_NUMBER else AnswerKind.TIME if word == "soon" else None


def _what(rest: str) -> tuple[AnswerKind, str | None] | None:
    """After "what"/"which": a number, a time, a name, a reason, or the kind of the listed
    noun among the next five words ("which European island" -> a place)."""
    if _NAMED.search(rest):
        return AnswerKind.NAME, None
    if _REASON_AFTER_WHAT.search(rest):
        return AnswerKind.REASON, None
    following = rest.split()
    if following[:1] and following[0].lower() in _COPULAS:
        following = following[1:]  # "what is the death toll?": the noun after is what is asked
    elif following[:1] and following[0].lower() in _AUXILIARIES:
        return AnswerKind.OTHER, None  # "what did the company announce?": the noun is the subject
    for raw in following[:5]:
        word = _singular(re.sub(r"[’']s$", "", raw.lower().strip("’'?,.")))
        if word in _NUMBER_NOUNS:
            return AnswerKind.NUMBER, word
        if word in _TIME_NOUNS:
            return AnswerKind.TIME, word
        if word in _PERSON_NOUNS:
            return AnswerKind.PERSON, word
        if word in _PLACE_NOUNS:
            return AnswerKind.PLACE, word
        if word in _NAME_NOUNS:
            return AnswerKind.NAME, word
    return AnswerKind.OTHER, None


def _singular(word: str) -> str:
    """ "supermarkets" -> "supermarket" when only the singular is listed."""
    listed = _NUMBER_NOUNS | _TIME_NOUNS | _PERSON_NOUNS | _PLACE_NOUNS | _NAME_NOUNS
    return word[:-1] if word not in listed and word.endswith("s") and word[:-1] in listed else word
