"""Current by default: a question with no year and no time word ("who won the world
series", "what's the death toll") means now, the day it is asked.

- Of two answering articles close in evidence (within CLOSE_MARGIN), the one dated nearer
  the day asked is quoted (stories.prefer_newest; "latest"/"now" widen it to
  stories.RECENCY_MARGIN).
- A question about now (or about a window of relative words that runs to the day asked:
  "who won the masters this year", news.Plan.lately) is answered from a newer report when
  one answers it: a sentence of a newer report within NEWER_MARGIN of the best evidence,
  or the lead of a newer report on the same topic (its best retrieved sentence within
  LEAD_MARGIN of the best); of the newer reports that answer, the newest whose span is as
  strong as the best answer's. The best evidence is that of the best sentence that is no
  question: an article's heading ("How many people watched Super Bowl 57?") repeats the
  question's words and answers nothing.
  When the answer found is more than STALE_DAYS older than the day asked, the reports of
  the last STALE_DAYS are searched once more (the same query vector): a newer report
  seldom repeats the question's words and may rank below older ones that do. Their leads
  answer only with a span of the asked-for kind that the headline names too, or when the
  lead's evidence is within NEWER_MARGIN of the old answer's (as_well: "'Disclosure Day'
  ... came in at No. 1 at the domestic box office this weekend" for "whats number one at
  the box office", where a year-old report ranks a little higher). A question of a kind
  that asks what is now ("who's the prime minister now") searches the reports dated after
  the quoted one the same way, however recent it is; one that asks what comes next
  ("whens the next debate") takes any of their leads that names a span of the kind: the
  "next" an older report tells may be past on the day asked (after_window).
  When the newer report that answers does so with a weak span (not of the strongest
  kind), its other retrieved sentences within LEAD_MARGIN compete too (topic_sentences):
  a lead may set the scene ("The votes have been cast ...") and leave the answer ("X is
  hosting the 98th Academy Awards") to a later sentence. A sentence
  that denies what is asked ("have never won a Super Bowl") or tells the past (names only
  years before its report's) answers nothing here.
  A news report says what happened in its first sentences, in words of its own ("Griner
  has been released"), while an older report's sentence repeats the question's words
  ("Brittney Griner's release ... detained in Russia") and ranks above it.
- A figure of a question's outcome ("how many people have died?") is updated by the newer
  reports of the same story: a sentence of a report dated after the quoted one, whose
  headline shares SAME_HEADLINE of the quoted report's headline words, that
  states a form of the outcome and a figure the quote does not ("the death toll climbed
  to 71" after "the number of people killed ... has risen to 58") is quoted instead,
  however low its evidence: a later report words the toll its own way.
- A sentence that tells the past (every year it names is before its report's year) is not
  the answer to a question about now while another sentence over the refusal bar is.
- When the article quoted is more than STALE_DAYS older than the day asked, the reply
  says so before anything else: "The newest I have on this is from 12 March 2023: ...".
  An older season's, ceremony's or vote's result is then never read as the current one.
- A quote that does not report the outcome asked about (a preview, a final still to be
  played, a knockout round, the state before an end: outcome.unreported) is led by "The
  newest I have on this is from ..." however recent its report (a dated report only: an
  undated page has no date to name).

STALE_DAYS was measured on the tuning sets: the article that answers a RealTime QA 2022
quiz question is 3 days older than the quiz at the median, 14 at the 99th percentile and
50 at most but one (a year); the casual tuning set's stale questions are asked 138 days
or more after the newest report that answers them. 45 days lies between, a factor of
about three from each.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, timedelta

from bot.answering.models import Answer, Citation
from bot.answering.news_time.outcome import NEGATION, outcome_verb
from bot.answering.news_time.stories import figures
from bot.answering.news_time.timeframe import TimeFrame, is_dated
from bot.answering.quoting.answerability import asks
from bot.answering.quoting.choice import Quote
from bot.answering.quoting.extractive import Candidate
from vectorstore.lexical import tokenize
from vectorstore.models import ArticleRecord, parse_date
from vectorstore.retrieval import Filters

STALE_DAYS = 45
# Evidence within which the article dated nearer the day asked wins (bench/realtimeqa.py).
CLOSE_MARGIN = 0.05
# A newer report answers a question about now, rather than the best-matching older one,
# when its best sentence's evidence is within NEWER_MARGIN of the best (bench/casual.py's
# tuning set: the newer report with the current answer lay 0.02-0.07 under the older one;
# a newer report of another event, a game of the series asked about, 0.087 under).
NEWER_MARGIN = 0.08
# A newer report whose best retrieved sentence lies within LEAD_MARGIN of the best evidence
# is on the question's topic, and its lead may answer a question about now (bench/casual.py's
# tuning sets: the newer report with the current answer lay 0.05-0.23 under an older one
# that repeats the question's words; 0.28 for a year's Grammys).
LEAD_MARGIN = 0.3
# Share of the quoted report's headline words (figures left out) that a newer report's
# headline holds when it reports the same story ("Valdoria flood death toll rises to 58",
# "Valdoria floods: waters recede as the toll reaches 71": 3 of 5). Not IDF-weighted: in a
# store that holds mostly the story's reports its name is the commonest word.
SAME_HEADLINE = 0.5
STALE = "The newest I have on this is from {day}: "
# A word denied ("never won", "did not win", "hasn't won"): the word after the negation.
_DENIED = re.compile(
    r"\b(?:never|not|n[o']t|didn['’]t|hasn['’]t|haven['’]t|wasn['’]t|isn['’]t)\s+(?:yet\s+|been\s+)?(\w+)",
    re.I,
)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d(?:s|’s|'s)?\b")
# A day of the report's week ("on Tuesday", "Wednesday night", "this week", "today"), not
# a day named as a thing's ("Monday's draft"): what a sentence about now says.
_NEWS_DAY = re.compile(
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day(?!['’]s)|this week|today|yesterday|tonight)\b", re.I
)
# A question about what comes next: a report of some weeks ago may tell one already past
# (not "next to": where someone sat or stood).
_NEXT = re.compile(r"\bupcoming\b|\bnext\b(?!\s+to\b)", re.I)


def means_now(question: str, frame: TimeFrame) -> bool:
    """Whether a question asks about now: no time word (no window) and no year."""
    return not frame.window and not _YEAR.search(question)


def newer_reports(ranked: Sequence[Candidate], answering: Candidate, min_evidence: float) -> list[Candidate]:
    """The sentences of the reports dated after the one `answering` comes from (another
    story, not a copy) whose best sentence is within NEWER_MARGIN of the best evidence,
    in rank order: where a question about now is answered first (engine.py)."""
    record = answering.passage.article
    if not ranked or not is_dated(record):
        return []
    bar = max(min_evidence, best_evidence(ranked) - NEWER_MARGIN)
    newer = {
        c.passage.article.id
        for c in ranked
        if c.score >= bar and _after(c.passage.article, record) and c.passage.article.story != record.story
    }
    return [c for c in ranked if c.passage.article.id in newer]


def newer_figure(
    question: str, quoted: Candidate, ranked: Sequence[Candidate], story: Collection[str] = ()
) -> Candidate | None:
    """The newest sentence among `ranked` of a newer report of the quoted one's story that
    states a form of the question's outcome with a figure the quote lacks, when the quote
    states the outcome with a figure; else None. The story's reports are `story` (the
    articles of the conversation's story) when given, else those whose headline holds
    SAME_HEADLINE of the quoted report's headline words."""
    forms = outcome_verb(question)
    record = quoted.passage.article
    if forms is None or not is_dated(record) or not _states(forms, quoted.text):
        return None
    # the headline's words that name its story: not its figure (the old one), nor the outcome's
    # words, which any report of such an outcome shares ("death toll rises")
    headline = {w for w in tokenize(record.title) if not w[:1].isdigit() and w not in forms}
    had = set(figures(quoted.text))

    def same_story(other: ArticleRecord) -> bool:
        if story:
            return other.id in story
        shared = len(headline & set(tokenize(other.title)))
        return bool(headline) and shared >= SAME_HEADLINE * len(headline)

    found = [
        c
        for c in ranked
        if _after(c.passage.article, record)
        and c.passage.article.story != record.story
        and _states(forms, c.text)
        and set(figures(c.text)) - had
        and same_story(c.passage.article)
    ]
    return max(found, key=lambda c: ((c.passage.article.date or "")[:10], c.score), default=None)


def _states(forms: frozenset[str], text: str) -> bool:
    """Whether a sentence states an outcome with a figure."""
    return bool(forms & set(tokenize(text))) and bool(figures(text))


def denies(question: str, sentence: str) -> bool:
    """Whether a sentence denies what a question asks: a word of the question after a
    negation ("12 teams have never won a Super Bowl" for "who won the super bowl")."""
    if NEGATION.search(question):
        return False
    asked = set(tokenize(question))
    return any(set(tokenize(m.group(1))) & asked for m in _DENIED.finditer(sentence))


def history(candidate: Candidate) -> bool:
    """Whether a sentence tells the past, not its report's news: every year it names is
    before its report's year ("the Lions won four NFL championships (1935, 1952, 1953 and
    1957)" in a 2024 report)."""
    record = candidate.passage.article
    years = [int(y[:4]) for y in _YEAR.findall(candidate.text)]
    if not years or not is_dated(record) or not record.date:
        return False
    return max(years) < int(record.date[:4])


def untold_past(ranked: Sequence[Candidate], min_evidence: float) -> list[Candidate]:
    """The ranking without the sentences that tell the past (history: "The club last won
    the Premier League in the 2003-04 season" in a 2026 report) and say nothing of their
    report's days (_NEWS_DAY: "on Tuesday ... born on or after January 1, 2009" is news),
    when a sentence over the refusal bar remains; else `ranked` unchanged. What a question
    about now is answered from."""
    kept = [c for c in ranked if not history(c) or _NEWS_DAY.search(c.text)]
    return kept if kept and kept[0].score >= min_evidence else list(ranked)


def best_evidence(ranked: Sequence[Candidate]) -> float:
    """The best evidence of a sentence that may answer: an article's question ("How many
    people watched Super Bowl 57?", a heading) repeats the question's words and ranks
    first, but answers nothing, and the margins of newer reports are not measured from it."""
    return next((c.score for c in ranked if not asks(c.text)), ranked[0].score)


def on_topic(ranked: Sequence[Candidate], best: float, min_evidence: float) -> list[Candidate]:
    """The sentences within LEAD_MARGIN of the best evidence (and over the refusal bar)."""
    bar = max(min_evidence, best - LEAD_MARGIN)
    return [c for c in ranked if c.score >= bar]


def recent_window(filters: Filters | None, today: date) -> Filters:
    """`filters` narrowed to the reports of the last STALE_DAYS before the day asked."""
    base = filters or Filters()
    since = (today - timedelta(days=STALE_DAYS)).isoformat()
    return replace(base, since=max(since, parse_date(base.since) or since) if base.since else since)


def asks_next(question: str) -> bool:
    """Whether a question asks what comes next ("whens the next gop debate")."""
    return bool(_NEXT.search(question))


def asks_latest(question: str, frame: TimeFrame) -> bool:
    """Whether a question asks what comes next ("whens the next gop debate") or, with a
    word of recency, what is now ("who's the prime minister now")."""
    return frame.recency or asks_next(question)


def after_window(filters: Filters | None, record: ArticleRecord, today: date) -> Filters | None:
    """`filters` narrowed to the reports dated after `record` (up to the day asked), or None
    when it is dated the day asked or undated: nothing newer to search."""
    if not is_dated(record) or not record.date or record.date[:10] >= today.isoformat():
        return None
    base = filters or Filters()
    since = (date.fromisoformat(record.date[:10]) + timedelta(days=1)).isoformat()
    return replace(base, since=max(since, parse_date(base.since) or since) if base.since else since)


def newer_topic_reports(
    ranked: Sequence[Candidate], answering: Candidate, min_evidence: float
) -> list[ArticleRecord]:
    """The report `answering` comes from and those dated after it (another story, not a
    copy) that are on the question's topic: their best sentence within LEAD_MARGIN of the
    best evidence. Their leads are read for a question about now (engine.py)."""
    record = answering.passage.article
    if not ranked or not is_dated(record):
        return []
    found: dict[str, ArticleRecord] = {}
    for c in on_topic(ranked, best_evidence(ranked), min_evidence):
        article = c.passage.article
        if (_after(article, record) and article.story != record.story) or article.id == record.id:
            found.setdefault(article.id, article)
    return list(found.values())


def topic_sentences(
    ranked: Sequence[Candidate], reports: Collection[ArticleRecord], min_evidence: float
) -> list[Candidate]:
    """The retrieved sentences of `reports` within LEAD_MARGIN of the best evidence, in
    rank order: a newer report's lead often sets the scene ("The votes have been cast ...")
    and its answer ("X is hosting the 98th Academy Awards") is further down, ranked under
    an older report's sentence that repeats the question's words."""
    if not ranked:
        return []
    ids = {r.id for r in reports}
    return [c for c in on_topic(ranked, best_evidence(ranked), min_evidence) if c.passage.article.id in ids]


def surer(question: str, newer: Quote, quote: Quote) -> bool:
    """Whether a newer report's answer replaces a quote within a window the question names
    ("how much is a turkey this year"): the quote's report is of the time asked already, so
    only an answer with a stronger span does, or any when the quote denies what is asked
    ("McIlroy has never won the Masters")."""
    return newer.strength > quote.strength or denies(question, quote.text)


def as_well(old: Candidate) -> float:
    """The evidence at which a sentence answers about as well as `old`: within NEWER_MARGIN
    of it. A lead of the last weeks' reports that ranks so close to the old answer is about
    the same thing, whether or not its headline names the answer."""
    return old.score - NEWER_MARGIN


def newer_than(candidate: Candidate, than: Candidate) -> bool:
    """Whether a sentence's report is dated after another's."""
    return _after(candidate.passage.article, than.passage.article)


def _after(article: ArticleRecord, than: ArticleRecord) -> bool:
    return is_dated(article) and (article.date or "")[:10] > (than.date or "")[:10]


def long_ago(record: ArticleRecord, today: date) -> bool:
    """Whether an article is more than STALE_DAYS older than the day asked."""
    if not is_dated(record) or record.date is None:
        return False
    return (today - date.fromisoformat(record.date[:10])).days > STALE_DAYS


def stale_lead(record: ArticleRecord) -> str:
    """ "The newest I have on this is from 12 March 2023: " """
    day = date.fromisoformat((record.date or "")[:10])
    return STALE.format(day=f"{day.day} {day:%B %Y}")


def flagged_stale(answer: Answer, cited: Citation, lead: str, old: bool) -> Answer:
    """An answer whose first citation is old (`old`) or does not report the outcome asked
    about, led by what says so."""
    return replace(answer, text=f"{lead}{answer.text}", stale=cited.date, old=old)
