"""The LLM path: prompt with numbered sources, verify every sentence, fall back to the
extractive answer when the LLM fails or nothing it wrote is supported."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.answering.generation.llm import ChatBackend, answer_messages, rewrite_question, text_of
from bot.answering.generation.verify import SourceSentence, Verification, verify
from bot.answering.models import Answer, Citation
from bot.answering.quoting.anchors import Anchor
from bot.answering.quoting.answerability import describe, unmet, window
from bot.answering.quoting.extractive import Candidate
from bot.answering.quoting.nearmiss import NOT_IN_SOURCES, missing_lead
from bot.answering.rules import clip
from vectorstore.embedding import Embedder
from vectorstore.models import Passage

log = logging.getLogger(__name__)

UNAVAILABLE = "The language model is unavailable right now, so this is a quote from the article."
UNSUPPORTED = "The generated answer was not supported by the articles, so this is a quote instead."

PartialCallback = Callable[[str], None]
# The model's way of saying the sources do not answer (the prompt asks for the first form).
_NOT_IN_SOURCES = re.compile(
    r"not in the sources|(?:sources|articles) (?:do|does) not (?:say|mention|state|answer)|"
    r"\b(?:i )?(?:do not|don't|cannot|can't) (?:know|find|tell)\b|no information",
    re.I,
)


class Generator:
    def __init__(
        self, backend: ChatBackend, embedder: Embedder, support_threshold: float, max_chars: int
    ) -> None:
        self._backend = backend
        self._embedder = embedder
        self._threshold = support_threshold
        self._max_chars = max_chars

    @property
    def backend(self) -> ChatBackend:
        return self._backend

    def _complete(
        self, question: str, passages: Sequence[Passage], on_partial: PartialCallback | None
    ) -> str:
        messages = answer_messages(question, passages)
        if on_partial is None:
            return text_of(self._backend.model.invoke(messages))
        text = ""
        for chunk in self._backend.model.stream(messages):
            text += text_of(chunk, strip=False)
            on_partial(text)
        return text.strip()

    def rewrite(self, question: str, history: Sequence[str]) -> str:
        """A follow-up rewritten by the model into a standalone question (the question
        itself when the model fails)."""
        return rewrite_question(self._backend.model, question, history)

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        ranked: Sequence[Candidate],
        extractive: Answer,
        idf: Callable[[str], float],
        on_partial: PartialCallback | None = None,
        anchors: Sequence[Anchor] = (),
    ) -> Answer:
        """The verified LLM answer; the extractive one when the LLM fails or nothing it wrote
        is supported; a near miss (refused, the extractive quote as `nearest`) when the model
        says the sources do not answer or its answer does not meet the question's anchors."""
        try:
            reply = self._complete(question, passages, on_partial)
        except Exception as exc:  # timeouts, refused connections, 401, 429, bad output...
            log.warning(
                "LLM %s failed (%s: %s); answering extractively", self._backend.name, type(exc).__name__, exc
            )
            return replace(extractive, mode="fallback", note=UNAVAILABLE)
        if _NOT_IN_SOURCES.search(reply):
            return _near_miss(extractive, NOT_IN_SOURCES)
        sources = [
            SourceSentence(passages.index(c.passage) + 1, c.text, c.start, c.end, c.vector)
            for c in ranked
            if c.passage in passages
        ]
        checked = verify(reply, passages, sources, self._embedder, idf, self._threshold)
        if not checked.kept:
            log.info("LLM answer unsupported (%d sentence(s) dropped); falling back", len(checked.dropped))
            return replace(extractive, mode="fallback", note=UNSUPPORTED)
        context = " ".join(window(passages[v.source - 1], v.quote.text, v.quote.start) for v in checked.kept)
        said = " ".join(v.text for v in checked.kept)
        missing = unmet(anchors, f"{context} {said}", said)
        if missing:
            log.info("LLM answer misses %s; a near miss", [a.text for a in missing])
            return _near_miss(extractive, missing_lead(describe(missing, question)))
        return self._compose(extractive, checked, passages)

    def _compose(self, extractive: Answer, checked: Verification, passages: Sequence[Passage]) -> Answer:
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for v in checked.kept:
            if v.source not in numbers:
                numbers[v.source] = len(numbers) + 1
                record = passages[v.source - 1].article
                q = v.quote
                citations.append(Citation.of(numbers[v.source], record, q.text, q.start, end=q.end))
            parts.append(_cite(v.text, numbers[v.source]))
        text = clip(" ".join(parts), self._max_chars)
        dates = [c.date for c in citations if c.date]
        note = f"{len(checked.dropped)} unsupported sentence(s) removed." if checked.dropped else None
        return replace(
            extractive,
            text=text,
            mode="llm",
            citations=citations,
            as_of=max(dates) if dates else None,
            note=note,
        )


def _near_miss(extractive: Answer, lead: str) -> Answer:
    """Refused, quoting the sentence the extractive path would have given, as `nearest`."""
    nearest = extractive.citations[0]
    return replace(
        extractive,
        text=f"{lead} {nearest.quote} [1]",
        refused=True,
        mode="refused",
        citations=[],
        as_of=None,
        nearest=nearest,
    )


def _cite(sentence: str, number: int) -> str:
    """'... in London.' -> '... in London [1].'"""
    body = sentence.rstrip()
    end = ""
    while body and body[-1] in ".!?":
        end = body[-1] + end
        body = body[:-1]
    return f"{body.rstrip()} [{number}]{end}"
