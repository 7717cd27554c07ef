"""A named story's summary: "what happened with X", "whats going on with X", "any news on X".

The reply is about that one story, in 2-4 sentences, each cited:

- The story's reports are the articles retrieval finds for X that name it: their headline
  or a sentence of theirs holds X's rarest word and most of X's words (IDF-weighted
  coverage, ON_STORY); a headline that holds X's rarest word names it with any sentence
  of its report that holds the rest: alone ("DC plane crash"), or with a sentence that
  names the place ("Bayesian super yacht sank" with "set off around Italy's southern
  coast"); a headline that holds part of X names it with a sentence that holds all the
  rest ("Power outage hits Chile" with "regions affected by the blackout"); every
  sentence of such a report is a candidate. X's words are read as news writing spells
  them (story_text.spelt: "Gov." a governor, "CA" California, "Canadian" Canada's); these
  rules are story_names.py.
  An article about something else that shares a word with X ("Liz Cheney" for "liz
  truss") names only part of it and is left out. When some of those reports name X in
  their headline and lead (nearly all of X's IDF mass there, HEADED), the story is theirs
  only: a report whose headline and lead are about something else mentions X in passing
  (a Mississippi jail escape for "that escaped prisoner in pennsylvania", a governor's
  speech to the UAW for "the uaw strike").
- The sentences are chosen among those reports' sentences (the ones that name X; every
  sentence of a report whose title names X) by salience: their centrality among each
  other (LexRank's degree centrality over the stored sentence vectors: what most of the
  coverage says) and their closeness to X, with no two saying the same thing (maximal
  marginal relevance). The news a report's headline announces gains (HEADLINE_GAIN, when
  that headline names X): the sentence that holds most of the headline's words beside X's
  tells what happened there ("songs stolen from tour bus in Brayford"), where the first
  sentence may be background ("the tour has been one of the busiest of the summer"). So do
  a report's lead (its first sentences, where a news report says what, where, who and how
  many) and figures and names; a quotation loses ("X said, “...”" as well as "“...,” X
  said"). The newest report's best sentence is always among them, so that the newest
  figure is told; a report dated after the first one is introduced with its date. Page
  furniture is never a candidate (vectorstore/furniture.py), nor a page's date stamp
  ("May 7, 2026 Updated May 8, 2026, 8:47 a.m. ET"), a live blog entry's head (its stamp,
  "Share this update", heading and byline run into its first sentence) or a link to
  another page ("Read more: ..."): story_text.py.
- A topic that is only a place, a single word or a name ("whats going on in haiti", "any
  news on the pope", "whats going on with eric adams": each of its words written with a
  capital wherever the reports hold it) names no one story: such a thing has many, and
  the member asks about the one of the moment. Its story is told from the reports of the
  RECENT_DAYS before the newest report that names it, retrieved again over those days so
  that retrieval's thirty passages are that story's.
- A word that stands for the story is not part of its name ("the ufo stuff", "the whole
  tiktok thing"), and a numeral names it as its figure does ("Artemis II" is "artemis 2").
- A word of X found in none of the retrieved passages is a misspelling ("the chinese
  baloon"): the passages' word nearest to it in spelling (quoting/spelling.near) stands for it.
- The sentences are told in the order they were reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from bot.answering.models import Answer, Citation
from bot.answering.news_time.stories import collapse, short_date
from bot.answering.news_time.story_names import headed, headline_share, naming_of, rarest_of, respelt, titled
from bot.answering.news_time.story_text import arabic, headline, tellable
from bot.answering.quoting.extractive import Candidate, rank_sentences
from bot.answering.quoting.places import TOKENS as PLACE_TOKENS
from bot.answering.quoting.places import kinds_of
from vectorstore.lexical import tokenize
from vectorstore.models import ArticleRecord
from vectorstore.retrieval import Filters, Retrieval, Retriever

STORY_CANDIDATES = 30  # passages retrieved for X
MAX_SENTENCES = 4
MIN_SENTENCES = 2
SENTENCE_CHARS = 280
MAX_CHARS = 1100  # the sentences told, inside one Discord message with room for the lead
LINK_SIMILARITY = 0.3  # LexRank's threshold: sentences closer than this support each other
SAME_THING = 0.8  # a sentence this close to one already told says it again
REDUNDANCY = 0.5  # MMR: how much closeness to what is already told costs
RELEVANCE = 0.5  # salience: centrality and closeness to X, weighed half and half
LEAD_SENTENCES = 2  # a report's first sentences, its lead
MIN_LEAD_CHARS = 40  # a shorter first sentence is a dateline or a byline
LEAD_GAIN = 0.15
HEADLINE_GAIN = 0.5  # times the share of its report's headline a sentence holds
FACT_GAIN = 0.08  # per figure or name, up to MAX_FACTS
MAX_FACTS = 4
QUOTE_COST = 0.2
# a figure, or a name inside the sentence (a capitalised word not after a full stop)
_FACT = re.compile(r"\d[\d,.]*|(?<=[a-z,;] )[A-Z][a-z]+")
_QUOTED = re.compile(
    r"^\W*[“\"‘']|[”\"’'],? (?:\w+ ){0,4}(?:said|says|told|wrote|added)\b"
    r"|\b(?:said|says|told \w+|wrote|added)[,:] [“\"‘]"
)

_STORY = re.compile(
    r"^\s*(?:(?:so|and|ok|okay|hey|hi|yo|please)[, ]+)*(?:"
    r"what\s+(?:has\s+)?happen(?:ed|ing)\s+(?:with|at|in|on|over|around)"
    r"|what(?:'s|’s|s|\s+is|\s+has\s+been)\s+(?:been\s+)?"
    r"(?:go(?:ing|in['’]?)\s+on|happening|the\s+deal|up|new|the\s+story|the\s+latest|the\s+news)\s+"
    r"(?:with|in|at|on|about|over|around|for)"
    r"|any\s+(?:news|updates?|word)\s+(?:on|about|with|from|for|regarding)"
    r"|(?:give\s+me\s+|i\s+want\s+)?(?:an?\s+)?(?:update|updates)\s+(?:on|about)"
    r"|catch\s+me\s+up\s+on|fill\s+me\s+in\s+on|tell\s+me\s+(?:what\s+happened\s+with|about\s+the\s+story\s+of)"
    r")\s+(?P<topic>.+?)[\s?.!]*$",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^(?:(?:the|a|an|all|this|that|these)\s+)+(?:(?:whole|entire)\s+)?", re.IGNORECASE)
# a word that stands for the story, not part of its name: "the ufo stuff", "the debt ceiling thing"
_FILLER = re.compile(r"\s+(?:stuff|things?|situation|drama|saga|mess)$", re.IGNORECASE)
# a numeral typed after a name ("artemis ii", "world war ii"); "xi" is a name ("xi jinping")
_TYPED_NUMERAL = re.compile(r"(?<=\w )(?!xi\b)[ivx]{2,4}\b")
MAX_TOPIC_WORDS = 8
RECENT_DAYS = 14  # a place's story of the moment: the reports this close to its newest


def story_topic(question: str) -> str | None:
    """The story a question asks about ("the ups plane crash"), or None for any other
    question: a longer phrase after "what happened with" is a question of its own."""
    m = _STORY.match(question)
    if m is None:
        return None
    topic = _FILLER.sub("", _LEADING.sub("", m.group("topic").strip(" ,")))
    topic = _TYPED_NUMERAL.sub(lambda n: arabic(n.group(0).upper()), topic)
    if not tokenize(topic) or len(topic.split()) > MAX_TOPIC_WORDS:
        return None
    return topic


@dataclass(frozen=True)
class Story:
    """The sentences a story's summary is chosen among, with each one's gain (its report's
    lead, its headline's news) and the query's vector; `many`: X has many stories, and
    these are the reports of the one of the moment."""

    pool: list[Candidate]
    gains: list[float]
    query: np.ndarray
    many: bool


def summary(
    question: str, topic: str, filters: Filters, retriever: Retriever, min_evidence: float
) -> Answer | None:
    """The story's summary, or None when no report names it well enough (the caller
    answers the question as any other). A thing with many stories is read again over the
    RECENT_DAYS before its newest report, so that the story of the moment is told whole:
    the reports are gathered (their leads read) once, from the last reading."""
    found = named(topic, filters, retriever, min_evidence)
    if (
        found is not None
        and found.many
        and (newest := max(filter(None, map(_day, found.pool)), default=None))
    ):
        since = (newest - timedelta(days=RECENT_DAYS)).isoformat()
        if filters.since is None or filters.since < since:
            recent = named(topic, replace(filters, since=since), retriever, min_evidence)
            found = replace(recent, many=True) if recent is not None else found
    if found is None:
        return None
    story = gather(topic, found, retriever)
    chosen = choose(story.pool, story.query, story.gains)
    return _told(question, sorted(chosen, key=lambda c: (c.passage.article.date or "", c.start)))


@dataclass(frozen=True)
class Named:
    """What retrieval finds for X: the sentences that name it (or stand in a report whose
    headline names it with one of them), X's words as the reports spell them, whether a
    text names X, and whether X has many stories (broad, or a proper name the reports
    tell many things of): decided once, on the first reading."""

    pool: list[Candidate]
    words: list[str]
    naming: Callable[[str], bool]
    retrieval: Retrieval
    many: bool


def named(topic: str, filters: Filters, retriever: Retriever, min_evidence: float) -> Named | None:
    """The sentences of the retrieved reports that name X, None when none does well enough."""
    retrieval = retriever.retrieve(topic, k=STORY_CANDIDATES, filters=filters)
    passages = collapse(retrieval.passages)
    ranked = rank_sentences(
        topic, retrieval.query_vector, passages, retriever.embedder, retrieval.idf, retrieval.sentences
    )
    words = respelt(tokenize(topic), passages)
    naming = naming_of(words, retrieval.idf)
    rarest = rarest_of(words, retrieval.idf)
    by_title = {c.passage.article.id for c in ranked if titled(c, words, naming, rarest, retrieval.idf)}
    pool = [c for c in ranked if (naming(c.text) or c.passage.article.id in by_title) and tellable(c)]
    if not pool or pool[0].score < min_evidence:
        return None
    return Named(pool, words, naming, retrieval, broad(topic) or proper_name(topic, [c.text for c in pool]))


def gather(topic: str, found: Named, retriever: Retriever) -> Story:
    """The reports about X (their headline and lead, HEADED) and the sentences of theirs to
    choose among, with their leads."""
    pool, words, idf = list(found.pool), found.words, found.retrieval.idf
    query = found.retrieval.query_vector
    openers = leads(topic, query, [c.passage.article for c in pool], retriever, idf)
    seen = {(c.passage.article.id, c.start) for c in pool}
    pool += [c for c in openers if (c.passage.article.id, c.start) not in seen]
    about = headed(words, pool, openers, idf)
    if about:
        pool = [c for c in pool if c.passage.article.id in about]
    if found.many:
        pool = recent(pool)
    lead_at = {(c.passage.article.id, c.start) for c in openers}
    gains = [
        LEAD_GAIN * ((c.passage.article.id, c.start) in lead_at)
        + HEADLINE_GAIN * found.naming(headline(c.passage.article.title)) * headline_share(c, words, idf)
        for c in pool
    ]
    return Story(pool, gains, query, found.many)


def leads(
    topic: str,
    query: np.ndarray,
    members: Sequence[ArticleRecord],
    retriever: Retriever,
    idf: Callable[[str], float],
) -> list[Candidate]:
    """The first LEAD_SENTENCES reporting sentences of each report: where a news article
    says what happened, where, who and how many."""
    records = list({r.id: r for r in members}.values())
    passages, stored = retriever.opening_passages(records)
    found = rank_sentences(topic, query, passages, retriever.embedder, idf, stored)
    out: list[Candidate] = []
    for record in records:
        own = sorted((c for c in found if c.passage.article.id == record.id), key=lambda c: c.start)
        out += [c for c in own if tellable(c) and len(c.text) >= MIN_LEAD_CHARS][:LEAD_SENTENCES]
    return out


def broad(topic: str) -> bool:
    """Whether a topic names a thing with many stories, not one of them: a place ("haiti",
    "south korea") or a single word ("the pope", "mpox", "maduro")."""
    words = tokenize(topic)
    if len(words) == 1:
        return True
    return bool(words) and all(w in PLACE_TOKENS for w in words) and bool(kinds_of(topic))


def proper_name(topic: str, texts: Sequence[str]) -> bool:
    """Whether X is somebody's or something's name: each of its words is written with a
    capital wherever the reports hold it ("eric adams", "jimmy kimmel")."""
    words = re.findall(r"[^\W\d_]+", topic)
    if not words:
        return False
    reported = " ".join(texts)
    for word in words:
        found = re.findall(rf"\b{re.escape(word)}\b", reported, re.IGNORECASE)
        if not found or any(not w[0].isupper() for w in found):
            return False
    return True


def recent(pool: Sequence[Candidate]) -> list[Candidate]:
    """The candidates of the reports dated within RECENT_DAYS of the newest (undated
    reports are kept only when none is dated)."""
    days = [_day(c) for c in pool]
    dated = [d for d in days if d is not None]
    if not dated:
        return list(pool)
    since = max(dated) - timedelta(days=RECENT_DAYS)
    return [c for c, d in zip(pool, days, strict=True) if d is not None and d >= since]


def _day(candidate: Candidate) -> date | None:
    try:
        return date.fromisoformat((candidate.passage.article.date or "")[:10])
    except ValueError:
        return None


def salience(pool: Sequence[Candidate], query: np.ndarray, gains: Sequence[float]) -> np.ndarray:
    """Each sentence's degree centrality among the pool (the share of the others it is
    within LINK_SIMILARITY of), mixed with its closeness to the question; `gains` (its
    report's lead, its headline's news) and the facts it states (figures, names) add, a
    quotation (what someone said, not what happened) and a question lose."""
    vectors = np.stack([c.vector for c in pool])
    similar = vectors @ vectors.T
    links = (similar >= LINK_SIMILARITY).sum(axis=1) - 1
    centrality = links / max(len(pool) - 1, 1)
    closeness = vectors @ query
    scores: np.ndarray = (1 - RELEVANCE) * centrality + RELEVANCE * closeness
    for i, c in enumerate(pool):
        facts = min(len(_FACT.findall(c.text)), MAX_FACTS)
        said = bool(_QUOTED.search(c.text)) or c.text.rstrip().endswith("?")
        scores[i] += gains[i] + FACT_GAIN * facts - QUOTE_COST * said
    return scores


def choose(pool: Sequence[Candidate], query: np.ndarray, gains: Sequence[float]) -> list[Candidate]:
    """2-4 salient sentences that say different things, the newest report's among them,
    within MAX_CHARS."""
    scores = salience(pool, query, gains)
    order = sorted(range(len(pool)), key=lambda i: -scores[i])
    chosen = [pool[order[0]]]
    newest = max(pool, key=lambda c: c.passage.article.date or "").passage.article.date
    if (chosen[0].passage.article.date or "") < (newest or ""):
        chosen.append(next(pool[i] for i in order if pool[i].passage.article.date == newest))
    while len(chosen) < MAX_SENTENCES:
        best, value = None, -1.0
        for i in order:
            c = pool[i]
            if any(c is x for x in chosen):
                continue
            closest = max(float(c.vector @ x.vector) for x in chosen)
            if closest >= SAME_THING:
                continue
            v = float(scores[i]) - REDUNDANCY * closest
            if v > value:
                best, value = c, v
        size = sum(min(len(c.text), SENTENCE_CHARS) + 6 for c in chosen)
        if best is None or (len(chosen) >= MIN_SENTENCES and size + len(best.text) > MAX_CHARS):
            break
        chosen.append(best)
    return chosen


def _told(question: str, chosen: Sequence[Candidate]) -> Answer:
    """The sentences, each cited, a later day's introduced with its date."""
    first_day = (chosen[0].passage.article.date or "")[:10]
    parts: list[str] = []
    citations: list[Citation] = []
    for number, c in enumerate(chosen, start=1):
        record = c.passage.article
        day = (record.date or "")[:10]
        citation = Citation.of(number, record, " ".join(c.text.split()), c.start, max_chars=SENTENCE_CHARS)
        parts.append(f"{f'On {short_date(day)}: ' if day > first_day else ''}{citation.quote} [{number}]")
        citations.append(citation)
    dates = [c.date for c in citations if c.date]
    return Answer(
        question=question,
        text=" ".join(parts),
        refused=False,
        mode="overview",
        citations=citations,
        as_of=max(dates) if dates else None,
        evidence=1.0,
    )
