"""Where in a sentence the answer of a kind (wanted.py) can stand: numbers, times, names,
quoted titles, places, people, read from what the text shows (digits, capitals, quotation
marks, a few word lists). No NER model can be installed here (none whose publisher and
contents can be checked ships in a package); these rules are measured by
bench/realtimeqa.py on real quiz questions.

A span answers only if it is new to the question: its last word ("Johnson" of "Boris
Johnson") is not a word of the question. Each span has a strength: 2 for a span that has
the marks of its kind (a place named in the list below or after "in"/"from", a person
with two names or a title, a quoted title), 1 for a plain one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.answering.wanted import Want, Wanted, words
from vectorstore.lexical import tokenize

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|dozens?|half|a third|a quarter|two-thirds|three-quarters|a fifth|double|triple"
)
_SCALE = r"(?:[\s-]+(?:million|billion|trillion|thousand|hundred))*"
_NUMBER = re.compile(
    rf"(?:[$€£¥]\s?)?(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\b(?:{_NUMBER_WORDS})\b){_SCALE}"
    r"(?:\s?(?:%|percent\b|per cent\b))?",
    re.I,
)
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan\\.|Feb\\.|Aug\\.|Sept?\\.|Oct\\.|Nov\\.|Dec\\."
)
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_TIME = re.compile(
    rf"\b(?:(?:early|mid|late)[\s-]+)?(?:{_MONTHS})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?"
    rf"|\b(?:{_WEEKDAYS})\b|\b(?:19|20)\d\d\b"
    r"|\b(?:next|this|last|later\s+this|early\s+next|the\s+end\s+of\s+(?:the|this|next))\s+"
    r"(?:week|weekend|month|year|spring|summer|fall|autumn|winter)\b"
    r"|\b(?:tomorrow|tonight|yesterday)\b|\bin\s+(?:a\s+few|several|\d+|two|three|four|five|six)\s+"
    r"(?:days|weeks|months|years)\b|\b(?:spring|summer|fall|autumn|winter)\s+(?:of\s+)?(?:19|20)\d\d\b",
)
_CAPITAL = r"(?:[A-Z][\w’'.&-]*|i[A-Z]\w*|\d+[A-Z]\w*)"
_NAME = re.compile(
    rf"{_CAPITAL}(?:(?:\s+(?:of|the|de|del|da|von|van|and|&|for)\s+|\s+|-){_CAPITAL})*(?:\s+\d+\b)?"
)
_QUOTED = re.compile(r"[“\"]([^”\"]{2,60}?)[,.]?[”\"]")
_HONORIFIC = words(
    """president vice gov governor sen senator rep representative prince princess king queen dr mr
    mrs ms pope prime minister ceo chancellor secretary mayor judge justice sir dame lord lady
    general gen col sgt coach star"""
)
_NOT_NAMES = words(
    """the a an in on at of for by from to and or but if as after before during since while when
    where what which who how this that these those it its he she they we you i his her their our
    there here some many most more all any each every no not new last next first according
    meanwhile however still also now then yes so"""
)
_PLACE_WORDS = (
    "Afghanistan Albania Algeria Argentina Armenia Australia Austria Azerbaijan Bahamas Bahrain "
    "Bangladesh Belarus Belgium Bolivia Bosnia Brazil Bulgaria Cambodia Cameroon Canada Chile China "
    "Colombia Congo Croatia Cuba Cyprus Czech Denmark Ecuador Egypt England Eritrea Estonia Ethiopia "
    "Fiji Finland France Georgia Germany Ghana Greece Greenland Guatemala Haiti Honduras Hungary "
    "Iceland India Indonesia Iran Iraq Ireland Israel Italy Jamaica Japan Jordan Kazakhstan Kenya "
    "Korea Kosovo Kuwait Laos Latvia Lebanon Libya Lithuania Luxembourg Madagascar Malaysia Mali "
    "Malta Mexico Moldova Mongolia Morocco Mozambique Myanmar Nepal Netherlands Zealand Nicaragua "
    "Niger Nigeria Norway Oman Pakistan Palestine Panama Paraguay Peru Philippines Poland Portugal "
    "Qatar Romania Russia Rwanda Saudi Scotland Senegal Serbia Singapore Slovakia Slovenia Somalia "
    "Spain Sudan Sweden Switzerland Syria Taiwan Tanzania Thailand Tonga Tunisia Turkey Uganda "
    "Ukraine Emirates Kingdom Uruguay Uzbekistan Venezuela Vietnam Wales Yemen Zambia Zimbabwe "
    "Europe Asia Africa America Antarctica Arctic "
    "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Hawaii Idaho "
    "Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota "
    "Mississippi Missouri Montana Nebraska Nevada Hampshire Jersey Mexico York Carolina Dakota Ohio "
    "Oklahoma Oregon Pennsylvania Rhode Tennessee Texas Utah Vermont Virginia Washington Wisconsin "
    "Wyoming London Paris Berlin Moscow Beijing Tokyo Kyiv Kiev Rome Madrid Delhi Toronto Sydney "
    "Chicago Houston Boston Atlanta Miami Seattle Denver Dallas Angeles Francisco Vegas"
)
_PLACE_NAMES = frozenset(tokenize(_PLACE_WORDS))
_LISTED_PLACES = words("country countries nation state states city cities capital continent")
_PLACE_SUFFIX = re.compile(
    r"\s(?:County|Island|Islands|Park|Province|State|City|Valley|Bay|River|Lake|Mountains?|Sea)$"
)
_BEFORE_PLACE = re.compile(r"\b(?:in|from|to|near|across|at|of)\s+(?:the\s+)?$")


_WORKS = words(
    "show series movie film song album book novel musical play podcast program programme game character"
)


@dataclass(frozen=True)
class Span:
    start: int  # offsets in the text searched
    end: int
    text: str
    strength: int  # 3: named by the question's noun; 2: marked as its kind; 1: plain


def answer_spans(text: str, want: Wanted, context: str = "") -> list[Span]:
    """The spans of `text` of the wanted kind that are new to the question. `context`
    (the passage around the text) tells a name from a word that only opens a sentence."""
    kind = want.kind
    if kind is Want.NUMBER:
        found = [Span(m.start(), m.end(), m.group(), 1) for m in _NUMBER.finditer(text) if _is_figure(m)]
    elif kind is Want.TIME:
        found = [Span(m.start(), m.end(), m.group(), 1) for m in _TIME.finditer(text)]
    elif kind in (Want.PERSON, Want.PLACE, Want.NAME):
        found = _names(text, want, context or text)
    else:
        return []
    return [s for s in found if _new(s.text, want)]


def _is_figure(m: re.Match[str]) -> bool:
    """A number that is not a year standing alone ("in 2022") nor a day of a month."""
    value = m.group().strip()
    if re.fullmatch(r"(?:19|20)\d\d", value):
        return False
    before = m.string[max(0, m.start() - 10) : m.start()]
    return not re.search(rf"(?:{_MONTHS})\s*$", before)


def _new(span: str, want: Wanted) -> bool:
    """Whether the span says what the question does not: its last word is not the
    question's ("Boris Johnson" is not new to a question about Johnson), or that word is
    the noun the question asks about and another is new ("Tony Awards" for "which
    awards show?")."""
    tokens = [t for t in tokenize(span) if t not in _HONORIFIC]
    if not tokens:
        return bool(re.search(r"\d", span)) and not set(re.findall(r"\d+", span)) & want.question_tokens
    if tokens[-1] not in want.question_tokens:
        return True
    return tokens[-1] in _head_tokens(want) and any(t not in want.question_tokens for t in tokens[:-1])


def _head_tokens(want: Wanted) -> frozenset[str]:
    return frozenset(tokenize(want.head)) if want.head else frozenset()


def _names(text: str, want: Wanted, context: str) -> list[Span]:
    kind = want.kind
    out = [_named(text, m.start(), m.end(), kind, context) for m in _NAME.finditer(text)]
    spans = [_headed(text, s, want) for s in out if s is not None and not _demonym(s.text, kind)]
    found = [s for s in spans if s is not None]
    if kind is Want.NAME:
        quoted = _QUOTED.finditer(text)
        strength = 3 if want.head in _WORKS else 2
        found += [Span(m.start(1), m.end(1), m.group(1), strength) for m in quoted if _titled(m.group(1))]
    return found


def _named(text: str, start: int, end: int, kind: Want, context: str) -> Span | None:
    """The capitalised run at text[start:end] as a name of `kind`, without a leading word
    that only opens the sentence ("The", "In", "Though")."""
    words = text[start:end].split()
    while words and (_opening(words[0]) or _is_calendar(words[0])):
        start = text.index(words[0], start) + len(words[0])
        words = words[1:]
    while words and _is_calendar(words[-1]):
        words = words[:-1]
    if not words or not any(w[:1].isalpha() for w in words):
        return None
    end = text.index(words[-1], start) + len(words[-1])
    start = text.index(words[0], start)
    name = text[start:end].rstrip(".")
    if _opens_sentence(text, start) and len(words) == 1 and not _looks_named(name, context):
        return None  # "Dangerous flooding ...": a capital that only opens the sentence
    return Span(start, start + len(name), name, _strength(text, start, name, kind))


def _headed(text: str, span: Span, want: Wanted) -> Span | None:
    """A span beside the question's noun: named by it ("the Tony Awards" for "which awards
    show?": the strongest), or only describing it ("the popular South Korean show": not an
    answer, the sentence speaks of the show without naming it)."""
    head = _head_tokens(want)
    if not head:
        return span
    if set(tokenize(span.text.split()[-1])) & head:
        return Span(span.start, span.end, span.text, 3)
    if span.text.endswith(("’s", "'s")):
        return span  # "Mississippi’s capital city": the owner is the answer
    following = tokenize(" ".join(text[span.end :].split()[:2]))
    if set(following) & head:
        return None
    if want.kind is Want.PLACE and want.head not in _LISTED_PLACES:
        return Span(span.start, span.end, span.text, 1)  # "Montana" is no answer to "which park?"
    return span


def _demonym(name: str, kind: Want) -> bool:
    """ "South Korean", "Russian": an adjective of a place, not the name of a person or thing."""
    if kind is Want.PLACE:
        return False
    return all(re.fullmatch(r"(?:South|North|East|West)|\w+(?:an|ese|ish|i|ic)", w) for w in name.split())


def _is_calendar(word: str) -> bool:
    return bool(re.fullmatch(rf"(?:{_MONTHS}|{_WEEKDAYS})[’'s]*", word.rstrip(",.")))


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" “\"‘'(")
    return not before or before[-1] in ".!?:\n"


def _opening(word: str) -> bool:
    bare = word.lower().strip("’'.,")
    return bare in _NOT_NAMES or not tokenize(bare)


def _looks_named(word: str, context: str) -> bool:
    """A word opening a sentence is a name if it is possessive, a listed place, or written
    with its capital somewhere in the middle of a sentence of the passage."""
    if word.endswith(("’s", "'s")) or set(tokenize(word)) & _PLACE_NAMES:
        return True
    return bool(re.search(rf"[\w,;:]\s+{re.escape(word)}\b", context))


def _strength(text: str, start: int, name: str, kind: Want) -> int:
    words = [w for w in name.split() if w.lower().strip(".") not in _HONORIFIC]
    if kind is Want.PLACE:
        marked = bool(set(tokenize(name)) & _PLACE_NAMES) or bool(_PLACE_SUFFIX.search(name))
        return 2 if marked or _BEFORE_PLACE.search(text[max(0, start - 12) : start]) else 1
    if kind is Want.PERSON:
        titled = len(words) < len(name.split())
        return 2 if (len(words) >= 2 or titled) and not set(tokenize(name)) & _PLACE_NAMES else 1
    return 2 if len(words) >= 2 or name.isupper() else 1


@lru_cache(maxsize=4096)
def _titled(quoted: str) -> bool:
    """A quoted title ("Squid Game"), not a quoted remark ("we are bankrupt")."""
    parts = quoted.split()
    return 1 <= len(parts) <= 8 and all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _NOT_NAMES
                                        for w in parts)
