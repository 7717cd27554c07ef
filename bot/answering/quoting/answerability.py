"""Does a passage answer the question, or only resemble it?

Between ranking and the answer: the best-ranked sentence (of the first few above the
evidence threshold) whose immediate context - the sentence, its neighbours, the article's
title and date - meets every anchor of the question (anchors.py) may be the answer; among
those, the one whose quote carries what the question asks for is chosen (choice.py). When
the passages are on topic but none meets the anchors, the question is a near miss:
refused, with the nearest sentence quoted as what the articles do say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answering.quoting.anchors import Anchor, ContextWords, Kind, anchors_of, met
from bot.answering.quoting.asked_for import AnswerKind, last_question, what_is_asked
from bot.answering.quoting.choice import ANSWER_MARGIN, Quote, quote_around, quote_worth
from bot.answering.quoting.extractive import Candidate
from bot.answering.quoting.modifiers import Category, category_of, contradicted, modifier
from vectorstore.models import Passage
from vectorstore.sentences import Sentence, split_sentences

# Ranked sentences tried for one that meets the anchors; 0 turns the check off. Chosen from
# bench/refusal_curve.py: 1 refuses the most near misses but also many answerable questions.
SEARCH_DEPTH = 5
CHOICE_DEPTH = 10  # ranked sentences that may be chosen for the answer they carry (choice.py)
# A sentence that leaves only a modifier ("American" for "the US") or the asked-for
# category's names unmet answers when its quote marks a span of the asked-for kind this
# strong (choice.py: 2, marked as its kind).
MODIFIED_STRENGTH = 2


@dataclass(frozen=True)
class Judgement:
    anchors: list[Anchor]
    answer: Quote | None  # None: a near miss
    nearest: Candidate  # the best-ranked sentence: what the articles do say
    missing: list[Anchor] = field(default_factory=list)  # of the nearest, for a near miss


def neighbours(passage: Passage, start: int) -> tuple[Sentence | None, Sentence | None]:
    """The sentences just before and after the one at `start` (an article offset) in its passage."""
    sentences = split_sentences(passage.text, base=passage.start)
    for i, s in enumerate(sentences):
        if s.start <= start < s.end:
            before = sentences[i - 1] if i > 0 else None
            after = sentences[i + 1] if i + 1 < len(sentences) else None
            return before, after
    return None, None


def around_of(candidate: Candidate) -> tuple[Sentence | None, Sentence | None]:
    """A candidate's neighbours: the reporting sentences beside it (extractive.candidates),
    else those of its passage's text."""
    if candidate.around is not None:
        return candidate.around
    return neighbours(candidate.passage, candidate.start)


def context_text(passage: Passage, sentence: str, around: Sequence[Sentence | None]) -> str:
    """A sentence's immediate context: itself, its neighbours, the article's title and date."""
    record = passage.article
    parts = [sentence, *(s.text for s in around if s is not None), record.title, record.date or ""]
    return " ".join(parts)


def window(passage: Passage, sentence: str, start: int) -> str:
    """The context of the sentence at `start` in `passage` (see context_text)."""
    return context_text(passage, sentence, neighbours(passage, start))


def unmet(anchors: Sequence[Anchor], context: str, sentence: str, year: int | None = None) -> list[Anchor]:
    """The anchors a context does not meet; a negation must be in the sentence itself. `year`:
    when the context was written (a count of years counts back from it)."""
    words = ContextWords.of(context, sentence, year)
    return [a for a in anchors if not met(a, words)]


def year_of(passage: Passage) -> int | None:
    """The year a passage's article was published in, if it is dated."""
    day = passage.article.date or ""
    return int(day[:4]) if day[:4].isdigit() else None


@dataclass(frozen=True)
class Checks:
    """The anchors a sentence must meet. Those of the asking sentence ("Which team does
    Watson play for?") must be met in the sentence's context (context_text); those only in
    the question's other sentences, which set the scene in a news quiz ("Deshaun Watson was
    suspended ... for violating the NFL's policy."), are met when any one of them is found
    in what was retrieved of the sentence's article: the answer need not repeat the scene,
    but it must be about the same story."""

    asking: list[Anchor]
    scene: list[Anchor]
    seen: dict[str, str]  # article id -> its retrieved passages and title
    _seen_words: dict[str, ContextWords] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, question: str, ranked: Sequence[Candidate]) -> Checks:
        asking = anchors_of(last_question(question))
        keys = {(a.kind, a.tokens) for a in asking}
        scene = [a for a in anchors_of(question) if (a.kind, a.tokens) not in keys]
        seen: dict[str, list[str]] = {}
        for c in ranked:
            texts = seen.setdefault(c.passage.article.id, [c.passage.article.title])
            if c.passage.text not in texts:
                texts.append(c.passage.text)
        return cls(asking, scene, {k: " ".join(v) for k, v in seen.items()})

    @property
    def anchors(self) -> list[Anchor]:
        return [*self.asking, *self.scene]

    def missing(self, candidate: Candidate, around: tuple[Sentence | None, Sentence | None]) -> list[Anchor]:
        context = context_text(candidate.passage, candidate.text, around)
        missing = unmet(self.asking, context, candidate.text, year_of(candidate.passage))
        if not self.scene:
            return missing
        scene = [a for a in self.scene if not met(a, self._words_seen(candidate.passage.article.id, context))]
        return missing + (scene if len(scene) == len(self.scene) else [])

    def _words_seen(self, article_id: str, context: str) -> ContextWords:
        """The words retrieved of an article, read once per question."""
        if article_id not in self.seen:
            return ContextWords.of(context, context)
        if article_id not in self._seen_words:
            self._seen_words[article_id] = ContextWords.of(self.seen[article_id], self.seen[article_id])
        return self._seen_words[article_id]


def judge(
    question: str,
    ranked: Sequence[Candidate],
    min_evidence: float,
    max_chars: int,
    depth: int = SEARCH_DEPTH,
    newest: bool = False,
) -> Judgement:
    """The answer, or the near miss (see the module docstring). `ranked[0]` must already
    clear `min_evidence`. The first of the `depth` best sentences that meets the anchors
    is an answer (never a sentence that is a question); so is any later one of the first
    CHOICE_DEPTH within ANSWER_MARGIN of the best, and the one whose quote answers best
    (choice.quote_worth) is chosen. With `newest` (a "latest" question, the newest answering
    sentence moved first by stories.prefer_newest) only sentences of articles as new as
    the first compete."""
    checks = Checks.of(question, ranked) if depth > 0 else Checks([], [], {})
    anchors = checks.anchors
    asked_for = what_is_asked(question)
    # a person is not named with the category's noun: "NFL Most Valuable Player" is a title
    category = category_of(last_question(question)) if asked_for.kind is not AnswerKind.PERSON else None
    bar = max(min_evidence, ranked[0].score - ANSWER_MARGIN)
    chosen: tuple[float, Quote] | None = None
    scores = {(c.passage.article.id, c.start): c.score for c in ranked}
    first_missing: list[Anchor] | None = None
    for i, candidate in enumerate(ranked[: max(depth, CHOICE_DEPTH, 1)]):
        if candidate.score < min_evidence or (chosen is not None and candidate.score < bar):
            break
        if chosen is None and i >= max(depth, 1):
            break  # no sentence of the first `depth` meets the anchors: a near miss
        if newest and chosen is not None and _older(candidate, chosen[1].candidate):
            continue
        if asks(candidate.text):
            continue
        around = around_of(candidate)
        missing = checks.missing(candidate, around)
        seen = checks.seen.get(candidate.passage.article.id, "")
        modified = _modifiers(missing, candidate, around, category, (asked_for.question_tokens, seen))
        quote = quote_around(asked_for, candidate, around, max_chars, scores) if modified else None
        if missing and (quote is None or quote.strength < MODIFIED_STRENGTH):
            first_missing = first_missing or missing
            continue
        assert quote is not None
        worth = quote_worth(quote, asked_for)
        if chosen is None or worth > chosen[0]:
            chosen = (worth, quote)
    if chosen is None:
        return Judgement(anchors, None, ranked[0], first_missing or [])
    return Judgement(anchors, chosen[1], ranked[0])


def _modifiers(
    missing: Sequence[Anchor],
    candidate: Candidate,
    around: tuple[Sentence | None, Sentence | None],
    category: Category | None,
    said: tuple[frozenset[str], str],
) -> bool:
    """Whether all a sentence leaves unmet only qualifies the question, and its context
    contradicts none of it (modifiers.py): names no other place or nationality, and for
    the names of the asked-for category, the sentence names an entity of it by its own
    name, its article (what was retrieved of it: `said`, after the question's tokens) says
    the category's names, and the context describes none with other names. True when
    nothing is unmet."""
    if not missing:
        return True
    describing = [a for a in missing if not modifier(a) and category is not None and category.describes(a)]
    if not all(modifier(a) or a in describing for a in missing):
        return False
    context = context_text(candidate.passage, candidate.text, around)
    if any(contradicted(a, context) for a in missing if a not in describing):
        return False
    if category is None or not describing:
        return True
    question_tokens, article = said
    return (
        category.named_by(candidate.text, question_tokens)
        and category.said_in(f"{article} {context}")
        and not category.described_otherwise(context)
    )


def asks(sentence: str) -> bool:
    """Whether a sentence is a question ("Who won the Super Bowl coin toss?"): an article's
    question (a heading, a rhetorical one) asks, it does not answer."""
    return sentence.rstrip(" ”\"’')").endswith("?")


def _older(candidate: Candidate, than: Candidate) -> bool:
    return (candidate.passage.article.date or "") < (than.passage.article.date or "")


def describe(missing: Sequence[Anchor], question: str) -> str:
    """What the articles lack, in the question's words: "2005 Nobel Peace Prize"."""
    if not missing:
        return "what this question asks"
    anchor = missing[0]
    if anchor.kind is Kind.NAME or anchor.kind is Kind.QUOTE:
        return anchor.text
    words = question.strip().rstrip("?.! ").split()
    start = next((i for i, w in enumerate(words) if anchor.text.lower() in w.lower()), None)
    if start is None:
        return anchor.text
    if anchor.kind is Kind.NEGATION:
        return " ".join(words[start:])
    phrase = [words[start]]
    for w in words[start + 1 : start + 4]:
        if not w[:1].isupper() and not w[:1].isdigit():
            break
        phrase.append(w)
    return " ".join(phrase).strip(",;:")
