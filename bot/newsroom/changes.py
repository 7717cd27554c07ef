"""What an update changes: the figures a report states, each with what it counts.

"At least 35 people have died" states 35 dead; "Some 6,500 people now shelter in
emergency centres" 6,500 displaced; "cut 1,200 jobs" 1,200 jobs. A figure counts what the
nearest word of a known kind says (dead, missing, injured, displaced) within _NEAR words,
else the word after it ("hectares", "percent"). A total counts what its tally counts,
however far: "the death toll from the floods in Valdoria rose to 35", "the number of
people killed has risen to 58", "the toll stands at 48" (a figure after "to", "at",
"of", "reached" or "hit" whose sentence names a tally before it, no other figure
between). The first figure of a kind in the headline and opening is the report's, but a
total outranks a figure that is not ("two bodies were found, bringing the toll to six":
6 dead). Numbers are digits or words ("nine", "fifty-two"). A later report that states
another figure of the same kind changed it: "58 dead (was 35)".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from vectorstore.sentences import split_sentences

MAX_CHANGES = 2
_NEAR = 4  # words either side searched for what a figure counts
_TALLY_REACH = 12  # words before a total searched for its tally
_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "dead",
        frozenset(
            [
                "dead",
                "died",
                "die",
                "killed",
                "killing",
                "deaths",
                "death",
                "toll",
                "bodies",
                "lives",
                "fatalities",
            ]
        ),
    ),
    ("missing", frozenset(["missing", "unaccounted"])),
    ("injured", frozenset(["injured", "hurt", "wounded"])),
    (
        "displaced",
        frozenset(["homeless", "displaced", "evacuated", "shelter", "sheltering", "flee", "fled", "moved"]),
    ),
)
_GROWING = frozenset(["dead"])  # counts that never go down
_TALLIES = frozenset(["toll", "number", "total", "tally", "count"])
_LEVELS = frozenset(["to", "at", "of", "reached", "reaches", "reaching", "hit", "hits"])
# "one" is left out: "one of the ..." is no count
_UNITS = [
    "zero",
    "_one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
_UNITS += ["thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SMALL = {w: n for n, w in enumerate(_UNITS)} | {w: 20 + 10 * n for n, w in enumerate(_TENS)}
_WORD = re.compile(
    rf"\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?:{'|'.join(_TENS)})-(?:{'|'.join(_UNITS[1:10])})|[A-Za-z]+",
    re.IGNORECASE,
)
_JOIN = re.compile(r"[ -]+")  # what may stand between a figure and the word it counts
_YEAR = re.compile(r"(?:19|20)\d{2}")
_NOT_UNIT = frozenset(
    [
        "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "from", "by", "per", "more", "than",
        "about", "some", "up", "for", "as", "its", "it",
    ]
)  # fmt: skip
_MONTHS = frozenset(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
)
_DAYS = frozenset(["mon", "tue", "wed", "thu", "fri", "sat", "sun", "day"])


def _value(token: str) -> str | None:
    low = token.lower()
    tens, _, unit = low.partition("-")
    if unit and tens in _SMALL and unit in _SMALL:  # "fifty-two"
        return str(_SMALL[tens] + _SMALL[unit])
    if low in _SMALL:
        return str(_SMALL[low])
    if token[0].isdigit() and not _YEAR.fullmatch(token):
        return token
    return None


def _kind_of(word: str) -> str | None:
    return next((name for name, cues in _KINDS if word in cues), None)


def _kind(words: list[str], at: int, unit: str | None) -> str | None:
    """What the figure at `at` counts: the nearest word of a known kind, else `unit` (the
    word right after it)."""
    best: tuple[int, str] | None = None
    for offset in range(1, _NEAR + 1):
        for i in (at + offset, at - offset):
            kind = _kind_of(words[i]) if 0 <= i < len(words) else None
            if kind is not None and (best is None or offset < best[0]):
                best = (offset, kind)
    return best[1] if best is not None else unit


def _total(words: list[str], at: int, figures: set[int]) -> str | None:
    """What a total counts ("the toll ... rose to 35"): the kind named nearest before it,
    in a span that names a tally, back to the previous figure."""
    if at == 0 or words[at - 1] not in _LEVELS:
        return None
    span: list[str] = []
    for i in range(at - 1, max(at - 1 - _TALLY_REACH, -1), -1):
        if i in figures:
            break
        span.append(words[i])
    if not _TALLIES & set(span):
        return None
    return next((k for w in span if (k := _kind_of(w)) is not None), None)


def _unit(text: str, found: list[re.Match[str]], at: int) -> str | None:
    """The word right after a figure ("2,500 hectares"), when it is a plain lowercase noun."""
    if at + 1 >= len(found):
        return None
    following = found[at + 1]
    word = following.group(0)
    gap = text[found[at].end() : following.start()]
    if not _JOIN.fullmatch(gap) or not word.isalpha() or not word.islower() or word in _NOT_UNIT:
        return None
    return None if word[:3] in _MONTHS | _DAYS else word


def figures_of(text: str) -> dict[str, str]:
    """{what it counts: the figure} for the figures of a headline and opening."""
    out: dict[str, str] = {}
    totals: set[str] = set()
    for sentence in split_sentences(text):
        for kind, value, total in _sentence_figures(sentence.text):
            if kind not in out or (total and kind not in totals):
                out[kind] = value
            if total:
                totals.add(kind)
    return out


def _sentence_figures(text: str) -> list[tuple[str, str, bool]]:
    """(kind, figure, whether it is a total) for each figure of a sentence."""
    found = list(_WORD.finditer(text))
    words = [m.group(0).lower() for m in found]
    values = {at: _value(m.group(0)) for at, m in enumerate(found)}
    figures = {at for at, v in values.items() if v is not None}
    out: list[tuple[str, str, bool]] = []
    for at in sorted(figures):
        value = values[at]
        if value is None or (at > 0 and words[at - 1] in _MONTHS):  # "Mar 7": a date
            continue
        total = _total(words, at, figures)
        kind = total or _kind(words, at, _unit(text, found, at))
        if kind is not None:
            out.append((kind, value, total is not None))
    return out


def changed(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The figures `after` changes: "58 dead (was 35)", known kinds first, at most MAX_CHANGES.
    A toll only grows: a lower one is an older report's, not a change."""
    order = [name for name, _ in _KINDS]
    kinds = [k for k in after if k in before and _number(after[k]) != _number(before[k])]
    kinds = [k for k in kinds if k not in _GROWING or _number(after[k]) > _number(before[k])]
    kinds.sort(key=lambda k: order.index(k) if k in order else len(order))
    return [f"{after[k]} {k} (was {before[k]})" for k in kinds[:MAX_CHANGES]]


def merged(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """A story's figures after a report: its figures, but a toll only grows."""
    out = {**before, **after}
    for k in _GROWING & before.keys() & after.keys():
        out[k] = max(before[k], after[k], key=_number)
    return out


def _number(value: str) -> float:
    return float(value.replace(",", ""))


@dataclass(frozen=True)
class Facts:
    """What a report's headline and opening state: figures, the kinds of development
    (lexicon.outcomes_of), and names (events.names_of, those found inside a sentence)."""

    figures: dict[str, str]
    outcomes: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def joined(self, later: Facts) -> Facts:
        """What a story states once a later report joins it (a toll only grows)."""
        figures = merged(self.figures, later.figures)
        return Facts(figures, self.outcomes | later.outcomes, self.names | later.names)


def new_figures(figures: Mapping[str, str], facts: Facts) -> list[str]:
    """The figures a report changes ("58 dead (was 35)") and its counts of a kind the
    story had none of ("3 injured"), at most MAX_CHANGES."""
    counts = [name for name, _ in _KINDS]
    fresh = [f"{facts.figures[k]} {k}" for k in counts if k in facts.figures and k not in figures]
    return (changed(figures, facts.figures) + fresh)[:MAX_CHANGES]


def new_facts(known: Facts, facts: Facts) -> list[str]:
    """What a report adds to what a story's reports stated (`known`): its new figures
    (new_figures), a development of a kind the story had not reported ("put out"), a name
    the story never named ("a new name"). A report written anew that says what the story
    said adds nothing."""
    out = new_figures(known.figures, facts) + sorted(facts.outcomes - known.outcomes)
    if facts.names - known.names:
        out.append("a new name")
    return out
