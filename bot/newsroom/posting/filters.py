"""A channel's filters: which stories it takes, by the words of their headline and opening.

A filter is a list of terms, comma-separated:

- a word or phrase (`floods`, `heavy rain`, `"rain, then floods"` quoted when it holds a
  comma): whole words, any case;
- a negative term, `not: sport`: a story with it is never posted;
- a bounded regular expression, `re:/storm(s|y)?\\b/` (or `not: re:/^opinion/`): matched
  by the `regex` module with a time limit (MATCH_TIMEOUT_S) and any case, so that no
  pattern can hold a round however it backtracks; a pattern is at most MAX_PATTERN_CHARS.

A story passes when it has at least one of the positive terms (if there are any) and none
of the negative ones. Terms are stored as written (`not:` terms in the channel's exclude
list), so `/feeds list` shows them as the admin gave them.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from common.errors import NewsdeskError

MAX_TERMS = 20  # include/exclude terms per channel
MAX_TERM_CHARS = 60
MAX_PATTERN_CHARS = 120
MATCH_TIMEOUT_S = 0.05  # per pattern and story
_TERM = re.compile(
    r"""\s*(?P<neg>not:\s*)?
    (?: re:\s*/(?P<re>(?:\\.|[^/\\])*)/
      | "(?P<quoted>[^"]*)"
      | (?P<plain>[^,]*?) )
    \s*(?:,|$)""",
    re.VERBOSE | re.IGNORECASE,
)


class FilterError(NewsdeskError):
    """A filter that cannot be read; the text is shown to the admin."""


class SlowPatternError(Exception):
    """A regular expression that ran out of its time on a story."""


def parse_terms(raw: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """ "floods, not: sport, re:/storm(s)?/" -> (("floods", "re:/storm(s)?/"), ("sport",)):
    the positive and the negative terms, checked (a bad pattern is a FilterError naming it)."""
    wanted: list[str] = []
    unwanted: list[str] = []
    text = (raw or "").strip()
    at = 0
    while at < len(text):
        m = _TERM.match(text, at)
        if m is None or m.end() == at:
            raise FilterError(
                f"Cannot read the filter from {text[at : at + 40]!r}: separate terms by commas."
            )
        at = m.end()
        term = _term(m)
        if term:
            (unwanted if m.group("neg") else wanted).append(term)
    return _checked(wanted), _checked(unwanted)


def parse_filter(include: str | None, exclude: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A channel's include and exclude terms: `include`'s `not:` terms and every term of
    `exclude` are excluded."""
    wanted, unwanted = parse_terms(include)
    more, also = parse_terms(exclude)
    return wanted, _checked([*unwanted, *more, *also])


def _term(m: re.Match[str]) -> str:
    if m.group("re") is not None:
        pattern = m.group("re")
        _compiled(pattern)  # a FilterError when it is not one
        return f"re:/{pattern}/"
    return " ".join((m.group("quoted") if m.group("quoted") is not None else m.group("plain") or "").split())


def _checked(terms: list[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(terms))
    too_long = any(len(t) > MAX_TERM_CHARS for t in unique if not t.startswith("re:/"))
    if len(unique) > MAX_TERMS or too_long:
        raise FilterError(
            f"Give at most {MAX_TERMS} words or phrases of at most {MAX_TERM_CHARS} characters "
            f"(a pattern: {MAX_PATTERN_CHARS})."
        )
    return unique


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern[str]:
    if not pattern or len(pattern) > MAX_PATTERN_CHARS:
        raise FilterError(f"A pattern is 1 to {MAX_PATTERN_CHARS} characters: re:/{pattern[:40]}/.")
    try:
        return regex.compile(pattern, regex.IGNORECASE | regex.V0)
    except (regex.error, OverflowError, RecursionError) as why:
        raise FilterError(f"re:/{pattern[:60]}/ is not a regular expression: {why}.") from None


def has(text: str, term: str) -> bool:
    """Whether a story's text has the term: a pattern matches within MATCH_TIMEOUT_S (else
    SlowPatternError), a word or phrase is there as whole words, any case."""
    if term.startswith("re:/") and term.endswith("/"):
        try:
            return _compiled(term[4:-1]).search(text, timeout=MATCH_TIMEOUT_S) is not None
        except TimeoutError:
            raise SlowPatternError(term) from None
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE) is not None


def refusal(text: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> str | None:
    """Why a channel with these terms does not take a story, or None. A pattern that runs
    out of time does not match (and the reason says so when that refuses the story)."""
    slow: list[str] = []

    def found(term: str) -> bool:
        try:
            return has(text, term)
        except SlowPatternError:
            slow.append(term)
            return False

    hit = next((t for t in exclude if found(t)), None)
    if hit is not None:
        return f"has “{hit}”"
    if include and not any(found(t) for t in include):
        late = f" ({', '.join(slow)} took too long)" if slow else ""
        return f"none of: {', '.join(include)}{late}"
    return None
