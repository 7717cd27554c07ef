"""How members type questions and how news sentences carry the answer: the rules of
asked_for.py, answer_spans.py and choice.py on small texts the team wrote, without a model."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answering.quoting.answer_spans import answer_spans
from bot.answering.quoting.answerability import neighbours
from bot.answering.quoting.asked_for import AnswerKind, what_is_asked
from bot.answering.quoting.choice import Quote, echo, quote_around, quote_worth
from bot.answering.quoting.extractive import Candidate
from vectorstore.models import ArticleRecord, Passage


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # a wh-word typed with its "is" glued on
        ("whats the new soda flavor", AnswerKind.NAME),
        ("whos replacing the coach at tarrow", AnswerKind.PERSON),
        ("wheres the summit this year", AnswerKind.PLACE),
        # what a thing is called
        ("what are they calling the hot dog van now", AnswerKind.NAME),
        ("what is the new stadium called", AnswerKind.NAME),
        # a strength is measured
        ("how strong was the earthquake", AnswerKind.NUMBER),
    ],
)
def test_casual_wordings_say_what_they_want(question: str, kind: AnswerKind) -> None:
    assert what_is_asked(question).kind is kind


def strengths(question: str, sentence: str) -> dict[str, int]:
    return {s.text: s.strength for s in answer_spans(sentence, what_is_asked(question))}


def test_an_age_is_the_number_before_years_old() -> None:
    found = strengths("how old was dana pruitt", "Pruitt, who ran 4 companies, died Monday at 93 years old.")
    assert found["93"] == 3 and found["4"] == 1


def test_a_duration_answers_how_long() -> None:
    found = strengths("how long did the senator talk", "As 3 aides watched, the senator spoke for 25 hours.")
    assert found["25"] == 3 and found["3"] == 1


def test_a_length_answers_how_long_a_thing_is() -> None:
    sentence = "Construction took 17 years; the tunnel runs 64 kilometres under 2 peaks."
    found = strengths("How long is the Brenner Base Tunnel?", sentence)
    assert found["64"] == 3 and found["17"] == 2 and found["2"] == 1
    # a verb after "how long" asks for a duration
    assert strengths("How long did the construction take?", sentence)["17"] == 3
    assert strengths("How long did the construction take?", sentence)["64"] == 1


def test_how_much_an_album_sold_is_copies_and_what_a_painting_sold_for_a_sum() -> None:
    sentence = "The tour made $30 million and the album sold 2 million copies."
    found = strengths("How much did the album sell?", sentence)
    assert found["2 million"] == 3 and found["$30 million"] == 1
    found = strengths("How much did the painting sell for?", "It sold for $30 million to 2 bidders.")
    assert found["$30 million"] == 3 and found["2"] == 1


def test_what_people_call_for_is_no_name() -> None:
    assert what_is_asked("What are protesters calling for?").kind is AnswerKind.OTHER
    assert what_is_asked("what do unions call on the mayor to do").kind is AnswerKind.OTHER
    assert what_is_asked("what are they calling the hot dog van now").kind is AnswerKind.NAME


def test_a_name_ends_with_its_line() -> None:
    assert set(strengths("who won the vote", "It helped Orbán.\n\nOrbán lost to Peter Magyar.")) == {
        "Orbán",
        "Peter Magyar",
    }
    assert "Sen. Ada Voss" in strengths("who won the vote", "Sen. Ada Voss won the vote.")


@pytest.mark.parametrize("name", ["Djokovic", "Messi", "Doncic", "Ryan"])
def test_a_surname_with_a_demonyms_ending_is_still_a_name(name: str) -> None:
    assert name in strengths("who won the final", f"In the final, {name} won in straight sets.")


@pytest.mark.parametrize("adjective", ["Russian", "Japanese", "Israeli", "Canadian", "British"])
def test_an_adjective_of_a_place_is_no_name(adjective: str) -> None:
    assert adjective not in strengths("who won the final", f"The {adjective} won in straight sets.")


def test_a_vague_quantity_is_no_count() -> None:
    found = strengths(
        "how many lobster shacks closed", "Dozens of lobster shacks closed; 99 shacks closed by Friday."
    )
    assert found["Dozens"] == 1 and found["99"] == 3


def test_the_speaker_of_a_sentence_is_not_the_person_asked_for() -> None:
    sentence = "Olin Marsh was charged, special agent Kenny Cooper said at a news conference."
    found = strengths("who got arrested for the fire", sentence)
    assert found["Olin Marsh"] == 2 and found["Kenny Cooper"] == 1
    found = strengths("who won the race", '"Never done before," said Vince Clemente, who runs the race.')
    assert found["Vince Clemente"] == 1
    # who wrote a work is no speaker
    found = strengths(
        "who wrote the stage play", "Many plays were staged, while Terry Nation wrote The Curse."
    )
    assert found["Terry Nation"] == 2


def test_a_name_ends_with_its_sentence() -> None:
    found = strengths(
        "who won the race", "Congratulations to Ricky. There's nothing like it, said Dr. Ann Lee."
    )
    assert "Ricky" in found and not [name for name in found if "There" in name]
    assert "Sen. J. D. Vance" in strengths("who won the vote", "But U.S. Sen. J. D. Vance won.")
    # an abbreviation is part of the name; a title written out ends its sentence
    assert "Warner Bros. Discovery" in strengths(
        "which company bought it", "Warner Bros. Discovery bought it."
    )
    found = strengths("who resigned", "The board thanked the President. Dana Voss resigned on Friday.")
    assert "Dana Voss" in found and not [name for name in found if "President." in name]


def test_an_award_an_event_or_a_place_is_no_person() -> None:
    found = strengths(
        "who won the prize", "Dana Voss picked up the Pell Award at Corran Stadium in Mexico City."
    )
    assert found == {"Dana Voss": 2}
    # a surname that is also a thing's last word names a person ("Jason Day", "Inbee Park")
    assert strengths("who won the tournament", "Jason Day won the tournament by two shots.") == {
        "Jason Day": 2
    }
    assert strengths("who played there", "The band played on the Golden Gate Bridge.") == {}
    # a team named after its city is no place
    assert strengths("who won the series", "The Tarrow Comets beat the Denver Owls.") == {
        "Tarrow Comets": 2,
        "Denver Owls": 2,
    }
    # "New" of "New York" is the place's, not a word that opens the sentence
    assert strengths("who did the city hire", "New York City hired Kathleen Corrin as rat czar.") == {
        "Kathleen Corrin": 2
    }


def test_dates_and_counting_words_are_no_names() -> None:
    sentence = "Over 23,000 acres burned after the fire started on Jan. 7 near Malibu."
    assert set(strengths("who started the fire", sentence)) == {"Malibu"}


LEDE = "Authorities have arrested a man accused of sparking the Tarrow Fire that burned the hills above the town all winter."
TEXT = (
    f"{LEDE}\n\n"
    "Olin Marsh, 29, is accused of starting a fire on New Year's Day that smouldered for days. "
    "What happened next? "
    "It reached the ridge in January and burned for weeks across the valley."
)
RECORD = ArticleRecord(id="a", title="Arrest made in Tarrow Fire", hash="h", n_chunks=1, date="2025-10-08")
PASSAGE = Passage("a:0", RECORD, 0, TEXT, 0, len(TEXT), 1.0)


def candidate(sentence: str, overlap: float) -> Candidate:
    start = TEXT.index(sentence)
    return Candidate(PASSAGE, sentence, start, start + len(sentence), 0.7, overlap, 0.7, np.zeros(2))


def test_a_lede_that_names_no_one_is_quoted_by_its_neighbour_that_names_the_answer() -> None:
    asked_for = what_is_asked("who got arrested for starting the tarrow fire")
    lede = candidate(LEDE, 0.8)
    quote = quote_around(asked_for, lede, neighbours(PASSAGE, lede.start), 150)
    assert quote.text.startswith("Olin Marsh, 29, is accused") and quote.mark is not None
    assert TEXT[quote.start : quote.end] == quote.text
    # room for both: quoted together
    assert quote_around(asked_for, lede, neighbours(PASSAGE, lede.start), 296).text.startswith(LEDE)
    # however little of the question the lede says, the neighbour that names the answer is quoted
    unlike = candidate(LEDE, 0.3)
    assert quote_around(asked_for, unlike, neighbours(PASSAGE, lede.start), 150).text.startswith("Olin Marsh")


def test_a_lede_that_names_a_sum_itself_is_not_given_up_for_its_neighbour() -> None:
    asked_for = what_is_asked("how much is the mayor suing the paper for")
    lede = "Mayor Ada Lane sued the Tarrow Courier on Monday, alleging its reports on the bridge contract defamed her."
    named = "Mayor Ada Lane sued the Tarrow Courier for $40 million on Monday over its reports on the bridge deal."
    neighbour = "The lawsuit, filed in the county court, seeks $25 million in damages."
    for first, quoted in [(lede, neighbour), (named, named)]:
        text = f"{first}\n\n{neighbour}"
        passage = Passage("s:0", RECORD, 0, text, 0, len(text), 1.0)
        sentence = Candidate(passage, first, 0, len(first), 0.7, 0.3, 0.6, np.zeros(2))
        assert quote_around(asked_for, sentence, neighbours(passage, 0), 150).text == quoted


def test_a_neighbour_quoted_alone_meets_the_names_the_question_pins_down() -> None:
    lede = "Police have arrested a man accused of setting the blaze that destroyed the Harlow Mill last week."
    asked_for = what_is_asked("Who was arrested for the blaze at the Harlow Mill?")
    for neighbour, alone in [
        ("Olin Marsh, 29, is accused of setting fire to the mill on New Year's Day.", True),
        ("Separately, Jane Doe was charged in another fire on New Year's Day.", False),
    ]:
        text = f"{lede}\n\n{neighbour} Officers searched the town."
        passage = Passage("m:0", RECORD, 0, text, 0, len(text), 1.0)
        first = Candidate(passage, lede, 0, len(lede), 0.7, 0.8, 0.7, np.zeros(2))
        quote = quote_around(asked_for, first, neighbours(passage, 0), 120)
        assert (quote.text == neighbour) is alone and (quote.text == lede) is not alone


def test_a_question_heading_is_never_joined_to_a_quote() -> None:
    asked_for = what_is_asked("what did the fire do")
    last = candidate("It reached the ridge in January and burned for weeks across the valley.", 0.9)
    around = neighbours(PASSAGE, last.start)
    assert around[0] is not None and around[0].text == "What happened next?"
    assert quote_around(asked_for, last, around, 296).text == last.text


def test_an_undated_page_is_not_quoted_by_a_neighbour_alone() -> None:
    page = ArticleRecord(id="w", title="Tarrow Fire", hash="h", n_chunks=1, date=None)
    passage = Passage("w:0", page, 0, TEXT, 0, len(TEXT), 1.0)
    asked_for = what_is_asked("who got arrested for starting the tarrow fire")
    lede = Candidate(passage, LEDE, 0, len(LEDE), 0.7, 0.8, 0.7, np.zeros(2))
    assert quote_around(asked_for, lede, neighbours(passage, 0), 150).text == LEDE


def quote_of(title: str, date: str | None, sentence: str) -> Quote:
    record = ArticleRecord(id="b", title=title, hash="h", n_chunks=1, date=date)
    passage = Passage("b:0", record, 0, sentence, 0, len(sentence), 1.0)
    return Quote(
        Candidate(passage, sentence, 0, len(sentence), 0.6, 0.6, 0.6, np.zeros(2)), sentence, 0, len(sentence)
    )


def test_the_sentence_that_says_the_headline_again_answers_better() -> None:
    asked_for = what_is_asked("who bought harbor bank")
    title = "Harbor Bank seized and sold to Velmar Trust"
    says_it = quote_of(title, "2023-05-02", "So, Harbor Bank has been sold off to Velmar Trust.")
    repeats = quote_of(
        title, "2023-05-02", "So it was mostly wealthy people who put their money into Harbor Bank."
    )
    assert echo(says_it, asked_for) > 0.5 and echo(repeats, asked_for) == 0
    assert quote_worth(says_it, asked_for) > quote_worth(repeats, asked_for)
    # an encyclopedia page's title names its topic: no echo
    assert echo(quote_of(title, None, "So, Harbor Bank has been sold off to Velmar Trust."), asked_for) == 0


def test_a_sum_answers_how_much_it_costs_and_a_figure_what_rise() -> None:
    found = strengths(
        "how much will the bridge repairs cost", "Works on 3 joints will cost 14 million euros."
    )
    assert found["14 million"] == 3 and found["3"] == 1
    assert (
        strengths("how much is the mayor suing the paper for", "He seeks $10 billion, 2 lawyers said.")[
            "$10 billion"
        ]
        == 3
    )
    assert what_is_asked("what pay rise did the drivers get").kind is AnswerKind.NUMBER
    assert (
        strengths("what pay rise did the drivers get", "They get a 4.5 percent rise from 2 May.")[
            "4.5 percent"
        ]
        == 3
    )


def test_for_a_question_of_a_kind_only_the_headlines_answer_echoes() -> None:
    asked_for = what_is_asked("how many people have died in the avel floods")
    older = quote_of(
        "Floods along the river Avel kill 12", "2026-10-02", "At least 12 people died along the river Avel."
    )
    newer = quote_of("Avel flood toll rises to 35", "2026-10-04", "The number who died has risen to 35.")
    assert echo(older, asked_for) == echo(newer, asked_for) == 1.0  # each says its headline's figure
    assert quote_worth(newer, asked_for) >= quote_worth(older, asked_for)
