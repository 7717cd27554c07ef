"""Which sentence answers: the one that carries what the question asks for.

Ranking by similarity and word overlap (extractive.py) puts first the sentence that
repeats the question's words, and a news lead restates the headline: "the wildly popular
South Korean show is green lit for a second season" ranks above "“Squid Game” is
officially coming back". Among the sentences that rank close to the best (within
ANSWER_MARGIN of its evidence), the quote is the one whose unit - the sentence, or the
sentence joined to the neighbour that names the answer - holds a span of the asked-for kind
new to the question (asked_for.py, answer_spans.py), weighted by ANSWER_BONUS, and that
says its news report's headline news again (echo(), weighted by HEADLINE_BONUS); a
sentence that adds no word to the question is never preferred to one that does. A news
report's sentence that names nothing of the kind asked, too long to quote with the
neighbour that names it, gives way to that neighbour. The span is marked in the quote
(`Quote.mark`), so the doors can show it in bold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.answering.quoting.anchors import ContextWords, met
from bot.answering.quoting.answer_spans import Span, answer_spans
from bot.answering.quoting.asked_for import AskedFor
from bot.answering.quoting.extractive import Candidate
from vectorstore.lexical import tokenize
from vectorstore.sentences import Sentence

# Chosen on bench/realtimeqa.py's 2022 tuning set and squad-dev outside sample1000.
ANSWER_MARGIN = 0.25  # evidence below the best that a sentence with the answer may have
ANSWER_BONUS = 0.15  # added for a span of the asked-for kind (x its strength / 2)
HEADLINE_BONUS = 0.15  # added for a quote saying all its report's headline says (x echo())
NO_ANSWER = 0.05  # taken off a quote with no span of the kind the question wants
STRONGEST = 3  # answer_spans' strongest span: a sentence that has one needs no neighbour
TITLED = 1  # strength a span gains when the article's headline names it too
JOINED = 0  # strength a span loses when it stands in the neighbour, not the sentence
RESTATES = 0.2  # a unit whose words are this new to the question, or less, restates it
NEIGHBOUR_ALONE = 2  # strength of the span a neighbour quoted without the sentence must have
_QUESTION = re.compile(r"\?[\s”\"’')]*$")
_LEANS = re.compile(r"(?:he|she|it|they|this|that|these|those|his|her|its|their|there|the latter)\b", re.I)


@dataclass(frozen=True)
class Quote:
    """What is quoted for an answer: a sentence, or it and a neighbour; `mark` locates
    the words that answer (article offsets), when they can be found."""

    candidate: Candidate
    text: str
    start: int
    end: int
    mark: tuple[int, int] | None = None
    strength: int = 0  # of the marked span: 2 marked as its kind, 1 plain, 0 none


def novelty(text: str, asked_for: AskedFor) -> float:
    """Share of a text's words that the question does not already say."""
    tokens = set(tokenize(text))
    return len(tokens - asked_for.question_tokens) / len(tokens) if tokens else 0.0


def quote_worth(quote: Quote, asked_for: AskedFor) -> float:
    """How well a quote answers: its sentence's evidence, plus the bonus for a marked
    answer; a quote that restates the question is worth less than any that does not."""
    bonus = ANSWER_BONUS * quote.strength / 2 + HEADLINE_BONUS * echo(quote, asked_for)
    if asked_for.typed and quote.mark is None:
        bonus -= NO_ANSWER
    if novelty(quote.text, asked_for) <= RESTATES:
        bonus -= ANSWER_BONUS
    return quote.candidate.score + bonus


def echo(quote: Quote, asked_for: AskedFor) -> float:
    """Share of its headline's words, those the question does not say, that a news
    report's quote says too: a report's headline tells the news the question asks
    about ("First Republic Bank seized and sold to JP Morgan Chase"), and the sentence
    that says it again ("First Republic Bank has been sold off to JP Morgan Chase")
    answers, where one that only shares the question's words does not. For a question
    of a kind, only the headline's spans of that kind count: every report's lede says
    its own headline again, and an older report's lede ("At least 12 people have died",
    under "Floods ... kill 12") must not beat a newer report's figure for it. 0 for an
    undated page (an encyclopedia article's title names only its topic)."""
    record = quote.candidate.passage.article
    if not record.date:
        return 0.0
    if asked_for.typed:  # the headline's answers of the kind asked: "JP Morgan Chase", "12"
        named = " ".join(s.text for s in answer_spans(record.title, asked_for))
    else:  # "did she win": the headline's news ("Sarah McBride becomes first transgender ...")
        named = record.title
    headline = set(tokenize(named)) - asked_for.question_tokens
    return len(headline & set(tokenize(quote.text))) / len(headline) if headline else 0.0


Scores = Mapping[tuple[str, int], float]  # (article id, sentence start) -> evidence


def quote_around(
    asked_for: AskedFor,
    candidate: Candidate,
    around: tuple[Sentence | None, Sentence | None],
    max_chars: int,
    scores: Scores | None = None,
) -> Quote:
    """The sentence, or the sentence with the neighbour it needs (within `max_chars`):
    - the neighbour that names the asked-for answer more surely than the sentence does (of
      two, the stronger span, then the neighbour with more evidence of its own, `scores`);
    - the next sentence when it leans on this one ("She won this by only 129 votes."),
      the previous one when this one opens by leaning on it.
    """
    before, after = (None if s is None or _asks(s.text) else s for s in around)
    around = (before, after)
    alone = marked(Quote(candidate, candidate.text, candidate.start, candidate.end), asked_for)
    if asked_for.typed and alone.strength < STRONGEST:
        found = [(_weaker(q), n) for q, n in _with_neighbours(asked_for, candidate, around, max_chars)]
        found = [(q, n) for q, n in found if q.strength > alone.strength]
        if found:
            score = (scores or {}).get
            return max(found, key=lambda qn: (qn[0].strength, score(_key(candidate, qn[1]), 0.0)))[0]
    if after is not None and _LEANS.match(after.text):
        return marked(_joined(candidate, candidate.start, after.end, max_chars), asked_for)
    if before is not None and _LEANS.match(candidate.text):
        return marked(_joined(candidate, before.start, candidate.end, max_chars), asked_for)
    if not asked_for.typed and novelty(candidate.text, asked_for) <= RESTATES and after is not None:
        return marked(_joined(candidate, candidate.start, after.end, max_chars), asked_for)
    return alone


def _with_neighbours(
    asked_for: AskedFor, candidate: Candidate, around: tuple[Sentence | None, Sentence | None], max_chars: int
) -> list[tuple[Quote, Sentence]]:
    """The sentence joined to its next, then to its previous neighbour, each marked; when
    the two are too long to quote together and the sentence names nothing of the kind asked
    (names_none()), the neighbour alone if it names a span marked as the kind asked for, does
    not lean on the sentence ("She won by 129 votes" is not quoted without it) and meets the
    names the question pins down ("Separately, Jane Doe was charged in another fire" tells
    nothing of the Harlow Mill)."""
    before, after = around
    pairs = [(after, candidate.start, after.end)] if after is not None else []
    pairs += [(before, before.start, candidate.end)] if before is not None else []
    out = []
    for sentence, start, end in pairs:
        joined = marked(_joined(candidate, start, end, max_chars), asked_for)
        if (
            joined.end - joined.start < end - start
            and not _LEANS.match(sentence.text)
            and names_none(candidate, asked_for)
            and _names_met(sentence, asked_for)
        ):
            alone = marked(Quote(candidate, sentence.text, sentence.start, sentence.end), asked_for)
            joined = alone if alone.strength >= NEIGHBOUR_ALONE else joined
        out.append((joined, sentence))
    return out


def _names_met(sentence: Sentence, asked_for: AskedFor) -> bool:
    context = ContextWords.of(sentence.text)
    return all(met(name, context) for name in asked_for.names)


def names_none(candidate: Candidate, asked_for: AskedFor) -> bool:
    """Whether a news report's sentence names nothing of the kind the question wants: it
    tells the story around the answer ("Authorities have arrested a man accused of sparking
    the Palisades Fire" for "who got arrested for starting the palisades fire"; "Trump's
    lawsuit alleges the BBC defamed him" for "how much is trump suing the bbc for"), and a
    report names the answer in the next paragraph. However much of the question it says:
    the neighbour must still meet the question's names and name a span marked as its kind.
    Never for an undated page: an encyclopedia sentence holds its answer in words of no
    kind the rules see ("in force-free magnetic fields")."""
    if not candidate.passage.article.date:
        return False
    return not answer_spans(candidate.text, asked_for, candidate.passage.text)


def _asks(text: str) -> bool:
    """A question ("What happened?", a heading): it answers nothing, so it joins no quote."""
    return bool(_QUESTION.search(text))


def _weaker(quote: Quote) -> Quote:
    strength = max(1, quote.strength - JOINED) if quote.mark else 0
    return Quote(quote.candidate, quote.text, quote.start, quote.end, quote.mark, strength)


def _key(candidate: Candidate, sentence: Sentence) -> tuple[str, int]:
    return (candidate.passage.article.id, sentence.start)


def _near(text: str, start: int, end: int, asked_for: AskedFor) -> bool:
    """Whether a plain word of the question stands within a few words of the span ("office
    in London" for "where is OpenAI's office?", not "OpenAI, the San Francisco company")."""
    around = " ".join(text[:start].split()[-4:] + text[end:].split()[:2])
    return bool(set(tokenize(around)) & asked_for.plain)


def marked(quote: Quote, asked_for: AskedFor) -> Quote:
    """The quote with its strongest answer span marked: of equals, one beside a word of
    the question, then the first."""
    spans = answer_spans(quote.text, asked_for, quote.candidate.passage.text)
    if not spans:
        return quote
    record = quote.candidate.passage.article
    title = frozenset(tokenize(record.title)) if record.date else frozenset()  # a dated report's headline
    strengths = [min(STRONGEST, s.strength + TITLED) if _titled(s, title) else s.strength for s in spans]
    strength, best = max(
        zip(strengths, spans, strict=True),
        key=lambda sb: (sb[0], _near(quote.text, sb[1].start, sb[1].end, asked_for), -sb[1].start),
    )
    mark = (quote.start + best.start, quote.start + best.end)
    return Quote(quote.candidate, quote.text, quote.start, quote.end, mark, strength)


def _titled(span: Span, title: frozenset[str]) -> bool:
    """A span the headline names too: a news report's headline names its story's subject
    (an encyclopedia article's title names its topic, which the question names too)."""
    tokens = tokenize(span.text)
    return bool(tokens) and tokens[-1] in title


def _joined(candidate: Candidate, start: int, end: int, max_chars: int) -> Quote:
    p = candidate.passage
    text = p.text[start - p.start : end - p.start]
    if len(text) > max_chars:
        return Quote(candidate, candidate.text, candidate.start, candidate.end)
    return Quote(candidate, text, start, end)
