"""retrieve -> select sentences -> cite -> refuse? The core both doors share."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from bot.answering.errors import QuestionError
from bot.answering.generation.generative import Generator, PartialCallback
from bot.answering.models import Answer, Citation
from bot.answering.news_time.current import (
    after_window,
    as_well,
    asks_latest,
    asks_next,
    denies,
    flagged_stale,
    history,
    long_ago,
    newer_figure,
    newer_reports,
    newer_than,
    newer_topic_reports,
    recent_window,
    surer,
    topic_sentences,
    untold_past,
)
from bot.answering.news_time.news import NewsTime, Plan
from bot.answering.news_time.stories import collapse
from bot.answering.news_time.story import leads
from bot.answering.news_time.timeframe import Clock, as_of, utc_today
from bot.answering.quoting.answerability import SEARCH_DEPTH, describe, judge
from bot.answering.quoting.asked_for import what_is_asked
from bot.answering.quoting.choice import STRONGEST, Quote, marked, quote_worth
from bot.answering.quoting.extractive import Candidate, rank_sentences
from bot.answering.quoting.nearmiss import missing_lead, near_miss
from bot.answering.refusal import MIN_EVIDENCE
from bot.answering.rules import NOT_FOUND, Question, recent
from vectorstore.models import Passage
from vectorstore.retrieval import Filters, Retrieval, Retriever

log = logging.getLogger(__name__)

_FOLLOW_UP = re.compile(r"\b(it|its|they|them|their|he|she|his|her|this|that|there|then|those|these)\b", re.I)


@dataclass(frozen=True)
class AnswerOptions:
    top_k: int = 5
    min_evidence: float = MIN_EVIDENCE
    max_answer_chars: int = 300
    max_question_chars: int = 500
    answer_search_depth: int = SEARCH_DEPTH  # sentences tried for one meeting the anchors; 0: off


@dataclass(frozen=True)
class Asked:
    """A question as the passes read it: what to retrieve with, what to choose the
    sentence by, and their embeddings, made once per question."""

    query: str
    focus: str
    query_vector: np.ndarray
    focus_vector: np.ndarray


def standalone_question(question: str, history: Sequence[str]) -> str:
    """A cheap rewrite of a follow-up: add the previous question when this one leans on it."""
    if not history:
        return question
    words = question.split()
    if (
        len(words) <= 6
        or _FOLLOW_UP.search(question)
        or question.lower().startswith(("and ", "but ", "what about"))
    ):
        return f"{history[-1]} {question}"
    return question


class AnswerEngine:
    def __init__(
        self,
        retriever: Retriever,
        options: AnswerOptions,
        generator: Generator | None = None,
        clock: Clock = utc_today,
    ) -> None:
        self._retriever = retriever
        self._options = options
        self._generator = generator
        self.news = NewsTime(retriever, options.min_evidence, clock)  # time words, stories

    @property
    def generator(self) -> Generator | None:
        return self._generator

    def latest_news(self, topic: str, days: int | None, filters: Filters | None = None) -> Answer:
        """Discord's /news: the newest stories (about `topic`) of the last `days` days."""
        return self.news.latest(topic, days, filters)

    @property
    def retriever(self) -> Retriever:
        return self._retriever

    def check_question(self, question: str) -> Question:
        """The one check of a question (empty, too long), once per question: a Question
        that passed it is not checked again."""
        if isinstance(question, Question):
            return question
        question = " ".join(question.split())
        if not question:
            raise QuestionError("Ask a question, for example: where is OpenAI's first international office?")
        if len(question) > self._options.max_question_chars:
            raise QuestionError(
                f"That question is {len(question)} characters long; please keep it under "
                f"{self._options.max_question_chars}."
            )
        return Question(question)

    def answer(
        self,
        question: str,
        history: Sequence[str] = (),
        filters: Filters | None = None,
        k: int | None = None,
        on_partial: PartialCallback | None = None,
        asked_at: date | None = None,
        prefer: Collection[str] = (),
    ) -> Answer:
        """Answer from the articles. With an LLM, `on_partial` receives the text as it is
        generated (before verification); the returned Answer is the verified one. Time
        words are read as of `asked_at` (default: the clock's today). `prefer`: the
        articles the conversation is about (a story's thread): answered from them when
        they answer, however many questions the history keeps."""
        question = self.check_question(question)
        if asked_at is not None:  # the store as it was that day: nothing dated later
            filters = as_of(filters, asked_at)
        plan = self.news.plan(question, filters, self.news.today(asked_at))  # time words; overviews
        if plan.answer is not None:
            return plan.answer
        query, focus = self._standalone(plan.query, recent(history))
        asked = self._asked(query, focus)  # embedded once, however many passes
        if prefer:
            among = replace(plan.filters or Filters(), articles=frozenset(prefer))
            preferred = self._answer(question, asked, plan, among, k, on_partial, story=among.articles)
            if not preferred.refused:
                return preferred
        answer = self._answer(question, asked, plan, plan.filters, k, on_partial)
        if answer.refused and plan.fallback is not None:  # a soft window: look everywhere
            answer = self._answer(question, asked, plan, plan.fallback, k, on_partial)
        if answer.refused and plan.empty and answer.nearest is None:
            answer = replace(answer, text=f"I have no articles dated {plan.frame.label()}. {NOT_FOUND}")
        return answer

    def _asked(self, query: str, focus: str) -> Asked:
        vector = self._retriever.embed_query(query)
        return Asked(query, focus, vector, vector if focus == query else self._retriever.embed_query(focus))

    def _answer(
        self,
        question: str,
        asked: Asked,
        plan: Plan,
        filters: Filters | None,
        k: int | None,
        on_partial: PartialCallback | None,
        story: Collection[str] = (),
    ) -> Answer:
        """One pass: retrieve within `filters`, rank, judge, quote (or generate). `story`:
        the articles of the conversation's story, when the pass is among them."""
        focus = asked.focus
        retrieval, passages, ranked = self._candidates(asked, filters, k)
        sources = passages[: self._options.top_k]
        ranked = self.news.rank(ranked, plan)  # "latest": the newest answering sentence first
        if not ranked:
            return Answer(question, NOT_FOUND, True, "refused", passages=passages)
        evidence = ranked[0].score  # similarity and word overlap, as rules.EVIDENCE weighs them
        if evidence < self._options.min_evidence:
            log.debug("refusing %r: evidence %.3f < %.3f", question, evidence, self._options.min_evidence)
            return Answer(question, NOT_FOUND, True, "refused", evidence=evidence, passages=passages)
        o = self._options
        if plan.now:  # a question about now is not answered by a sentence about years before
            ranked = untold_past(ranked, o.min_evidence)
        judgement = judge(
            focus, ranked, o.min_evidence, o.max_answer_chars - 4, o.answer_search_depth, plan.frame.recency
        )
        if judgement.answer is None:  # on topic, but not what was asked: a near miss
            lead = missing_lead(describe(judgement.missing, focus))
            return near_miss(question, lead, judgement.nearest, evidence, passages, o.max_answer_chars)
        quote = self._current(asked, plan, filters, ranked, judgement.answer, retrieval.idf, story)
        record = quote.candidate.passage.article
        fallback = plan.fallback is not None and filters is plan.fallback
        outside = fallback or (plan.empty and not story)  # a soft window's time, answered from anywhere
        lead = self.news.stale_lead(record, plan, quote.text, outside)  # old, a preview, before the window
        old = bool(lead) and plan.day is not None and long_ago(record, plan.day)
        extractive = self._extractive(question, quote, evidence, passages, lead, old)
        if self._generator is None:
            return self.news.finish(extractive, ranked, plan, o.max_answer_chars)
        wording = focus if focus != plan.query else question  # the model's standalone rewrite of a follow-up
        answer = self._generator.answer(
            wording, sources, ranked, extractive, retrieval.idf, on_partial, judgement.anchors
        )
        if lead and answer.mode == "llm" and answer.citations:
            answer = flagged_stale(answer, answer.citations[0], lead, old)
        return self.news.finish(answer, ranked, plan, o.max_answer_chars)  # a later report; copies

    def _current(
        self,
        asked: Asked,
        plan: Plan,
        filters: Filters | None,
        ranked: list[Candidate],
        quote: Quote,
        idf: Callable[[str], float],
        story: Collection[str],
    ) -> Quote:
        """The quote as of now: a newer report that answers too, when the question is current
        by default; for a question about now, the story's newer figure and a later answer."""
        focus = asked.focus
        if plan.lately:  # current by default: a newer report that answers it too is quoted
            newest = self._newest_answer(asked, ranked, quote, idf)
            quote = newest if plan.now or surer(focus, newest, quote) else quote
        if plan.now:
            update = newer_figure(focus, quote.candidate, ranked, story)  # the story's newer figure
            if update is not None:
                quote = marked(Quote(update, update.text, update.start, update.end), what_is_asked(focus))
            quote = self._later_answer(asked, plan, filters, quote)
        return quote

    def _newest_answer(
        self, asked: Asked, ranked: list[Candidate], quote: Quote, idf: Callable[[str], float]
    ) -> Quote:
        """The answer among the reports newer than the quote's: their sentences close to
        the best (current.newer_reports) and the leads of those on the topic
        (current.newer_topic_reports), when one answers with a span of the kind the
        question wants (its report's other retrieved sentences on the topic compete with it
        unless it answers surely, with a span of STRONGEST strength:
        current.topic_sentences); else the lead of the quote's own report when it answers
        better than the quote (choice.quote_worth); else `quote`."""
        o = self._options
        focus, asked_for = asked.focus, what_is_asked(asked.focus)
        own = quote.candidate.passage.article.id
        reports = newer_topic_reports(ranked, quote.candidate, o.min_evidence)
        opening = leads(focus, asked.focus_vector, reports, self._retriever, idf) if reports else []
        newer = newer_reports(ranked, quote.candidate, o.min_evidence)
        seen = {(c.passage.article.id, c.start) for c in newer}
        later = [
            c for c in opening if c.passage.article.id != own and (c.passage.article.id, c.start) not in seen
        ]
        found = self._answering(focus, [*newer, *later])
        if found is not None and found.strength < STRONGEST:  # that report's other sentences too
            report = found.candidate.passage.article
            said = topic_sentences(ranked, [report], o.min_evidence)
            pool = {(c.passage.article.id, c.start): c for c in [*newer, *said, *later]}
            mine = [c for c in pool.values() if c.passage.article.id == report.id]
            return self._answering(focus, mine) or found
        if found is not None:
            return found
        lead = self._answering(focus, [c for c in opening if c.passage.article.id == own])
        if lead is not None and quote_worth(lead, asked_for) > quote_worth(quote, asked_for):
            return lead
        return quote

    def _later_answer(self, asked: Asked, plan: Plan, filters: Filters | None, quote: Quote) -> Quote:
        """The quote, or the answer of a report searched once more: of the last weeks
        (current.recent_window) when the quote's report is long ago; of the days after the
        quote's report (current.after_window) when a question of a kind asks what comes next
        or what is now ("whens the next debate", "who's prime minister now") and the quote's
        report is older than the day asked: the "next" it tells may be past (any lead that
        names a span of the kind answers), and a newer report may name someone new in words
        of its own (as surely as for a long ago answer)."""
        old, day = quote.candidate, plan.day
        record = old.passage.article
        if day is None:
            return quote
        if long_ago(record, day):
            return self._recent_answer(asked, recent_window(filters, day), old, as_well(old)) or quote
        latest = asks_latest(plan.query, plan.frame) and what_is_asked(asked.focus).typed
        after = after_window(filters, record, day) if latest else None
        if after is not None:  # what is now: as sure as the long ago's; the next: the old one is past
            sure = None if asks_next(plan.query) else as_well(old)
            return self._recent_answer(asked, after, old, sure) or quote
        return quote

    def _recent_answer(
        self, asked: Asked, window: Filters, old: Candidate, sure: float | None
    ) -> Quote | None:
        """The answer in the lead of a report in `window` that the search finds (a
        sentence over the refusal bar), when the lead meets the question's anchors and
        names a span of the kind the question wants, which for a question of a kind with
        `sure` the report's headline names too, or which answers about as well as the `old`
        sentence it would replace (current.as_well): a wider search than the first, so only
        an answer as sure as one of these counts."""
        o = self._options
        retrieval, _, ranked = self._candidates(asked, window, None)
        near = [c for c in ranked if c.score >= o.min_evidence]
        reports = list({c.passage.article.id: c.passage.article for c in near}.values())
        if not reports:
            return None
        opening = leads(asked.focus, asked.focus_vector, reports, self._retriever, retrieval.idf)
        return self._answering(asked.focus, opening, sure=sure)

    def _answering(self, focus: str, pool: list[Candidate], sure: float | None = None) -> Quote | None:
        """The answer among these sentences that marks a span of the kind the question
        wants (none that denies what is asked or tells the past: current.denies,
        current.history), if any: the one that answers best, unless a report dated after
        its own answers with a span as strong (current by default). `sure`: for a
        question of a typed kind, a span the report's headline names too
        (choice.STRONGEST), or a sentence of at least this evidence."""
        pool = sorted(
            (c for c in pool if not denies(focus, c.text) and not history(c)), key=lambda c: -c.score
        )
        if not pool:
            return None
        o = self._options
        again = judge(focus, pool, o.min_evidence, o.max_answer_chars - 4, o.answer_search_depth, newest=True)
        found, asked_for = again.answer, what_is_asked(focus)
        if found is None or (asked_for.typed and found.mark is None):
            return None
        unsure = sure is not None and found.strength < STRONGEST and found.candidate.score < sure
        if asked_for.typed and unsure:
            return None
        later = [c for c in pool if newer_than(c, found.candidate)]  # a newer report answers as surely
        newest = self._answering(focus, later, sure) if later else None
        return newest if newest is not None and newest.strength >= found.strength else found

    def _candidates(
        self, asked: Asked, filters: Filters | None, k: int | None
    ) -> tuple[Retrieval, list[Passage], list[Candidate]]:
        """Retrieve with the query (copies of one story take one slot) and rank the top
        passages' sentences for the focus."""
        depth = k or max(self._options.top_k, 10)
        retrieval = self._retriever.retrieve(asked.query, k=depth, filters=filters, vector=asked.query_vector)
        passages = collapse(retrieval.passages)
        sources = passages[: self._options.top_k]
        embedder = self._retriever.embedder
        focus = asked.focus
        ranked = rank_sentences(
            focus, asked.focus_vector, sources, embedder, retrieval.idf, retrieval.sentences
        )
        return retrieval, passages, ranked

    def _standalone(self, question: str, history: Sequence[str]) -> tuple[str, str]:
        """(what to retrieve with, what to choose the sentence by). An LLM rewrites a
        follow-up into a standalone question used for both; the cheap rewrite retrieves
        with the earlier question added but still chooses the sentence by the new one."""
        if history and self._generator is not None:
            rewritten = self._generator.rewrite(question, history)
            if rewritten != question:  # the question itself: unchanged, or the LLM failed
                return rewritten, rewritten
        return standalone_question(question, history), question

    def _extractive(
        self,
        question: str,
        quote: Quote,
        evidence: float,
        passages: list[Passage],
        lead: str = "",
        old: bool = False,
    ) -> Answer:
        record = quote.candidate.passage.article
        room = self._options.max_answer_chars - 4 - len(lead)
        citation = Citation.of(1, record, quote.text, quote.start, max_chars=room, mark=quote.mark)
        return Answer(
            question=question,
            text=f"{lead}{citation.quote} [1]",
            stale=record.date if lead else None,
            old=old,
            refused=False,
            mode="extractive",
            citations=[citation],
            as_of=record.date,
            evidence=evidence,
            passages=passages,
        )
