"""One slot per story, and what a newer report says.

- Wire copies (one story id, ingest/identity/neardup.py) take one slot among the retrieved
  passages: the best-ranked copy stays, the others are cited as "also reported by"
  (several chunks of one article stay: they are not copies).
- A "latest" question answers from the newest of the articles that answer it about as
  well as the best one (within RECENCY_MARGIN of its evidence; stating a figure too when
  the best sentence states one).
- Developing stories: when a later article also answers the question (evidence over the
  refusal bar) with a figure the cited sentence does not have, the answer says so: "A
  later report, 19 Mar 2026, puts it at 186 [2]."
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.answering.models import AlsoReported, Answer, Citation
from bot.answering.news_time.timeframe import is_dated
from bot.answering.quoting.asked_for import words
from bot.answering.quoting.extractive import Candidate
from bot.answering.rules import clip
from vectorstore.lexical import tokenize
from vectorstore.models import ArticleRecord, Passage
from vectorstore.retrieval import Filters

# Evidence a newer sentence may lack and still answer a "latest" question (on the fixtures
# the newest update's sentence scored 0.14 under an older one's for "the latest death toll").
RECENCY_MARGIN = 0.15
# How alike (cosine of the sentence vectors) a later report's sentence and the cited one
# must be for the later figure to be read as the same quantity updated: unrelated figures
# of other articles on the topic were offered as updates before (bench/realtimeqa.py).
LATER_SIMILARITY = 0.6
MAX_ALSO = 5  # copies named under one citation
MIN_QUOTE = 80  # a quote cut shorter than this says too little to keep a note beside it
QUANTITY_WORDS = 3  # words read on each side of a figure for its unit, label and what it counts
_CURRENCY = frozenset("$€£¥")
_UNITS = words("% percent cents cent pence points point degrees miles kilometers km pounds kg tons feet")
_FIGURE = re.compile(r"(?<![\w.,:])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\w|[.,:]\d)")
_YEARLIKE = re.compile(r"(?:19|20)\d{2}")
_MONTH_WORD = re.compile(r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?", re.IGNORECASE)


def collapse(passages: Sequence[Passage]) -> list[Passage]:
    """The passages without those of a story's other copies: the best-ranked copy of each
    story keeps its place (and its other chunks); the rest are cited under it."""
    owner: dict[str, str] = {}  # story -> the article that stands for it
    out = []
    for p in passages:
        if owner.setdefault(p.article.story, p.article.id) == p.article.id:
            out.append(p)
    return out


class StoryMap:
    """The articles of every story with more than one copy, per records snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._for: Mapping[str, ArticleRecord] | None = None
        self._members: dict[str, list[ArticleRecord]] = {}

    def members(self, records: Mapping[str, ArticleRecord]) -> dict[str, list[ArticleRecord]]:
        with self._lock:
            if self._for is not records:
                groups: dict[str, list[ArticleRecord]] = {}
                for r in records.values():
                    groups.setdefault(r.story, []).append(r)
                self._members = {s: sorted(m, key=lambda r: r.id) for s, m in groups.items() if len(m) > 1}
                self._for = records
            return self._members

    def cite_copies(
        self, answer: Answer, records: Mapping[str, ArticleRecord], filters: Filters | None
    ) -> Answer:
        """Each citation with the other copies of its story that the filters admit."""
        members = self.members(records)
        if not members or not answer.citations:
            return answer
        cited = [_with_copies(c, records, members, filters) for c in answer.citations]
        return replace(answer, citations=cited)


def _with_copies(
    citation: Citation,
    records: Mapping[str, ArticleRecord],
    members: dict[str, list[ArticleRecord]],
    filters: Filters | None,
) -> Citation:
    record = records.get(citation.article_id)
    if record is None or record.story not in members:
        return citation
    others = [
        AlsoReported(r.id, r.title, r.url, r.source, r.date)
        for r in members[record.story]
        if r.id != record.id and (filters is None or filters.admits(r))
    ]
    return replace(citation, also_reported_by=tuple(others[:MAX_ALSO])) if others else citation


def prefer_newest(
    ranked: list[Candidate], min_evidence: float, margin: float = RECENCY_MARGIN
) -> list[Candidate]:
    """The newest dated sentence among those that answer about as well as the best (within
    `margin` of its evidence), moved first. An undated best answer is kept (no date to
    compare)."""
    if not ranked or not is_dated(ranked[0].passage.article):
        return ranked
    bar = max(min_evidence, ranked[0].score - margin)
    wants_figure = bool(figures(ranked[0].text))
    contenders = [
        c
        for c in ranked
        if c.score >= bar and is_dated(c.passage.article) and (figures(c.text) or not wants_figure)
    ]
    if not contenders:  # the best is below the evidence bar: nothing to prefer
        return ranked
    newest = max(contenders, key=lambda c: (c.passage.article.date or "", c.score))
    return [newest] + [c for c in ranked if c is not newest]


def figures(text: str) -> list[str]:
    """The numbers a sentence states ("186", "80,000", "3.5"), not years or days of a month."""
    return [m.group(0) for m in figure_matches(text)]


def figure_matches(text: str) -> list[re.Match[str]]:
    out = []
    for m in _FIGURE.finditer(text):
        beside = text[: m.start()].split()[-1:] + text[m.end() :].split()[:1]
        if _YEARLIKE.fullmatch(m.group(0)) or any(_MONTH_WORD.fullmatch(w.strip(",;:()")) for w in beside):
            continue
        out.append(m)
    return out


def updated_figures(best: str, later: str) -> list[str]:
    """The figures of `later` that give a new value of a quantity `best` states: the same
    unit ("$5.02" is not "86 cents"), not a label ("Flight 1282"), and said of the same
    thing: a word of both sentences other than what each figure counts ("killed at least
    40 people" and "people killed ... has reached 186"; not "regulators grounded 171 Avia 9
    jets" and "the carrier has 215 Avia 9 jets in its fleet")."""
    stated = [_quantity(best, m) for m in figure_matches(best)]
    out = []
    for m in figure_matches(later):
        if m.group(0) in {q.value for q in stated}:
            continue
        q = _quantity(later, m)
        if not q.label and any(
            q.unit == s.unit and (q.around - q.counted) & (s.around - s.counted) for s in stated
        ):
            out.append(m.group(0))
    return out


@dataclass(frozen=True)
class _Quantity:
    value: str
    unit: str  # "$", "%", "cents", ...: what the figure is in
    label: bool  # "Flight 1282", "Route 66": a name, not a quantity
    counted: frozenset[str]  # the words right after it
    around: frozenset[str]  # the sentence's other words


def _quantity(text: str, m: re.Match[str]) -> _Quantity:
    before, after = text[: m.start()].split()[-QUANTITY_WORDS:], text[m.end() :].split()[:QUANTITY_WORDS]
    first = after[0].lower().strip(",.;:()") if after else ""
    sign = text[max(0, m.start() - 1) : m.start()]
    unit = sign if sign in _CURRENCY else first if first in _UNITS else ""
    label = bool(before) and before[-1][:1].isupper() and before[-1].rstrip(".").isalpha() and not unit
    counted = frozenset(tokenize(" ".join(after[:3])))
    return _Quantity(m.group(0), unit, label, counted, frozenset(tokenize(text)) - counted)


def later_report(best: Candidate, ranked: Sequence[Candidate], min_evidence: float) -> Candidate | None:
    """The newest sentence of a later article (another story) that answers the question
    with a figure the best sentence does not state, and says much what it says
    (LATER_SIMILARITY)."""
    record = best.passage.article
    if not is_dated(record) or not figures(best.text):
        return None
    later = [
        c
        for c in ranked
        if c.score >= min_evidence
        and float(c.vector @ best.vector) >= LATER_SIMILARITY
        and is_dated(c.passage.article)
        and (c.passage.article.date or "") > (record.date or "")
        and c.passage.article.story != record.story
        and updated_figures(best.text, c.text)
    ]
    return max(later, key=lambda c: (c.passage.article.date or "", c.score), default=None)


def short_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day} {day:%b %Y}"


def with_later_report(answer: Answer, best: Candidate, later: Candidate, max_chars: int) -> Answer:
    """The answer with one more sentence and citation: what the later report puts it at.
    The reply stays within `max_chars`: the first quote is cut at a word to make room
    (the words that answer kept), else the note is left out."""
    record = later.passage.article
    number = len(answer.citations) + 1
    figure = updated_figures(best.text, later.text)[0]
    note = f"A later report, {short_date(record.date or '')}, puts it at {figure} [{number}]."
    text = f"{answer.text} {note}"
    first = answer.citations[0]
    if len(text) > max_chars:
        first = _cut(first, len(first.quote) - (len(text) - max_chars))
        if first is answer.citations[0]:
            return answer
        text = answer.text.replace(f"{answer.citations[0].quote} [1]", f"{first.quote} [1]", 1) + f" {note}"
        if len(text) > max_chars:
            return answer
    citation = Citation.of(number, record, later.text, later.start, max_chars=max_chars, updates=1)
    newest = max(d for d in (answer.as_of, record.date) if d)
    cited = [first, *answer.citations[1:], citation]
    return replace(answer, text=text, citations=cited, as_of=newest)


def _cut(citation: Citation, room: int) -> Citation:
    """The citation with its quote cut to `room` characters, when the words that answer
    stay whole; else the citation as it was."""
    quote = clip(citation.quote, room)
    kept = len(quote.rstrip("…"))
    if room < MIN_QUOTE or (citation.mark is not None and citation.mark[1] > kept):
        return citation
    return replace(citation, quote=quote, end=citation.start + kept)
