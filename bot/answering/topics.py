"""Does a new article match a topic a member follows ("Valdoria floods")?

The same retrieval and evidence check as a question: the topic is retrieved with (the
articles it may match among the passages), each article's best sentence is ranked as an
answer's would be (similarity and IDF-weighted overlap, rules.EVIDENCE) and must reach
the refusal bar (MIN_EVIDENCE), and what the topic pins down (anchors.py: names, numbers,
years, quoted phrases) must be met by the passage or the title. A topic is not a
question: every word of it counts as a name would (met by the passage or the title, in
any inflection), so "Valdoria floods" matches neither a new bridge in Valdoria nor floods
in Rivermouth.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.answering.quoting.anchors import Anchor, ContextWords, Kind, anchors_of, unmet
from bot.answering.quoting.extractive import Candidate, rank_sentences
from vectorstore.lexical import tokenize
from vectorstore.retrieval import Filters, Retriever

CANDIDATES = 30  # passages retrieved for a topic


@dataclass(frozen=True)
class TopicMatch:
    article_id: str
    quote: str  # the sentence that matched
    evidence: float


def topic_anchors(topic: str) -> list[Anchor]:
    """What an article must meet: the topic's anchors (read as if inside a question, so
    that its first word may be a name) and each of its words."""
    words = [Anchor(Kind.NAME, t, frozenset({t})) for t in dict.fromkeys(tokenize(topic))]
    return anchors_of(f"about {topic}") + words


class TopicMatcher:
    def __init__(self, retriever: Retriever, min_evidence: float) -> None:
        self._retriever = retriever
        self._min_evidence = min_evidence

    def match(self, topic: str, article_ids: Collection[str], filters: Filters) -> dict[str, TopicMatch]:
        """The articles among `article_ids` that the topic matches, with their sentence."""
        wanted = set(article_ids)
        retrieval = self._retriever.retrieve(topic, k=CANDIDATES, filters=filters)
        passages = [p for p in retrieval.passages if p.article.id in wanted]
        if not passages:
            return {}
        embedder = self._retriever.embedder
        vector = retrieval.query_vector
        ranked = rank_sentences(topic, vector, passages, embedder, retrieval.idf, retrieval.sentences)
        anchors = topic_anchors(topic)
        best: dict[str, Candidate] = {}
        for candidate in ranked:
            best.setdefault(candidate.passage.article.id, candidate)
        return {
            article_id: TopicMatch(article_id, c.text, c.score)
            for article_id, c in best.items()
            if c.score >= self._min_evidence and self._meets(c, anchors)
        }

    @staticmethod
    def _meets(candidate: Candidate, anchors: list[Anchor]) -> bool:
        passage = candidate.passage
        context = f"{passage.article.title} {passage.text}"
        return not unmet(anchors, ContextWords.of(context, candidate.text))
