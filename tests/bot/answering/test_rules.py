"""The answering core's shared rules, checked without a model."""

from __future__ import annotations

from bot.answering.rules import EVIDENCE, EvidenceWeights, clip, coverage


def idf(token: str) -> float:
    return {"london": 3.0, "offic": 1.0}.get(token, 0.5)


def test_coverage_is_the_share_of_idf_mass_present() -> None:
    # "london" (3.0) present, "offic" (1.0) missing: 3 / 4
    assert coverage(["london", "offic"], "They moved to London.", idf) == 0.75
    assert coverage(["london", "offic"], "London office", idf) == 1.0
    assert coverage(["london", "london"], "nothing here", idf) == 0.0


def test_coverage_of_nothing_wanted_is_zero() -> None:
    assert coverage([], "London", idf) == 0.0
    assert coverage(["x"], "x", lambda t: 0.0) == 0.0


def test_evidence_mixes_similarity_and_overlap() -> None:
    assert EVIDENCE.combine(1.0, 0.0) == EVIDENCE.similarity
    assert EVIDENCE.combine(0.0, 1.0) == EVIDENCE.overlap
    assert EvidenceWeights(0.5, 0.5).combine(0.2, 0.6) == 0.4


def test_clip_keeps_short_text_and_cuts_long_text_at_a_word() -> None:
    assert clip("short", 10) == "short"
    text = "The council approved the repairs, which start in May"
    cut = clip(text, 36)
    assert len(cut) <= 36 and cut.endswith("…")
    assert cut == "The council approved the repairs…", "cut at a word, without the trailing comma"


def test_clip_of_one_long_word_cuts_inside_it() -> None:
    assert clip("a" * 50, 10) == "a" * 9 + "…"
