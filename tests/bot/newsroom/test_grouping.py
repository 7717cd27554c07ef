"""Story grouping (bot/newsroom/events.py) on the hand-written fixtures: reports of one
event written anew are one story; two events sharing a place, a company or a kind of
event are not; and what an update changes is said with its figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.newsroom.changes import changed, figures_of
from bot.newsroom.events import (
    ALONE_SIM,
    NAME_SIM,
    embed_reports,
    follows_up,
    names_of,
    opening_of,
    shared_names,
    shares_name,
)
from bot.newsroom.events import Report as EventReport
from tests.bot.newsroom.fixtures import Report, as_seen, by_key, grouping, load, pairwise
from vectorstore.embedding import Embedder


@pytest.mark.parametrize("fixture", ["reports.jsonl", "heldout.jsonl", "followups.jsonl"])
def test_each_event_is_one_story_and_no_two_events_are(
    fixture: str, embedder: Embedder, tmp_path: Path
) -> None:
    reports = load(fixture)
    assigned = grouping(reports, embedder, tmp_path)
    precision, recall = pairwise({r.key: r.event for r in reports}, assigned)
    assert (precision, recall) == (1.0, 1.0)


def test_a_shared_place_or_company_does_not_make_one_story(embedder: Embedder, tmp_path: Path) -> None:
    r = by_key(load())
    assigned = grouping(load(), embedder, tmp_path)
    floods, bridge = assigned["arven-floods@Coastal Times"], assigned["sella-bridge@Valdoria Herald"]
    assert floods != bridge != assigned["meskel-vote@Northern Wire"]
    assert assigned["norvex-jobs@The Ledger"] != assigned["norvex-assistant@The Ledger"]
    assert floods != assigned["rivermouth-floods@Harbour Gazette"]  # floods, elsewhere, the same days
    assert assigned["flood-toll-58@Valdoria Herald"] == assigned["waters-recede@Coastal Times"] == floods
    for key in ("sella-bridge@Valdoria Herald", "arven-floods@Coastal Times"):  # the place they share
        assert "valdoria" in {w.lstrip("^") for w in names_of(r[key].title, opening_of(r[key].text))}


def _written(slug: str, title: str, text: str, day: str, event: str) -> Report:
    return Report(
        f"https://wire.example/{slug}",
        f"https://wire.example/{slug}",
        title,
        text,
        day,
        "Wire",
        event,
        "first",
    )


# Written for this test: no name in any of them (no capitalised word inside a sentence).
FERRY = _written(
    "ferry-sinks",
    "Passenger ferry sinks off the northern coast",
    "A passenger ferry sank off the northern coast on Tuesday night with two hundred people on board. "
    "Rescue boats pulled most of them from the water before dawn.",
    "2026-03-03",
    "ferry",
)
FERRY_AGAIN = _written(  # the same event, written anew the next day
    "ferry-rescue",
    "Ferry with two hundred on board sinks off northern coast",
    "Rescue boats pulled most of the two hundred people on board from the water after a passenger ferry "
    "sank off the northern coast late on Tuesday.",
    "2026-03-04",
    "ferry",
)
QUAKE = _written(
    "quake",
    "Earthquake strikes the mountain region",
    "A strong earthquake struck the mountain region early on Monday, destroying hundreds of homes and "
    "cutting roads to several villages.",
    "2026-03-02",
    "quake",
)
FLOODS = _written(  # another event, told in nearly the same words, the same day
    "floods",
    "Floods hit the mountain region",
    "Heavy rain flooded valleys in the mountain region early on Monday, destroying hundreds of homes and "
    "cutting roads to several villages.",
    "2026-03-02",
    "floods",
)


def test_without_a_shared_name_the_similarity_alone_decides(embedder: Embedder, tmp_path: Path) -> None:
    """Two reports that share no name are one story when their headlines and openings are
    alike enough by themselves (ALONE_SIM), and two stories when they are less alike, even
    well past what a shared name would need (NAME_SIM)."""
    ferry, again, quake, floods = as_seen([FERRY, FERRY_AGAIN, QUAKE, FLOODS], embedder)
    same, other = float(ferry.vector @ again.vector), float(quake.vector @ floods.vector)
    assigned = grouping([FERRY, FERRY_AGAIN, QUAKE, FLOODS], embedder, tmp_path)
    assert assigned[FERRY.key] == assigned[FERRY_AGAIN.key], f"similarity {same:.3f} (ALONE_SIM {ALONE_SIM})"
    assert assigned[QUAKE.key] != assigned[FLOODS.key], f"similarity {other:.3f} (ALONE_SIM {ALONE_SIM})"
    assert not shares_name(ferry, again) and not shares_name(quake, floods), "decided by similarity alone"
    assert same >= ALONE_SIM > other >= NAME_SIM, (same, other)


def test_follow_ups_stay_in_their_story_under_the_similarity_threshold(
    embedder: Embedder, tmp_path: Path
) -> None:
    reports = load("followups.jsonl")
    r = by_key(reports)
    assigned = grouping(reports, embedder, tmp_path)
    firsts: dict[str, str] = {}
    for report in sorted(reports, key=lambda x: x.date):
        firsts.setdefault(report.event, report.key)
    split = [x.key for x in reports if assigned[x.key] != assigned[firsts[x.event]]]
    assert split == []  # resignations, arrests, verdicts, tolls, "put out", "reopened"
    chief, dam = r["ostrel-hydro-chief@City Star"], r["ostrel-dam@Valdoria Herald"]
    drafts = [_report(x) for x in (chief, dam, r["ostrel-hydro-prices@Daily Courier"])]
    chief_v, dam_v, prices_v = embed_reports(embedder, drafts)
    assert float(chief_v.vector @ dam_v.vector) < NAME_SIM  # the similarity alone would split it
    assert follows_up(chief_v, [dam_v]) is not None  # the company's names and the collapse
    # the same company's price rise that week shares two of the story's names, not its event
    story = [dam_v, chief_v]
    assert shared_names(prices_v, story) >= 2 and follows_up(prices_v, story) is None
    assert assigned["ostrel-hydro-prices@Daily Courier"] != assigned[firsts["ostrel-dam"]]


def test_a_follow_up_shares_the_storys_event_not_only_its_subject() -> None:
    """Two of the story's names and a similarity of 0.5: the words its headlines share
    decide. A topic shared ("dynasty") is not an event shared ("collapse")."""

    def report(title: str, day: str, vector: list[float]) -> EventReport:
        opening = "The Yuan court in Khanbaliq said so."
        v = np.array(vector, dtype=np.float32)
        return EventReport(
            title, day, title, opening, None, None, "global", title, names_of(title, opening), v
        )

    story = [report("Bridge collapse in the Yuan dynasty's capital", "2026-05-01", [1.0, 0.0])]
    half = [0.5, 0.866]  # cosine 0.5 with the story, under NAME_SIM
    follow_up = report("Engineers blamed for the Yuan capital's bridge collapse", "2026-05-03", half)
    subject = report("Yuan dynasty: a history of its bridges", "2026-05-03", half)
    late = report("Engineers blamed for the Yuan capital's bridge collapse", "2026-05-09", half)
    assert shared_names(follow_up, story) == shared_names(subject, story) == 2  # yuan, khanbaliq
    assert follows_up(follow_up, story) == pytest.approx(0.5)
    assert follows_up(subject, story) is None
    assert follows_up(late, story) is None  # outside the story's window


def _report(x: Report) -> EventReport:
    opening = opening_of(x.text)
    empty = np.zeros(0, dtype=np.float32)
    return EventReport(
        x.key, x.date, x.title, opening, x.url, x.source, "global", x.key, names_of(x.title, opening), empty
    )


def test_names_are_not_weekdays_and_words_that_open_a_sentence_are_marked() -> None:
    opening = "Rescuers reached Meskel on Friday. The Arven fell. Rescuers said more rain would come."
    assert names_of("Floods in Valdoria", opening) == {
        "^floods",
        "valdoria",
        "meskel",
        "arven",
        "^rescuers",
        "^the",
    }
    assert names_of("Floods In Valdoria Kill 35 As River Bursts", "The Arven rose.") == {"^the", "arven"}
    assert (
        opening_of("MESKEL, Valdoria (Northern Wire) - The river rose. It rose more.", 20)
        == "The river rose."
    )


def test_what_an_update_changes_is_said_with_its_figures() -> None:
    r = by_key(load())

    def figures(key: str) -> dict[str, str]:
        return figures_of(f"{r[key].title}. {opening_of(r[key].text)}")

    assert changed(figures("arven-floods@Coastal Times"), figures("flood-toll-58@Valdoria Herald")) == [
        "58 dead (was 35)",
        "6,500 displaced (was 4,000)",
    ]
    assert changed(figures("keltia-27@City Star"), figures("keltia-search-ends@Daily Courier")) == [
        "31 dead (was 27)"
    ]
    assert changed(figures("rivermouth-floods@Harbour Gazette"), figures("rivermouth-toll@City Star")) == [
        "14 dead (was 9)"  # "nine dead" in the first headline
    ]
    assert changed(figures("selmar-fire@Metro Post"), figures("selmar-contained@Harbour Gazette")) == [
        "4,100 hectares (was 2,500)"
    ]
    assert changed(figures("hikers-missing@Harbour Gazette"), figures("hikers-found@City Star")) == []
