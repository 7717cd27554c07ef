"""What a quote reports of the outcome a question asks about.

A question about an outcome ("who won the heisman", "did ovechkin break the record")
asked just after the event is often answered by the store's preview of it ("will
caucus Jan. 15", "a finalist for the Heisman"): a quote that states no form of the
question's outcome verb (OUTCOMES), or tells an earlier one ("last season"), does not
report the outcome, and the reply says "The newest I have on this is from ..." however
recent its report (a dated report only: an undated page has no date to name). Nor does a
quote that only supposes it: the outcome's verb after "could", "if", "expected to" ("he
could still win"), or, for a question whether something happened or lasts ("did the swap
happen", "is she still president"), any such word ("signs of", "no official
confirmation", "will retain"). Nor does a quote that announces the contest still to be
played (the final's preview: "the championship matchup is set after commanding wins from
South Carolina and UConn", "will face"), whatever wins on the way it reports, nor one
that reports only a knockout round's result ("Spain eliminated Portugal with a 1-0 win")
for the title ("who ended up winning the world cup"). A question about what will be is
not about an outcome. Outcomes include a signing ("where did she end up signing"), a
collapse and a storm's hit ("how bad did hurricane erin hit": a forecast does not say).

Read by current.py: such a quote is led by "The newest I have on this is from ...".
End states ("is the strike over") and a contest still to be played are endstate.py's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.news_time.endstate import earlier_round, end_state, still_to_play
from vectorstore.lexical import tokenize

NEGATION = re.compile(r"\b(?:never|not|no)\b|n['’]t\b", re.I)
# An earlier season's, year's or vote's outcome ("won the cup last season").
_EARLIER = re.compile(r"\b(?:last|previous|past) (?:season|year|edition|time)\b|\ba year ago\b", re.I)


# Outcome verbs, each with the words a report of that outcome uses: a sentence that has
# none of them reports no such outcome (a preview, a finalist, a tie). A question's verb
# is the first of its words in this table (as tokenize() stems them: "winning" is "win").
_OUTCOMES = (
    "win wins won winning winner winners victory victorious beat beats beaten defeated defeats clinched",
    "lose loses lost losing loser defeated beaten",
    "break breaks broke broken breaking",
    "go goes went gone",
    "die dies died dead death kill kills killed",
    "elect elects elected",
    "pick picks picked",
    "choose chooses chose chosen",
    "resign resigns resigned resignation",
    "pass passes passed",
    "sign signs signed signing",
    "collapse collapses collapsed collapsing",
    "hit hits",
)
_ASKING = frozenset(
    ["who", "whos", "who's", "which", "what", "whats", "what's", "did", "does", "has", "have", "had"]
)
_VERB_REACH = 4  # words after the question word: "did the iranian president die"
# Outcome verbs too common to read alone: "hit" is a storm's outcome only with a storm asked
# about ("how bad did hurricane erin hit", not "who hit the winning shot", "stocks hit
# highs"); "sign" a signing only as a verb's past or -ing ("where did she end up signing",
# not "the protesters signs").
_STORM = re.compile(
    r"\b(?:hurricane|storm|typhoon|cyclone|tornado|(?:earth)?quake|tsunami|flood|wildfire)s?\b", re.I
)
_SIGNED = re.compile(r"sign(?:ed|ing)$")
# Words that only say an outcome came at last ("where did she end up signing", "who ended up
# winning"): left out before the question's verb is looked for.
_ENDED_UP = re.compile(r"\b(?:end|ends|ended|ending|wind|winds|wound) up\b", re.I)
# A question about whether something happened or lasts: "did ...", "has ... ", "is ... still",
# "who's replacing ...".
_OUTCOME_ASKED = re.compile(r"^(?:did|has|have|had)\b|\bstill\b|\breplac", re.I)
# A question about what will be: its answer is a preview.
_FUTURE = re.compile(r"\b(?:will|next|going to|gonna|upcoming|when|whens|when['’]s)\b", re.I)
# Words of a sentence that supposes rather than reports: a preview, a hope, an opinion.
_SUPPOSED = re.compile(
    r"\b(?:could|would|might|if|whether|potentially|possibly|likely|will|(?:expected|set|poised) to"
    r"|(?:plans?|planning|hopes?|hoping|aims?) to|signs? of|no official confirmation)\b|['’]d like",
    re.I,
)
_MAY = re.compile(r"\bmay\b")  # lower case: not the month
_SUPPOSED_REACH = 3  # words from the supposing word to the outcome's: "could potentially win"
_TITLES = frozenset(["winner", "winners", "loser", "losers"])  # before a name: who someone is
# More words that report an outcome of a line (by its first verb), never read as a
# question's verb: "the toll rose to 58" reports deaths. Words of a win such as "awarded"
# or "claimed" are not here: stemmed, they match a preview's "Awards" and "claims".
_REPORTED_ALSO = {
    "die": "toll fatalities perished",
    "sign": "joined joins agreed inked",
    "collapse": "crumbled caved",
    # what a storm did: "how bad did the hurricane hit", not its forecast ("is expected to")
    "hit": "struck slammed battered pounded lashed ravaged devastated damaged destroyed flooded landfall"
    " killed",
}
OUTCOMES: dict[str, frozenset[str]] = {}
for _line in _OUTCOMES:
    _first = _line.split()[0]
    _forms = frozenset(tokenize(_line + " " + _REPORTED_ALSO.get(_first, "")))
    for _form in tokenize(_line):
        OUTCOMES.setdefault(_form, _forms)


def outcome_verb(question: str) -> frozenset[str] | None:
    """The forms of the outcome a question asks about, or None: a verb of OUTCOMES among
    the few words after the question word of its last sentence ("who won", "which team
    won", "did luke littler win"), not a word of the context a quiz opens with ("We also
    lost ...")."""
    last = re.split(r"(?<=[.!?])\s+", question.strip())[-1]
    words = _ENDED_UP.sub(" ", last).lower().split()
    at = next((i for i, w in enumerate(words) if w in _ASKING), None)
    if at is None:
        return None
    after = [(w, t) for w in words[at + 1 : at + 1 + _VERB_REACH] for t in tokenize(w)]
    return next((OUTCOMES[t] for w, t in after if t in OUTCOMES and _verb_read(t, w, last)), None)


def _verb_read(stem: str, word: str, question: str) -> bool:
    """Whether a question's word of OUTCOMES reads as its outcome verb: "hit" only with a
    storm asked about, "sign" only as "signed" or "signing"."""
    if stem == "hit":
        return bool(_STORM.search(question))
    return stem != "sign" or bool(_SIGNED.match(word))


def unreported(question: str, quote: str) -> bool:
    """Whether a quote leaves the outcome a question asks about unreported: it names none
    of the words that report it ("will caucus Jan. 15" for "who won the iowa caucus") but
    as a title before a name ("European Championship winner Rob Cross" says who he is, not
    who won) or as what may be ("could potentially win four gold medals"), or it tells an
    earlier one ("won the cup last season"), or it announces the contest still to be played
    ("the championship matchup is set after wins from South Carolina and UConn") or reports
    only a round on the way to the title (endstate.earlier_round). A
    question with no verb of OUTCOMES that asks whether something happened or lasts ("did
    the swap happen", "is she still president") is left unreported by a quote that only
    supposes ("no official confirmation"). A question about an end state ("is the port
    strike over", "did they catch the escapees") is left unreported by a quote that does
    not state that end (endstate.py)."""
    future = bool(_FUTURE.search(question))
    end = end_state(question)
    if end is not None and not future:
        return not _states_end(end, quote)
    forms = outcome_verb(question)
    if forms is None:
        return asks_outcome(question) and bool(supposing(quote))
    spans = list(re.finditer(r"\S+", quote))
    words = [m.group() for m in spans]
    guessed = supposing(quote) if not future else []
    if not future and (still_to_play(quote) or earlier_round(question, quote)):  # wins on the way there
        return True
    said = any(
        forms & set(tokenize(w)) and not _title(words, i) and not _guessed(quote, spans[i].start(), guessed)
        for i, w in enumerate(words)
    )
    return not said or bool(_EARLIER.search(quote))


def _states_end(end: re.Pattern[str], quote: str) -> bool:
    """Whether a quote states an end (a match of `end`) neither denied ("has not been
    caught") nor supposed ("will reopen", "expected to end")."""
    guessed = supposing(quote)
    return any(
        not NEGATION.search(" ".join(quote[: m.start()].split()[-3:]))
        and not _guessed(quote, m.start(), guessed)
        for m in end.finditer(quote)
    )


def asks_outcome(question: str) -> bool:
    """Whether a question asks if something happened or still holds ("did the groundhog
    see his shadow", "is she still president", "whos replacing pat sajak"), not what will
    be ("when's the next debate")."""
    q = question.strip().lower()
    return bool(_OUTCOME_ASKED.search(q)) and not _FUTURE.search(q)


def supposing(quote: str) -> list[int]:
    """Where a quote says what may be, not what is: its words of supposition ("could",
    "if", "expected to", "signs of", "tune in to see if"), as character offsets."""
    return [m.start() for m in (*_SUPPOSED.finditer(quote), *_MAY.finditer(quote))]


def _guessed(quote: str, start: int, at: Sequence[int]) -> bool:
    """Whether the word at offset `start` follows a word of supposition (at one of the
    offsets `at`) within _SUPPOSED_REACH words ("could potentially win")."""
    return any(len(quote[a:start].split()) <= _SUPPOSED_REACH for a in at if a < start)


def _title(words: Sequence[str], i: int) -> bool:
    """Whether the word at `i` names who someone is, before their name ("winner Rob Cross")."""
    return words[i].lower() in _TITLES and i + 1 < len(words) and words[i + 1][:1].isupper()
