"""What a news report keeps naming that the question does not say: its subject.

"whats the new allergen on food labels" names what it asks about by its kind; the report
answers with the word it repeats sentence after sentence ("sesame"), while its sentence
closest to the question's wording ("The FDA conducts inspections ... of major food
allergens") need not say it. For a question that asks for something of no kind the rules
can see (asked_for.py: OTHER, REASON), the words that SUBJECT_SHARE of a report's
retrieved sentences say (and SUBJECT_REPEATS at least), that the question does not say,
are the report's subject; a quote that says one answers better (choice.quote_worth).
Function words and reporting verbs ("said", "also", "would") are no subject. A question
of a kind has its answer marked by its span (answer_spans.py) instead; one that asks yes
or no ("did the lions win") wants the sentence that tells the outcome, whatever it names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.answering.quoting.asked_for import AskedFor
from bot.answering.quoting.extractive import Candidate
from bot.answering.quoting.spans_text import NOT_NAMES
from vectorstore.lexical import tokenize

SUBJECT_SHARE = 0.25  # share of a report's retrieved sentences that say a word of its subject
SUBJECT_REPEATS = 3  # and how many at least
_FUNCTION = frozenset(
    tokenize(
        " ".join(NOT_NAMES)
        + """ said says say saying told tells also have has had having he she his her him we i
        you me my our us them was were been being would could should can may might must do does
        did just more like get got make made one its it's who whom"""
    )
)


@dataclass(frozen=True)
class Subjects:
    """Each report's subject words (article id -> its words; none for a question of a kind)."""

    words: Mapping[str, frozenset[str]]

    def said(self, candidate: Candidate, text: str) -> bool:
        """Whether `text`, quoted from the candidate's report, says a word of its subject."""
        words = self.words.get(candidate.passage.article.id, frozenset())
        return not words.isdisjoint(tokenize(text))


NO_SUBJECTS = Subjects({})


def subjects(ranked: Sequence[Candidate], asked_for: AskedFor) -> Subjects:
    """The subject of each report among the ranked sentences, read from its sentences there."""
    if asked_for.typed or not asked_for.open:
        return NO_SUBJECTS
    sentences: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = {}
    for c in ranked:
        article = c.passage.article.id
        sentences[article] += 1
        counts.setdefault(article, Counter()).update(set(tokenize(c.text)) - asked_for.question_tokens)
    out = {}
    for article, counted in counts.items():
        need = max(SUBJECT_REPEATS, SUBJECT_SHARE * sentences[article])
        out[article] = frozenset(t for t, n in counted.items() if n >= need and t not in _FUNCTION)
    return Subjects(out)
