"""The surface patterns answer_spans.py reads: numbers, times, capitalised runs, quoted
titles, and the words that open a sentence or title a person rather than name anyone."""

from __future__ import annotations

import re

from bot.answering.quoting.asked_for import words

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|dozens?|half|a third|a quarter|two-thirds|three-quarters|a fifth|double|triple"
)
_SCALE = r"(?:[\s-]+(?:million|billion|trillion|thousand|hundred))*"
NUMBER = re.compile(
    rf"(?:[$€£¥]\s?)?(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\b(?:{_NUMBER_WORDS})\b){_SCALE}"
    r"(?:\s?(?:%|percent\b|per cent\b))?",
    re.I,
)
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan\\.|Feb\\.|Aug\\.|Sept?\\.|Oct\\.|Nov\\.|Dec\\."
)
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
TIME = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?(?:(?:early|mid|late)[\s-]+)?(?:{MONTHS})"
    rf"(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?"
    rf"|\b(?:{WEEKDAYS})\b|\b(?:19|20)\d\d\b"
    r"|\b(?:next|this|last|later\s+this|early\s+next|the\s+end\s+of\s+(?:the|this|next))\s+"
    r"(?:week|weekend|month|year|spring|summer|fall|autumn|winter)\b"
    r"|\b(?:tomorrow|tonight|yesterday)\b|\b(?:in\s+|at\s+least\s+|about\s+|within\s+)?"
    r"(?:a\s+few|several|\d+|two|three|four|five|six)\s+(?:days|weeks|months|years)\b|\b(?:spring|summer|fall|autumn|winter)\s+(?:of\s+)?(?:19|20)\d\d\b",
)
_CAPITAL = r"(?:[A-Z][\w’'.&-]*|i[A-Z]\w*|\d+[A-Z]\w*)"
CAPITALISED = re.compile(
    rf"{_CAPITAL}(?:(?:\s+(?:of|the|de|del|da|von|van|and|&|for)\s+|\s+|-){_CAPITAL})*(?:\s+\d+\b)?"
)
QUOTED = re.compile(r"[“\"]([^”\"]{2,60}?)[,.]?[”\"]")
HONORIFIC = words(
    """president vice gov governor sen senator rep representative prince princess king queen dr mr
    mrs ms pope prime minister ceo chancellor secretary mayor judge justice sir dame lord lady
    general gen col sgt coach star"""
)
NOT_NAMES = words(
    """the a an in on at of for by from to and or but if as after before during since while when
    where what which who how this that these those it its he she they we you i his her their our
    there here some many most more all any each every no not new last next first according
    meanwhile however still also now then yes so much few both either another other such even
    just only already yet though although despite because unlike instead today tonight yesterday
    earlier later once officials police experts critics scientists researchers people residents
    authorities analysts many several two three four five six seven eight nine ten over under
    nearly almost around roughly approximately about"""
)


def is_figure(m: re.Match[str]) -> bool:
    """A number that is not a year standing alone ("in 2022") nor a day of a month."""
    value = m.group().strip()
    if re.fullmatch(r"(?:19|20)\d\d", value):
        return False
    before = m.string[max(0, m.start() - 10) : m.start()]
    return not re.search(rf"(?:{MONTHS})\s*$", before)


def is_calendar(word: str) -> bool:
    return bool(re.fullmatch(rf"(?:{MONTHS}|{WEEKDAYS})[’'s]*", word.rstrip(",."))) or bool(
        re.fullmatch(r"(?:Jan|Feb|Aug|Sept?|Oct|Nov|Dec)\.?,?", word)  # "Jan. 7"
    )


def opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" “\"‘'(")
    return not before or before[-1] in ".!?:\n"
