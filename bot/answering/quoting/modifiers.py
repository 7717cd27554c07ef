"""Names that only qualify what a question asks about: a nationality or language
("American", "South Korean", "English"), a place's possessive ("US'", "Britain's"), or
the names that set the category of the thing asked for ("which Ivy League university",
"which Republican governor": `Category`).

A sentence may say the same in other words ("US carmaker Dunmore Motors" for "which
American carmaker?"), so a sentence that leaves only such names unmet may still answer
(answerability.py), unless its context names another place or nationality ("the
Sakurajima volcano, one of Japan's most active" for "which European island?"): then the
modifier was the point of the question, and it is a near miss.

A category's names describe the answer, not the event: a report names Columbia
University in the sentence that answers and calls it "the Ivy League school" in another.
They are left unmet only when the sentence names an entity of that category by its own
name ("Columbia University", "University of Iowa": the noun capitalised as part of a
name), the article says the category's names somewhere (what was retrieved of it), and
the sentence's context describes no entity of the category with other names ("a Big Ten
university", "the Democratic governor": the noun in lower case after other capitalised
words). "Ohio State University" does not answer "which Ivy League university" from an
article that never says "Ivy League".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.answering.quoting.anchors import Anchor, Kind
from bot.answering.quoting.asked_for import words
from bot.answering.quoting.places import COUNTRIES, REGIONS, kinds_of
from bot.answering.quoting.spelling import near
from vectorstore.lexical import tokenize

DEMONYMS = words(
    """american british english french german spanish italian portuguese dutch belgian swiss austrian
    swedish norwegian danish finnish icelandic irish scottish welsh polish czech slovak hungarian
    romanian bulgarian greek serbian croatian bosnian slovenian albanian ukrainian russian belarusian
    georgian armenian turkish kurdish iranian persian iraqi syrian lebanese israeli palestinian
    saudi emirati qatari yemeni egyptian moroccan algerian tunisian libyan sudanese ethiopian somali
    kenyan ugandan rwandan nigerian ghanaian congolese african chinese japanese korean taiwanese
    mongolian tibetan vietnamese thai cambodian burmese filipino indonesian malaysian singaporean
    indian pakistani afghan bangladeshi nepali lankan australian canadian mexican cuban haitian
    jamaican brazilian argentine argentinian chilean peruvian colombian venezuelan ecuadorian
    bolivian european asian arab arabic latin hispanic nordic scandinavian soviet hindi urdu mandarin
    cantonese bengali punjabi tamil swahili hebrew yiddish gaelic catalan basque u.s us uk u.k eu"""
)
_DIRECTIONS = words("south north east west")  # "South Korean": part of a demonym, no place alone
# Spellings of one place that share no stem ("American" and "US", "Dutch" and "Netherlands").
DEMONYM_ALIASES = [
    "american america us usa united states",
    "british britain uk united kingdom england english scotland scottish wales welsh",
    "dutch netherlands holland",
    "swiss switzerland",
    "french france",
    "spanish spain",
    "irish ireland",
    "polish poland",
    "danish denmark",
    "finnish finland",
    "filipino philippines",
    "emirati uae emirates",
    "soviet russia russian ussr",
]


@lru_cache(maxsize=1)
def _alias_groups() -> list[frozenset[str]]:
    return [frozenset(tokenize(group)) for group in DEMONYM_ALIASES]


_DIRECTION_TOKENS = frozenset(tokenize(" ".join(_DIRECTIONS)))
# Countries named by a word that is also a person's name or a common word.
_AMBIGUOUS = words("Georgia Jordan Chad Turkey Guinea Niger Dominica Grenada Israel Pacific Atlantic")


def _one_word(listing: str) -> str:
    names = (n.strip() for n in listing.replace("\n", "").split("|"))
    return " ".join(n for n in names if " " not in n and n not in _AMBIGUOUS)


# What names a nation or a part of the world: a nationality, a country or region of one word
# (the words of "United States" or "Costa Rica" name nothing alone).
_PLACE_WORDS = (
    frozenset(tokenize(" ".join(DEMONYMS) + " " + _one_word(COUNTRIES) + " " + _one_word(REGIONS)))
    - _DIRECTION_TOKENS
)


_US = re.compile(r"\bU\.?S\.?(?:A\b|\b)")


def modifier(anchor: Anchor) -> bool:
    """Whether a question's anchor only qualifies what it asks about (the module docstring)."""
    if anchor.kind is not Kind.NAME:
        return False
    named = [w.lower().strip(".") for w in anchor.text.split()]
    if all(w in DEMONYMS | _DIRECTIONS for w in named) and any(w in DEMONYMS for w in named):
        return True
    possessive = re.fullmatch(r"(.+?)['’]s?", anchor.text)
    if possessive is None:
        return False
    place = possessive.group(1)
    return place.lower().strip(".") in DEMONYMS or bool(kinds_of(place))


def contradicted(anchor: Anchor, context: str) -> bool:
    """Whether a context names a place or nationality other than the one the modifier
    names ("Japan" against "European"); a spelling of the same one is none ("US" for
    "American", "Britain" for "English")."""
    own = [t for t in tokenize(re.sub(r"['’]s?$", "", anchor.text)) if t not in _DIRECTION_TOKENS]
    others = [t for t in _places_in(context) if not any(_same(t, o) for o in own)]
    return bool(others)


def _places_in(text: str) -> set[str]:
    """The tokens of `text` that name a nation or region; "US" only in capitals ("us" is a
    pronoun)."""
    found = set(tokenize(text)) & _PLACE_WORDS - {"us"}
    return found | ({"us"} if _US.search(text) else set())


def _same(token: str, own: str) -> bool:
    if token == own or near(token, frozenset([own])) or near(own, frozenset([token])):
        return True
    return any(token in group and own in group for group in _alias_groups())


_CAPITALISED = r"[A-Z][\w'’.&-]*"
_WH_CATEGORY = re.compile(rf"\b(?:[Ww]hich|[Ww]hat)\s+((?:{_CAPITALISED}\s+)+)([a-z][a-z-]+)\b")
_NOT_DESCRIBING = words("the a an this that its his her their in of at")


@dataclass(frozen=True)
class Category:
    """What a question's wh-phrase asks for: capitalised names, then a noun ("which Ivy
    League university" -> "Ivy League", "university")."""

    names: str
    noun: str

    def describes(self, anchor: Anchor) -> bool:
        """Whether an anchor is the names of the category, word for word ("Ivy" the
        person is not "Ivy League")."""
        return anchor.kind is Kind.NAME and anchor.text.split() == self.names.split()

    def said_in(self, text: str) -> bool:
        """Whether a text says the category's names, capitalised, as whole words ("the Ivy
        League school")."""
        names = r"\s+".join(re.escape(w) for w in self.names.split())
        return re.search(rf"(?<![\w-]){names}(?![\w-])", text) is not None

    def named_by(self, sentence: str, question_tokens: frozenset[str] = frozenset()) -> bool:
        """Whether a sentence names an entity of the category by its own name, the noun
        capitalised in it ("Columbia University", "University of Iowa"), with a word the
        question does not say."""
        noun = re.escape(self.noun.capitalize())
        named = rf"\b{_CAPITALISED}(?:\s+(?:of\s+|the\s+)?{_CAPITALISED})*\s+{noun}s?\b"
        of = rf"\b{noun}\s+of\s+(?:the\s+)?{_CAPITALISED}(?:\s+{_CAPITALISED})*"
        names = [m.group() for pattern in (named, of) for m in re.finditer(pattern, sentence)]
        return any(set(tokenize(n)) - question_tokens - set(tokenize(self.noun)) for n in names)

    def described_otherwise(self, context: str) -> bool:
        """Whether a context describes an entity of the category with other names ("a
        Big Ten university" against "which Ivy League university")."""
        own = set(tokenize(self.names))
        for m in re.finditer(rf"((?:{_CAPITALISED}\s+)+){re.escape(self.noun)}s?\b", context):
            names = [w for w in m.group(1).split() if w.lower() not in _NOT_DESCRIBING]
            if names and not set(tokenize(" ".join(names))) <= own:
                return True
        return False


def category_of(question: str) -> Category | None:
    """The category the question's wh-phrase names, if it names one with capitalised words."""
    m = _WH_CATEGORY.search(question)
    return Category(m.group(1).strip(), m.group(2)) if m else None
