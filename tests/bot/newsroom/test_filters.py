"""A channel's filters: words and phrases, negative terms, bounded regular expressions."""

from __future__ import annotations

import time

import pytest

from bot.newsroom.posting.filters import (
    FilterError,
    SlowPatternError,
    has,
    parse_filter,
    parse_terms,
    refusal,
)

FLOODS = "Floods in Valdoria: heavy rain cuts the coastal road. Sport events cancelled."


@pytest.mark.parametrize(
    ("raw", "wanted", "unwanted"),
    [
        ("floods, heavy rain", ("floods", "heavy rain"), ()),
        ("floods, not: sport", ("floods",), ("sport",)),
        ('"rain, then floods", not:  match  report', ("rain, then floods",), ("match report",)),
        ("re:/storm(s|y)?\\b/, not: re:/^opinion/", ("re:/storm(s|y)?\\b/",), ("re:/^opinion/",)),
        ("re:/a,b/, x", ("re:/a,b/", "x"), ()),  # a comma inside a pattern
        (" , floods,, ", ("floods",), ()),
    ],
)
def test_terms_are_read_as_written(raw: str, wanted: tuple[str, ...], unwanted: tuple[str, ...]) -> None:
    assert parse_terms(raw) == (wanted, unwanted)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("re:/(unclosed/", "re:/(unclosed/ is not a regular expression"),
        ("re://", "A pattern is 1 to 120 characters"),
        (", ".join(f"w{i}" for i in range(21)), "at most 20 words"),
        ("x" * 61, "at most 20 words or phrases of at most 60 characters"),
    ],
)
def test_a_bad_filter_says_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace("/", "/")):
        parse_terms(raw)


def test_a_story_passes_with_a_positive_term_and_no_negative_one() -> None:
    wanted, unwanted = parse_filter("heavy rain, re:/storm(s|y)?\\b/", "sport")
    assert unwanted == ("sport",)
    assert refusal(FLOODS, wanted, unwanted) == "has “sport”"
    assert refusal(FLOODS.replace("Sport", "Music"), wanted, unwanted) is None
    assert refusal("A quiet day.", wanted, ()) == "none of: heavy rain, re:/storm(s|y)?\\b/"
    assert refusal("Stormy seas close the port.", wanted, ()) is None  # the pattern, any case
    assert not has("Rainbow over the heavy rains", "heavy rain")  # whole words
    assert has("NOT a drill", "not")  # a word "not" without a colon is a word


def test_a_pattern_that_backtracks_forever_is_cut_short() -> None:
    (pattern,), _ = parse_terms("re:/(a|aa)+$/")
    text = "a" * 60 + "!"  # exponential for a backtracking engine without a limit
    started = time.monotonic()
    with pytest.raises(SlowPatternError):
        has(text, pattern)
    assert refusal(text, (pattern,), ()) == "none of: re:/(a|aa)+$/ (re:/(a|aa)+$/ took too long)"
    assert time.monotonic() - started < 5  # two tries of 0.05 s each, not forever
