"""What a question pins down, and whether a passage meets it.

A question about news names things an answer has to be about: a year or date, a number,
a person, place, organisation or work, a quoted phrase, an ordinal ("the second"), the
low end of a scale ("the least"), a negation ("who did not ..."). A sentence on the same
topic that names another year, another company or the first rather than the second does
not answer it. An article may say the same in other words: a number as a word or with
its scale, a count of years as the year it counts from ("suspended in 2020" in a 2022
report for "suspended for two years"), a country by a part of it ("England" for "the
United Kingdom"). These rules read the question's surface (digits, capitals, a few closed
word lists, the places a member types in lower case: typed_places.py), so they need no
model and cost a fraction of a millisecond a question; they are measured in
bench/refusal_curve.py. What they cannot see: a swapped common noun or
verb ("aircraft carrier" for "submarine"), a name met in another role.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache

from bot.answering.quoting.spelling import near
from bot.answering.quoting.typed_places import typed_places
from vectorstore.lexical import tokenize


class Kind(StrEnum):
    YEAR = "year"
    NUMBER = "number"
    NAME = "name"
    QUOTE = "quote"
    ORDINAL = "ordinal"
    SUPERLATIVE = "superlative"
    NEGATION = "negation"


@dataclass(frozen=True)
class Amount:
    """A number written with decimals, its scale and unit: "$1.3 billion" is ("1.3",
    1000000000, "dollars"); "1.34 percent" is ("1.34", 1, "percent")."""

    number: str
    scale: int
    unit: str


@dataclass(frozen=True)
class Anchor:
    kind: Kind
    text: str  # as the question words it
    tokens: frozenset[str]  # what the context has to contain (any one of, for each group)
    amount: Amount | None = None  # a number with decimals: met by a more precise one it rounds
    years: bool = False  # a count of years ("two years", "61-year-old"): met by the year it counts from
    # a place typed in lower case that may open a person's name ("sydney sweeney"): met too by
    # a context that writes the word after it with a capital ("Sweeney stars in ...")
    or_named: frozenset[str] = frozenset()


_YEAR = re.compile(r"\b(1[0-9]\d\d|20\d\d)(?:s\b|\b)")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")
# A name numbered after a hyphen ("Covid-19", "Sars-2"): the number is part of the name, not a
# count, and the name is met by its word alone ("Covid lockdowns"). Words of 4 letters and more
# only: in "F-35" or "MH-17" the number is what names the thing.
_NUMBERED_NAME = re.compile(r"\b([A-Za-z]{4,})-(\d+)\b")
_QUOTED = re.compile(r"[\"“]([^\"”]{2,80})[\"”]")
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of\s+|the\s+|de\s+|von\s+)?[A-Z][\w'’.-]*)*")
_ACRONYM = re.compile(r"[A-Z]{2,3}s?")  # TV, NFL, UMC: often spelt out in the text
_NEGATION = re.compile(
    r"\b(?:not|never|none|nobody|nothing|neither|nor|without|cannot)\b|\bno\b(?!-)|n[’']t\b", re.I
)  # "no-hitter" negates nothing
# "According to the White House, how soon ...", "According to a new USA TODAY/Suffolk
# University poll, ...": a quiz's attribution, set off by a comma (who says it, a source's
# noun after it)
_SOURCE_NAME = r"[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*"
_ATTRIBUTION = re.compile(
    rf"\b[Aa]ccording to (?:the |a |an )?(?:(?:new|recent|latest|annual)\s+)?{_SOURCE_NAME}"
    rf"(?:\s?[/&]\s?{_SOURCE_NAME})*(?:\s+(?:poll|survey|report|study|analysis|data|estimates?|"
    r"figures|research|researchers|officials|statement|ranking|index))?,"
)
_UNITS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_TEENS = ("thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
NUMBER_WORDS = {w: str(n) for n, w in enumerate((*_UNITS, *_TEENS), start=2)}
NUMBER_WORDS |= {w: str(n) for n, w in zip(range(20, 100, 10), _TENS, strict=True)}
NUMBER_WORDS |= {"hundred": "100", "thousand": "1000"}
# Read as numbers in a text only: a question's "one" is seldom a count ("which one of").
_TEXT_NUMBERS = NUMBER_WORDS | {"one": "1", "dozen": "12"}
# "first" and "last" are left out: questions use them loosely ("who first ...", "at first").
ORDINALS = {
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
}
# The low end of a scale: a question turned around ("the least notable", "the fewest") is a
# near miss more often than not; "most", "largest" are used too loosely to check.
SUPERLATIVES = frozenset(
    [
        "least",
        "fewest",
        "smallest",
        "lowest",
        "worst",
        "weakest",
        "poorest",
        "slowest",
        "shortest",
        "youngest",
    ]
)
# A number with its scale: "$250M", "1.5 billion", "80k".
_SCALED = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s?(k|thousand|m|mn|million|b|bn|billion|t|tn|trillion)\b", re.I
)
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9}
_SCALES |= {"billion": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12}
# A number that counts years: "for two years", "a 61-year-old record", "a 50-year low".
_YEARS_AFTER = re.compile(r"[\s-]years?\b", re.I)
# A year a count of years counts from: "suspended in 2020", "since 2020", "the record of 1961"
# ("who ran in the 2020 election" counts nothing)
_YEAR_COUNTED_FROM = re.compile(r"\b(?:since|in|from|of)\s+(1[0-9]\d\d|20\d\d)\b", re.I)
_ISO_MONTH = re.compile(r"\b\d{4}-(0[1-9]|1[0-2])-\d{2}\b")
_MONTHS = tuple(
    tokenize("january february march april may june july august september october november december")
)
_CURRENCIES = {"€": "euros", "$": "dollars", "£": "pounds", "¥": "yen"}
# "What two ...", "Name three ...", "the two ...": a number word asking how many items to give.
_COUNTING = frozenset(
    ["what", "which", "the", "are", "were", "name", "list", "give", "its", "their", "his", "her"]
)
# Capitalised words that open or frame a question rather than name something in it.
_FRAMING = (
    "what which who whom whose when where why how is are was were do does did can could will "
    "would should shall may might has have had in on at of for by from to the a an and or but "
    "if after before during since according besides apart other i"
)
_NOT_NAMES = frozenset(_FRAMING.split())
# One thing under names that share no word: a text that says one of a group meets a
# question's name for another ("the UK" for "the United Kingdom", "the world's population"
# for "live on Earth", "the Conservative Party" for "the Tory conference").
# A group applies to a question's whole name ("Battle of Britain" is no name of the UK), or
# to what follows a possessive ("Liz Truss's Tory"), and is met by a capitalised word of
# the context ("a conservative estimate" names no party), but for COMMON_ALIASES.
SAME_NAMES = [
    ("united kingdom", "uk", "britain", "great britain"),
    ("united states", "america", "us", "usa", "u.s"),
    ("earth", "world"),
    ("tory", "tories", "conservative", "conservatives"),
]
# A country is met by a part of it ("Stonehenge in Wiltshire, England" for "in the United
# Kingdom"); a part is not met by the whole ("in England" asks more than "in the UK" says).
_UK_PARTS = ("england", "scotland", "wales", "northern ireland")
PARTS = {"united kingdom": _UK_PARTS, "uk": _UK_PARTS, "britain": _UK_PARTS, "great britain": _UK_PARTS[:3]}
# Said in lower case these still name the thing ("the world's population"), unless the
# context names another planet ("the planet Venus").
COMMON_ALIASES = frozenset(["world"])
_OTHER_PLANETS = re.compile(r"\b(?:Mercury|Venus|Mars|Jupiter|Saturn|Uranus|Neptune|Pluto)\b")
_CAPITALISED_WORD = re.compile(r"\b[A-Z][\w'’-]*")
# "U.S." and "US" (a word tokenize() drops: "us"), as a name of SAME_NAMES
_US = re.compile(r"\bU\.S\.|\bUS\b")
# A name of single capitals joined by "&" ("M&Ms", "M&M’S", "AT&T", "H&M"): one name, one
# token that no ordinary word has ("m&m"); "US & UK" are two names.
_AMPERSAND = re.compile(r"(?<![\w&])([A-Z]{1,2})&([A-Z])(?:['’]?[sS])?(?![\w’'&])")
# A number with decimals, with its currency, scale and unit ("$1.3 billion", "1.34 percent").
_AMOUNT = re.compile(
    r"([€$£¥])?\s?(?<![\w.,])(\d[\d,]*\.\d+)(?![\d.])"
    r"(?:\s?(k|thousand|mn?|million|bn?|billion|tn?|trillion)\b)?"
    r"(?:\s?(%|percent\b|per cent\b|dollars\b|euros\b|pounds\b|yen\b))?",
    re.I,
)
# A name with a word hyphened on in lower case ("Prize-winning", "Oscar-nominated",
# "Texas-based"): the tail describes, the name is what comes before it.
_DESCRIBED_NAME = re.compile(r"([A-Z][\w'’.]*)-[a-z][\w'’]*$")


def fold(text: str) -> str:
    """Without accents: "Gospić" and "Gospic" are one name."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def scaled(text: str, limit: int | None = None) -> set[str]:
    """The values of the numbers written with a scale in `text` (the first `limit`), as
    plain digits: "$250M", "$250 million" and "250,000,000" are all "250000000"."""
    out = set()
    for i, m in enumerate(_SCALED.finditer(text)):
        if limit is not None and (i >= limit or m.start() > 0):
            break
        value = float(m.group(1).replace(",", "")) * _SCALES[m.group(2).lower()]
        out.add(str(int(value)) if value == int(value) else str(value))
    return out


def anchors_of(question: str) -> list[Anchor]:
    """The anchors of a question, each once."""
    question = fold(question)
    found: list[Anchor] = []
    for m in _QUOTED.finditer(question):
        found.append(Anchor(Kind.QUOTE, m.group(1), frozenset(tokenize(m.group(1)))))
    years = {m.group(1) for m in _YEAR.finditer(question)}
    found += [Anchor(Kind.YEAR, y, frozenset({y})) for y in sorted(years)]
    numbered = {m.start(2) for m in _NUMBERED_NAME.finditer(question)}
    plain = {m.start(): m for m in _NUMBER.finditer(question) if m.start() not in numbered}
    amounts = {m.start(2): amount(m) for m in _AMOUNT.finditer(question)}
    for m in plain.values():
        value = m.group().replace(",", "")
        if value not in years:
            values = {value} | scaled(question[m.start() :], 1)
            counts = bool(_YEARS_AFTER.match(question, m.end()))
            found.append(Anchor(Kind.NUMBER, m.group(), frozenset(values), amounts.get(m.start()), counts))
    for m in _SCALED.finditer(question):  # "$250M": no plain number, its value
        if m.start() not in plain:
            found.append(Anchor(Kind.NUMBER, m.group(), frozenset(scaled(m.group())), amounts.get(m.start())))
    words = re.findall(r"[\w’'-]+", question.lower())
    for i, word in enumerate(words):
        if word in NUMBER_WORDS and (i == 0 or words[i - 1] not in _COUNTING):
            counts = i + 1 < len(words) and words[i + 1] in ("year", "years")
            found.append(Anchor(Kind.NUMBER, word, frozenset({word, NUMBER_WORDS[word]}), years=counts))
        elif word.rstrip("s") in ORDINALS:  # "third", "thirds"
            word = word.rstrip("s")
            found.append(Anchor(Kind.ORDINAL, word, frozenset({word, ORDINALS[word]})))
        elif word in SUPERLATIVES:
            found.append(Anchor(Kind.SUPERLATIVE, word, frozenset({word})))
    found += _names(question)
    found += [_typed_place(place, after) for place, after in typed_places(question)]  # "in texas"
    negation = _NEGATION.search(question)
    if negation:
        found.append(Anchor(Kind.NEGATION, negation.group(), frozenset()))
    unique: dict[tuple[Kind, frozenset[str]], Anchor] = {}
    for a in found:
        unique.setdefault((a.kind, a.tokens), a)
    return list(unique.values())


def _typed_place(place: str, after: str) -> Anchor:
    """A place typed in lower case ("in texas"), met too by the name it may open: the word
    after it, when that word could be a surname ("sydney sweeney", not "texas and")."""
    surname = len(after) >= 4 and after not in _NOT_NAMES
    return Anchor(
        Kind.NAME, place, frozenset(tokenize(place)), or_named=frozenset(tokenize(after) if surname else ())
    )


def ampersand(m: re.Match[str]) -> str:
    """The token of a name joined by "&" ("M&Ms" and "M&M’S": "m&m")."""
    return f"{m.group(1)}&{m.group(2)}".lower()


def amount(m: re.Match[str]) -> Amount:
    """The amount an _AMOUNT match writes."""
    currency, number, scale, unit = m.groups()
    unit = (unit or "").lower()
    unit = "percent" if unit in ("%", "per cent") else unit
    unit = unit or _CURRENCIES.get(currency or "", "")
    return Amount(number.replace(",", ""), int(_SCALES[scale.lower()]) if scale else 1, unit)


def _names(question: str) -> list[Anchor]:
    """Capitalised words that are not the question's opening word: names of people,
    places, organisations and works ("Lake Niagara", "Polo's"). A name of several words is
    met by its last one ("Carolina Panthers" by "the Panthers", "Peyton Manning" by
    "Manning")."""
    # "According to the White House, ...": who says it is not what the answer is about
    text = _ATTRIBUTION.sub(lambda m: " " * len(m.group()), question.strip())
    out = [Anchor(Kind.NAME, m.group(), frozenset({ampersand(m)})) for m in _AMPERSAND.finditer(text)]
    text = _AMPERSAND.sub(lambda m: " " * len(m.group()), text)
    opening = {0} | {m.end() for m in re.finditer(r"(?:[a-z]{2}[.!]|\?)\s+", text)}  # each sentence's first
    for m in _NAME.finditer(text):
        words = []
        for w in re.finditer(r"[A-Z][\w'’.-]*", m.group()):
            word = w.group().rstrip(".")
            if m.start() + w.start() in opening or word.lower() in _NOT_NAMES or _ACRONYM.fullmatch(word):
                continue
            if word.lower() in ORDINALS or word.lower() in SUPERLATIVES or not tokenize(word):
                continue
            words.append(w)
        if words:
            phrase = m.group()[words[0].start() : words[-1].end()]  # "Minister of Finance"
            last = _NUMBERED_NAME.sub(r"\1", words[-1].group())  # "Covid-19" is met by "Covid"
            last = _DESCRIBED_NAME.sub(r"\1", last)  # "Prize-winning" is met by "Prize"
            out.append(Anchor(Kind.NAME, phrase, frozenset(tokenize(last))))
    return out


@dataclass(frozen=True)
class ContextWords:
    """The words of an answer's context as anchors are matched against them."""

    tokens: frozenset[str]
    negated: bool
    names: frozenset[str] = frozenset()  # the tokens of its capitalised words, and COMMON_ALIASES
    amounts: frozenset[Amount] = frozenset()  # its numbers with decimals
    elapsed: frozenset[str] = frozenset()  # the years before `year` that its years are, as digits

    @classmethod
    def of(cls, text: str, core: str | None = None, year: int | None = None) -> ContextWords:
        """The words of `text`; a negation counts only in `core` (the sentence itself) when given.
        `year`: the year the text was written in, that a count of years counts back from ("since
        2020" in a 2022 report meets "for two years")."""
        negated = bool(_NEGATION.search(text if core is None else core))
        text = fold(text)
        lowered = text.lower()
        words = set(tokenize(text))
        words |= {m.group(1) for m in _YEAR.finditer(text)}
        words |= {_MONTHS[int(m.group(1)) - 1] for m in _ISO_MONTH.finditer(text)}  # a date meets "March"
        words |= {m.group().replace(",", "") for m in _NUMBER.finditer(text)}
        words |= scaled(text)  # "$250M" meets "$250 million"
        words |= {ampersand(m) for m in _AMPERSAND.finditer(text)}  # "M&M’S" meets "M&Ms"
        plain = re.findall(r"[a-z]+", lowered)
        words |= set(tokenize(" ".join(_CURRENCIES[c] for c in text if c in _CURRENCIES)))  # € meets "euros"
        words |= {w for w in plain if w in NUMBER_WORDS or w in ORDINALS or w in SUPERLATIVES}
        words |= {_TEXT_NUMBERS[w] for w in plain if w in _TEXT_NUMBERS}  # "six" meets "6"
        names = set(tokenize(" ".join(_CAPITALISED_WORD.findall(text))))
        names |= {"us"} if _US.search(text) else set()  # "the U.S. economy" meets "America"
        if not _OTHER_PLANETS.search(text):
            names |= words & COMMON_ALIASES  # "the world's population" meets "Earth"
        amounts = frozenset(amount(m) for m in _AMOUNT.finditer(text))
        elapsed = _elapsed(fold(core) if core is not None else text, year)
        return cls(frozenset(words), negated, frozenset(names), amounts, elapsed)


def _elapsed(text: str, year: int | None) -> frozenset[str]:
    """How many years before `year` the years `text` counts from are ("in 2020" in 2022:
    "2"); in the sentence itself, when given (a neighbour's or the headline's year counts
    nothing the sentence says)."""
    if year is None:
        return frozenset()
    counted = (int(m.group(1)) for m in _YEAR_COUNTED_FROM.finditer(text))
    return frozenset(str(year - y) for y in counted if y < year)


def met(anchor: Anchor, context: ContextWords) -> bool:
    if anchor.kind is Kind.NEGATION:
        return context.negated
    if anchor.kind is Kind.QUOTE:
        return anchor.tokens <= context.tokens
    if anchor.kind is Kind.NAME:
        if all(t in context.tokens or near(t, context.tokens) for t in anchor.tokens):
            return True
        if anchor.or_named and anchor.or_named <= context.names:
            return True
        return any(other <= context.names for other in _same_names(anchor.text))
    if anchor.tokens & context.tokens or (anchor.years and anchor.tokens & context.elapsed):
        return True
    asked = anchor.amount
    return asked is not None and any(rounds_to(given, asked) for given in context.amounts)


@lru_cache(maxsize=4096)
def _same_names(name: str) -> tuple[frozenset[str], ...]:
    """The tokens of the other names of what `name` names (SAME_NAMES) and of its parts
    (PARTS), possessive and case aside: the whole name, or what follows its last possessive
    ("Liz Truss's Tory")."""
    name = re.split(r"['’]s?\s+", fold(name))[-1]
    bare = re.sub(r"['’]s?$", "", name).lower().strip(". ")
    others = [o for group in SAME_NAMES if bare in group for o in group if o != bare]
    tokens = [frozenset(tokenize(o) or [o.replace(".", "")]) for o in [*others, *PARTS.get(bare, ())]]
    return tuple(tokens)  # "us", "u.s": "us" (ContextWords.names)


def rounds_to(given: Amount, asked: Amount) -> bool:
    """Whether a text's amount is the question's written more precisely, in the same unit
    ("$1.337 billion" for "$1.3 billion", "2.87 million" for "2.9
    million"; half rounds up: "1.25" for "1.3"): the question rounds it. Never another
    unit or scale ("$1.34 million", "1.34 percent" for "$1.3 billion"); whole numbers are
    never rounded ("70" is not "72")."""
    if given.unit != asked.unit:
        return False
    exponent = Decimal(asked.number).as_tuple().exponent
    value = Decimal(given.number) * given.scale / asked.scale
    precision = value.as_tuple().exponent
    if not isinstance(exponent, int) or not isinstance(precision, int) or precision >= exponent:
        return False  # no more precise than the question
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP) == Decimal(asked.number)


def unmet(anchors: list[Anchor], context: ContextWords) -> list[Anchor]:
    return [a for a in anchors if not met(a, context)]
