"""The rule-based sentence splitter: boundaries, abbreviations, and exact offsets."""

from __future__ import annotations

import pytest

from vectorstore.sentences import is_abbreviation, split_sentences


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_offsets_locate_each_sentence_in_the_text() -> None:
    text = "  The tram opened in 1998.  It carries 40,000 people a day!\n\nWho pays? The city."
    sentences = split_sentences(text, base=100)
    assert [s.text for s in sentences] == [
        "The tram opened in 1998.",
        "It carries 40,000 people a day!",
        "Who pays?",
        "The city.",
    ]
    assert all(text[s.start - 100 : s.end - 100] == s.text for s in sentences)


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Maathai spoke in Oslo.",
        "The U.S. team arrived at 9 a.m. on Monday.",
        "Shares rose 2.5 percent to $3.10 a share.",
        "J. R. R. Tolkien wrote it.",
        "Apple Inc. and Acme Corp. signed the deal.",
        "The riot on Jan. 6 shook Washington, and talks resumed Sept. 12 in Geneva.",
        "Shares of Harlow Ltd. Chairman Dana Voss rose after Warner Bros. Discovery bid.",
        "The march left 1600 Pennsylvania Ave. NW at noon.",
    ],
)
def test_abbreviations_initials_and_decimals_do_not_end_a_sentence(text: str) -> None:
    assert _texts(text) == [text]


def test_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = 'He said "we will win." (They did.) Then it rained.'
    assert _texts(text) == ['He said "we will win."', "(They did.)", "Then it rained."]


def test_paragraphs_and_list_items_are_boundaries_without_punctuation() -> None:
    text = "Key points\n\n- fares rise\n- service grows"
    assert _texts(text) == ["Key points", "- fares rise", "- service grows"]


def test_chinese_full_stops_split() -> None:
    assert _texts("我们到了。他们走了。") == ["我们到了。", "他们走了。"]


def test_nothing_from_blank_text() -> None:
    assert split_sentences("   \n\n  ") == []


def test_one_list_says_which_words_end_no_sentence() -> None:
    for word in ("Jan", "Sept", "Ltd", "ltd", "Bros", "Ave", "Gov", "U.S", "e.g", "J"):
        assert is_abbreviation(word), word
    # a title written out, a name or a number ends its sentence
    for word in ("King", "President", "Ricky", "Monday", "1998", ""):
        assert not is_abbreviation(word), word
