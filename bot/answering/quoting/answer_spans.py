"""Where in a sentence the answer of a kind (asked_for.py) can stand: numbers, times, names,
quoted titles, places, people, read from what the text shows (digits, capitals, quotation
marks, the place lists of places.py). No NER model can be installed here (none whose
publisher and contents can be checked ships in a package); these rules are measured by
bench/realtimeqa.py on real quiz questions.

A span answers only if it is new to the question: its last word ("Johnson" of "Boris
Johnson") is not a word of the question. Each span has a strength:
- 3: it is what the question's noun asks for: named by that noun ("the Tony Awards" for
  "which awards show?", "the island of Kyushu" for "which island?"), a place of the kind
  asked ("Mexico" for "which country?"), a quoted title for "which show?", a number of
  the things counted ("2 million ... swings" for "how many swings?");
- 2: it has the marks of its kind (a listed place, a place after "in"/"from", a person
  with two names or a title, a name of several words);
- 1: a plain one.
A span that only describes the question's noun ("the popular South Korean show"), a
place of another kind than the one asked ("Montana" for "which country?"), or for "who?"
a name of no person (an award, an event, a building, a place alone: "Ted Lindsay Award",
"Wembley Stadium"), is none; nor is a report's dateline ("WASHINGTON —", where it was
filed). A name ends with its sentence ("Ricky" of "Congratulations
to Ricky. There's ..."; "U.S.", "Gov." and "J." end none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.answering.quoting import places
from bot.answering.quoting.asked_for import MONEY, AnswerKind, AskedFor, words
from bot.answering.quoting.spans_text import (
    CAPITALISED,
    HONORIFIC,
    NOT_NAMES,
    NUMBER,
    QUOTED,
    TIME,
    is_calendar,
    is_figure,
    opens_sentence,
)
from vectorstore.lexical import tokenize
from vectorstore.sentences import is_abbreviation

_WORKS = words(
    "show series movie film song album book novel musical play podcast program programme game character"
)
_PLACE_SUFFIX = re.compile(
    r"\s(?:County|Island|Islands|Park|Province|State|City|Valley|Bay|River|Lake|Mountains?|Sea)$"
)
_COMMON_SHAPE = re.compile(
    r"(?:ly|ous|ive|ing|ed|al|ful|less|able|ible|ment|ness|tion|sion|ity|ers|ors|ies|ts|es|ic|ary|ory|ant|ent)$"
)
# demonyms and like adjectives whose place is not listed or not spelled in them
_DEMONYMS = words(
    """british spanish english irish scottish welsh danish swedish finnish polish turkish kurdish
    jewish arabic islamic hispanic latino republican democratic democrat catholic christian muslim
    olympic atlantic pacific european asian african"""
)
# the last words of names of things no person is: awards, events, buildings, days
_THINGS = words(
    """award awards trophy prize medal cup open championship championships slam slams series
    games olympics stadium arena center centre avenue road speedway gardens square palace
    festival airport station museum act"""
)
# words that end a thing's name and a person's ("Memorial Day", "Jason Day"; "Central Park",
# "Inbee Park"): a thing only in a name of three words or more ("Golden Gate Bridge")
_THINGS_OR_SURNAMES = words("day street garden castle hall park bridge bill tour mine")
NOUN_OF_CHARS = 40  # how far before a span its "island of" is looked for
_NOUN_OF = re.compile(r"\b([a-z]+)\s+of\s+(?:the\s+)?$")
_VAGUE = re.compile(r"(?:dozens|hundreds|thousands|millions|several|many)(?:\s+of)?", re.I)
_ATTRIBUTION = re.compile(r"\s+(?:said|says|told|reported|announced|added|wrote)\b")
# the end of a reported clause, then a speaker's lower-case title: ", special agent "
_AFTER_CLAUSE = re.compile(
    r"[,—–]\s*(?:the\s+)?(?!(?:while|and|but|as|when|after|before|because|since|until|who|which|that|so|if)\s)"
    r"(?:[a-z][\w-]*\s+){0,3}$"
)
_SAYS_BEFORE = re.compile(r"\b(?:said|says|told|according\s+to)\s+(?:the\s+)?$")
# a report's dateline, opening its first line: "WASHINGTON —", "NEW YORK (AP) —", "London
# (CNN) —", "WILMINGTON, Del. –", "CNN —" (a place in capitals alone only if listed, with
# its state, or before a news agency; a name in capitals may open a sentence: "NASA — the
# US space agency —"). One line each ("[ ]", not "\s"): matched once from each line start.
_NEWS_AGENCY = r"(?:AP|Reuters|AFP|CNN|UPI|[A-Z][a-z]+ News)"
_UPPER = r"[A-Z][A-Z.’'-]+(?:[ ]+[A-Z][A-Z.’'-]+)*"  # "WASHINGTON", "NEW YORK"
_WORDS = r"[A-Z][\w.’'-]*(?:[ ]+[A-Z][\w.’'-]*){0,2}"  # "London", "Boise"
_STATE = r"(?:,[ ]*[A-Z][\w.]*(?:[ ]+[A-Z][\w.]*)?)"  # ", Del.", ", New Mexico"
_AGENCY = rf"(?:[ ]*\({_NEWS_AGENCY}\))"  # "(AP)", "(CNN)"
_DATELINE = re.compile(
    rf"^[ \t]*(?:(?P<upper>{_UPPER})(?P<state>{_STATE})?(?P<agency>{_AGENCY})?|{_WORDS}{_STATE}?{_AGENCY})"
    r"[ \t]*[—–―]",
    re.M,
)
_BEFORE_PLACE = re.compile(r"\b(?:in|from|to|near|across|at|of|into)\s+(?:the\s+)?(?:[\w-]+\s+)?$")


@dataclass(frozen=True)
class Span:
    start: int  # offsets in the text searched
    end: int
    text: str
    strength: int  # 3: what the question's noun asks for; 2: marked as its kind; 1: plain


def answer_spans(text: str, asked_for: AskedFor, context: str = "") -> list[Span]:
    """The spans of `text` of the asked-for kind that are new to the question. `context`
    (the passage around the text) tells a name from a word that only opens a sentence."""
    kind = asked_for.kind
    if kind is AnswerKind.NUMBER:
        found = [_counted(text, m.start(), m.end(), asked_for) for m in NUMBER.finditer(text) if is_figure(m)]
    elif kind is AnswerKind.TIME:
        found = [Span(m.start(), m.end(), m.group(), 1) for m in TIME.finditer(text)]
    elif kind in (AnswerKind.PERSON, AnswerKind.PLACE, AnswerKind.NAME):
        found = _names(text, asked_for, context or text)
    else:
        return []
    return [s for s in found if s.strength > 0 and _new(s.text, asked_for)]


def _counted(text: str, start: int, end: int, asked_for: AskedFor) -> Span:
    """A number; of the things the question counts ("how many swings") when they follow."""
    following = set(tokenize(" ".join(text[end:].split()[:3])))
    if _VAGUE.fullmatch(text[start:end]):
        return Span(start, end, text[start:end], 1)  # "Dozens of stores closed" tells no count
    money = asked_for.counted is MONEY and text[start] in "$€£¥"  # "how much ... cost": "$10 billion"
    if money or following & asked_for.counted:
        return Span(start, end, text[start:end], 3)
    return Span(start, end, text[start:end], 2 if following & asked_for.weaker else 1)


def _new(span: str, asked_for: AskedFor) -> bool:
    """Whether the span says what the question does not: its last word is not the
    question's ("Boris Johnson" is not new to a question about Johnson), or that word is
    the noun the question asks about and another is new ("Tony Awards" for "which
    awards show?")."""
    tokens = [t for t in tokenize(span) if t not in HONORIFIC]
    if not tokens:
        return bool(re.search(r"\d", span)) and not set(re.findall(r"\d+", span)) & asked_for.question_tokens
    if tokens[-1] not in asked_for.question_tokens:
        return True
    return tokens[-1] in _head_tokens(asked_for) and any(
        t not in asked_for.question_tokens for t in tokens[:-1]
    )


def _head_tokens(asked_for: AskedFor) -> frozenset[str]:
    return frozenset(tokenize(asked_for.head)) if asked_for.head else frozenset()


def _names(text: str, asked_for: AskedFor, context: str) -> list[Span]:
    found = []
    datelines = _datelines(text)
    for m in CAPITALISED.finditer(text):
        for start, end in _pieces(text, m.start(), m.end()):
            span = _named(text, start, end, context)
            if span is None or _demonym(span.text, asked_for.kind):
                continue
            if not any(a <= span.start < b for a, b in datelines):
                found.append(_weighed(text, span, asked_for))
    if asked_for.kind is AnswerKind.NAME:
        strength = 3 if asked_for.head in _WORKS else 2
        quoted = QUOTED.finditer(text)
        found += [Span(m.start(1), m.end(1), m.group(1), strength) for m in quoted if _titled(m.group(1))]
    return found


def _datelines(text: str) -> list[tuple[int, int]]:
    """Where a line of `text` opens with a report's dateline ("WASHINGTON — The monarch
    butterfly ...", "PARIS, France (CNN) — ..."): where the report was filed, not what it
    tells. Capitals alone ("NASA —") are a dateline only if a listed place or an agency."""
    return [(m.start(), m.end()) for m in _DATELINE.finditer(text) if _filed_at(m)]


def _filed_at(m: re.Match[str]) -> bool:
    upper = m.group("upper")
    if upper is None or m.group("state") or m.group("agency"):
        return True
    return bool(places.kinds_of(upper)) or bool(re.fullmatch(_NEWS_AGENCY, upper))


def _named(text: str, start: int, end: int, context: str) -> Span | None:
    """The capitalised run at text[start:end], without a leading word that only opens
    the sentence ("The", "In", "Though") and calendar words at either end."""
    words = [(start + w.start(), start + w.end()) for w in re.finditer(r"\S+", text[start:end])]
    while words and _dropped_opening(text, words):
        words = words[1:]
    while words and is_calendar(text[slice(*words[-1])]):
        words = words[:-1]
    if not words or not any(text[a : a + 1].isalpha() for a, _ in words):
        return None
    start, end = words[0][0], words[-1][1]
    name = text[start:end].rstrip(".")
    if opens_sentence(text, start) and len(words) == 1 and not _looks_named(name, context):
        return None  # "Dangerous flooding ...": a capital that only opens the sentence
    return Span(start, start + len(name), name, 1)


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A capitalised run cut where a line or a sentence ends: "Orbán" and "Orbán lost" of
    "... to help Orbán.\n\nOrbán lost", "Ricky" and "There's" of "Congratulations to
    Ricky. There's nothing like it" (a sentence's last name and the next one's first are
    two; "U.S.", "Jr." and "J." end no sentence)."""
    out, begin = [], start
    for w in re.finditer(r"\S+", text[start:end]):
        a, b = start + w.start(), start + w.end()
        following = text[b:end]
        if following.strip() and (
            "\n" in following[: len(following) - len(following.lstrip())] or _ends(text[a:b])
        ):
            out.append((begin, b))
            begin = b + len(following) - len(following.lstrip())
    out.append((begin, end))
    return out


def _ends(word: str) -> bool:
    """Whether a word of a capitalised run ends its sentence: "Ricky.", not "U.S.", "Jr."
    or "J."."""
    if not word.endswith(".") or word.count(".") > 1:
        return False
    bare = word[:-1]
    return len(bare) > 1 and not is_abbreviation(bare)


def _dropped_opening(text: str, words: list[tuple[int, int]]) -> bool:
    """Whether the run's first word only opens the sentence ("The", "In", "Though") or is a
    calendar word; "New" of a listed place ("New York", "New Zealand") is the place's."""
    first = text[slice(*words[0])]
    if first == "New" and len(words) > 1 and places.kinds_of(f"New {text[slice(*words[1])]}"):
        return False
    return _opening(first) or is_calendar(first)


def _weighed(text: str, span: Span, asked_for: AskedFor) -> Span:
    """The span with its strength for this question (the module docstring)."""
    head = _head_tokens(asked_for)
    if head and set(tokenize(span.text.split()[-1])) & head:
        return _with(span, 3)  # "Tony Awards" for "which awards show?"
    if head and _noun_of(text, span) in head:
        return _with(span, 3)  # "the island of Kyushu" for "which island?"
    if head and not span.text.endswith(("’s", "'s")) and set(_following(text, span)) & head:
        return _with(span, 0)  # "the popular South Korean show": describes, does not name
    if asked_for.kind is AnswerKind.PLACE:
        return _with(span, _place_strength(text, span, asked_for))
    if _speaker(text, span):
        return _with(span, 1)  # "..., the Teamwork Union said": who says it, not what is asked
    names = [w for w in span.text.split() if w.lower().strip(".") not in HONORIFIC]
    if asked_for.kind is AnswerKind.PERSON:
        if _no_one(span.text):
            return _with(span, 0)
        titled = len(names) < len(span.text.split())
        return _with(span, 2 if len(names) >= 2 or titled else 1)
    return _with(span, 2 if len(names) >= 2 or span.text.isupper() else 1)


def _noun_of(text: str, span: Span) -> str:
    """The noun the span follows with "of": "island" of "the island of Kyushu"."""
    m = _NOUN_OF.search(text, max(0, span.start - NOUN_OF_CHARS), span.start)
    return tokenize(m.group(1))[0] if m and tokenize(m.group(1)) else ""


def _no_one(name: str) -> bool:
    """Whether a name names no person: a place ("Mexico City"; "Houston Astros" is a team,
    "Texas Gov. Ann Lee" a person), or a thing that wins nothing and does nothing, an
    award, an event, a building ("Ted Lindsay Award", "Grand Slams", "Wembley Stadium")."""
    tokens = tokenize(name)
    if tokens and set(tokens) <= places.TOKENS:
        return True
    last = re.sub(r"[’']s?$", "", name.split()[-1]).lower()
    return last in _THINGS or (last in _THINGS_OR_SURNAMES and len(name.split()) >= 3)


def _speaker(text: str, span: Span) -> bool:
    """Whether the span names who says the sentence: "..., special agent Kenny Cooper
    said", "... said Vince Clemente, the president of ...", "according to Reuters"."""
    before = text[: span.start]
    if _ATTRIBUTION.match(text, span.end) and _AFTER_CLAUSE.search(before):
        return True
    return bool(_SAYS_BEFORE.search(before))


def _place_strength(text: str, span: Span, asked_for: AskedFor) -> int:
    kinds = places.kinds_of(span.text)
    asked = places.HEADS.get(asked_for.head or "")
    if asked is not None:  # "which country?": a country, or nothing
        if kinds & set(asked):
            return 3
        return 0 if kinds or "country" in asked else 1
    if asked_for.head:  # "which park?": the head-final name was the answer; a listed place is not
        return 1
    marked = bool(kinds) or bool(_PLACE_SUFFIX.search(span.text))
    before = text[max(0, span.start - 20) : span.start]
    return 2 if marked or _BEFORE_PLACE.search(before) else 1


def _following(text: str, span: Span) -> list[str]:
    return tokenize(" ".join(text[span.end :].split()[:2]))


def _with(span: Span, strength: int) -> Span:
    return Span(span.start, span.end, span.text, strength)


def _demonym(name: str, kind: AnswerKind) -> bool:
    """ "South Korean", "Russian": an adjective of a place, not the name of a person or thing."""
    if kind is AnswerKind.PLACE:
        return False
    return all(_adjective_of_place(w) for w in name.split())


def _adjective_of_place(word: str) -> bool:
    """ "Russian", "Japanese", "Israeli", "British": a word with a demonym's ending made
    from a listed place's name (or one of the few that are not); "Djokovic", "Messi",
    "Logan" only have the ending."""
    if re.fullmatch(r"South|North|East|West", word) or word.lower() in _DEMONYMS:
        return True
    if not re.fullmatch(r"\w+(?:an|ese|ish|i|ic)", word):
        return False
    w = word.lower()
    stems = (
        w,
        w[:-1],
        w[:-2],
        w[:-3],
        w + "y",
        w[:-2] + "a",
        w[:-3] + "a",
        w[:-3] + "e",
        w[:-2] + "o",
        w[:-3] + "y",
    )
    return any(set(tokenize(stem)) & places.TOKENS for stem in stems if len(stem) > 2)


def _opening(word: str) -> bool:
    bare = word.lower().strip("’'.,")
    return bare in NOT_NAMES or not tokenize(bare)


def _looks_named(word: str, context: str) -> bool:
    """A word opening a sentence is a name if it is possessive, a listed place, written
    with its capital in the middle of a sentence of the passage, or not shaped like a
    common word: written in lower case elsewhere, or with an ending English words have
    ("Dangerous", "Drivers", "Approximately")."""
    if word.endswith(("’s", "'s")) or set(tokenize(word)) & places.TOKENS:
        return True
    if re.search(rf"[\w,;:]\s+{re.escape(word)}\b", context):
        return True
    if re.search(rf"\b{re.escape(word.lower())}\b", context):
        return False  # "Drivers voted ... the drivers": a common word
    return not _COMMON_SHAPE.search(word.lower())


@lru_cache(maxsize=4096)
def _titled(quoted: str) -> bool:
    """A quoted title ("Squid Game"), not a quoted remark ("we are bankrupt")."""
    parts = quoted.split()
    if not 1 <= len(parts) <= 8:
        return False
    return all(w[:1].isupper() or w[:1].isdigit() or w.lower() in NOT_NAMES for w in parts)
