"""Which of the retrieved reports name a story X, by X's words (see story.py).

- A text names X when it holds X's rarest word and ON_STORY of X's IDF mass; a report's
  headline names X with one of its sentences when the headline holds X's rarest word and
  the two name X, or the headline holds part of X and the sentence all the rest ("Power
  outage hits Chile" with "regions affected by the blackout").
- A report is about X (not a mention in passing) when its headline and lead hold HEADED
  of X's IDF mass.
- Texts are read as news writing spells them (story_text.spelt, a headline with its
  postal codes: story_text.headline) and with their numerals
  as figures (story_text.arabic); a word of X found in none of the passages is a
  misspelling of the passages' word nearest to it in spelling.
- The share of its report's headline a sentence holds, X's own words aside, is how much
  of the headline's news it tells.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from bot.answering.news_time.story_text import arabic, headline, spelt
from bot.answering.quoting.extractive import Candidate
from bot.answering.quoting.spelling import near
from bot.answering.rules import coverage
from vectorstore.lexical import tokenize
from vectorstore.models import Passage

ON_STORY = 0.6  # share of X's IDF mass a sentence must hold (with X's rarest word) to name it
HEADED = 0.9  # share of X's IDF mass a report's headline and lead hold when it is about X


def respelt(words: Sequence[str], passages: Sequence[Passage]) -> list[str]:
    """X's words, each found in none of the passages (nor their headlines) replaced by the
    passages' most frequent word that is a near spelling of it, when there is one."""
    seen = Counter(t for p in passages for t in tokenize(spelt(f"{headline(p.article.title)} {p.text}")))
    out = []
    for word in words:
        if word not in seen:
            spellings = [w for w in seen if near(word, frozenset([w]))]
            word = max(spellings, key=lambda w: seen[w]) if spellings else word
        out.append(word)
    return out


def headed(
    words: Sequence[str], pool: Sequence[Candidate], openers: Sequence[Candidate], idf: Callable[[str], float]
) -> set[str]:
    """The reports of the pool whose headline and lead hold HEADED of X's IDF mass: the
    reports about X, not those that mention it."""
    heads = {c.passage.article.id: headline(c.passage.article.title) for c in pool}
    for c in openers:
        heads[c.passage.article.id] += " " + c.text
    return {a for a, text in heads.items() if coverage(words, arabic(spelt(text)), idf) >= HEADED}


def naming_of(topic_words: Sequence[str], idf: Callable[[str], float]) -> Callable[[str], bool]:
    """Whether a text names the story: X's rarest word and ON_STORY of X's words."""
    words = set(topic_words)
    rarest = rarest_of(topic_words, idf)

    def names(text: str) -> bool:
        text = arabic(spelt(text))
        return rarest in set(tokenize(text)) and coverage(words, text, idf) >= ON_STORY

    return names


def titled(
    candidate: Candidate,
    words: Sequence[str],
    naming: Callable[[str], bool],
    rarest: str,
    idf: Callable[[str], float],
) -> bool:
    """Whether a report's headline names X with one of its sentences: the headline holds X's
    rarest word and the two name X ("DC plane crash"), or the headline holds part of X and
    the sentence all the rest ("Power outage hits Chile" with "... affected by the blackout")."""
    title = arabic(spelt(headline(candidate.passage.article.title)))
    both = f"{title} {candidate.text}"
    if rarest in tokenize(title):
        return naming(both)
    return coverage(words, title, idf) > 0 and coverage(words, arabic(spelt(both)), idf) >= 1.0


def rarest_of(words: Sequence[str], idf: Callable[[str], float]) -> str:
    return max(set(words), key=idf)


def headline_share(candidate: Candidate, topic_words: Sequence[str], idf: Callable[[str], float]) -> float:
    """The share of its report's headline (X's own words aside: every report of X holds
    them) that a sentence holds, by IDF mass: the sentence that tells what the headline
    announces, the story's news in that report."""
    topic = set(topic_words)
    head = [w for w in tokenize(candidate.passage.article.title) if w not in topic]
    return coverage(head, candidate.text, idf)
