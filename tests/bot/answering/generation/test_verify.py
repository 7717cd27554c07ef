"""verify.py's rules that need no model: names and numbers, citations, coverage."""

from __future__ import annotations

from bot.answering.generation.verify import Claim, claims_of, salient_tokens


def test_salient_tokens_are_names_and_numbers_not_the_opening_word() -> None:
    tokens = salient_tokens("The office in London opened in 2023 with 1,200 staff.")
    assert tokens == {"london", "2023", "1", "200"}


def test_a_capital_after_a_full_stop_is_not_a_name() -> None:
    assert salient_tokens("It rained. Then Paris flooded.") == {"pari"}


def test_claims_keep_valid_citations_and_count_the_removed_ones() -> None:
    claims, removed = claims_of("OpenAI opens in London [1][3]. Staff move there [7]. Ok", 3)
    assert claims == [Claim("OpenAI opens in London.", [1, 3]), Claim("Staff move there.", [])]
    assert removed == 1


def test_markup_is_removed_and_tiny_fragments_dropped() -> None:
    claims, removed = claims_of("**London** [2]. A.", 2)
    assert claims == [Claim("London.", [2])] and removed == 0
