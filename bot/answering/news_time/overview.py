"""Overview answers: "what happened this week?", "summarize the news about spam".

Such a question gets a list, not one sentence: at most MAX_ITEMS stories, newest first,
one line each (title, date, lead sentence, citation), one line per story (wire copies
are cited under it). Without a topic they are the newest stories in the window (or in
the store); with one, the stories retrieval finds about it (a passage that holds one of
the topic's words, or whose closest sentence is at least TOPIC_SIMILARITY to it). The
whole list stays under MAX_CHARS, inside a Discord message or embed description.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.answering.models import Answer, Citation
from bot.answering.news_time.stories import collapse, short_date
from bot.answering.news_time.timeframe import TimeFrame, is_dated
from bot.answering.rules import clip
from vectorstore.chroma.metadata import StoredChunk
from vectorstore.furniture import furniture, line_is_furniture
from vectorstore.models import ArticleRecord, Passage
from vectorstore.retrieval import Filters, Retriever
from vectorstore.sentences import split_sentences

MAX_ITEMS = 6
MAX_CHARS = 1800
LEAD_CHARS = 200
MIN_LEAD_CHARS = 40  # a shorter first paragraph is a dateline or a byline, not the lead
TOPIC_SIMILARITY = 0.45
TOPIC_CANDIDATES = 30

_ASK = re.compile(
    r"^\s*(?:(?:so|and|ok|okay|hey|hi|please|can you|could you|would you)[, ]+)*"
    r"(?:(?:what(?:'s|’s| is| has| are)?\s+(?:been\s+)?"
    r"(?:happened|happening|going on|new|up|the news|in the news))"
    r"(?!\s+(?:to|when|after|before|during|if|between|that|then)\b)"
    r"|(?:(?:what(?:'s|’s| is| are)\s+)?(?:the\s+)?"
    r"(?:latest|top|recent|breaking|today's|today’s|main|big|biggest)\s+(?:news|headlines|stories|updates)"
    r"|what(?:'s|’s| is)\s+the\s+latest(?=\s+(?:on|about|with|from|in)\b|\s*[?.!]?\s*$))"
    r"|(?:tell|give|show)\s+me\s+(?:the\s+)?(?:latest\s+)?(?:news|headlines|stories)"
    r"|summari[sz]e|give me (?:a |an )?(?:summary|overview|rundown|roundup|round-up)"
    r"|(?:an? )?overview|catch me up|brief me|(?:any |the )?(?:latest )?(?:news|headlines|updates))\b",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(?:(?:of|on|about|for|from|regarding|with|in|at|around|me|us|up|the|all|any|latest|recent|"
    r"news|stories|articles|coverage|headlines|updates|events|there|been|has|have|world|today|"
    r"lately|these days|right now|now)\b[\s,]*)+",
    re.IGNORECASE,
)
_TAIL = re.compile(r"(?:\s+(?:today|lately|right now|these days|now))+\s*$", re.I)


def overview_topic(question: str) -> str | None:
    """The topic of an overview request ("" for none), or None for any other question."""
    m = _ASK.match(question)
    if m is None:
        return None
    rest = question[m.end() :].strip(" ?.!")
    return _TAIL.sub("", _FILLER.sub("", rest)).strip(" ,?.!")


def overview(
    question: str,
    topic: str,
    frame: TimeFrame,
    filters: Filters,
    retriever: Retriever,
) -> Answer:
    """The newest (or, with a topic, best-matching) stories in the window, newest first."""
    records = _about(topic, retriever, filters) if topic else _newest(retriever.records().values(), filters)
    chunks = retriever.openings(records)  # by article id
    items = [(r, lead) for r in records if (lead := _lead(chunks, r)) is not None][:MAX_ITEMS]
    if not items:
        where = f" about {topic}" if topic else ""
        when = f" dated {frame.label()}" if frame.window else ""
        return Answer(question, f"I have no articles{where}{when}.", True, "refused")
    return _listing(question, topic, frame, items)


def _newest(records: Iterable[ArticleRecord], filters: Filters) -> list[ArticleRecord]:
    admitted = sorted(
        (r for r in records if is_dated(r) and filters.admits(r)),
        key=lambda r: (r.date or "", r.id),
        reverse=True,
    )
    seen: set[str] = set()
    out = []
    for r in admitted:  # one line per story
        if r.story not in seen:
            seen.add(r.story)
            out.append(r)
        if len(out) >= MAX_ITEMS * 2:
            break
    return out


def _about(topic: str, retriever: Retriever, filters: Filters) -> list[ArticleRecord]:
    retrieval = retriever.retrieve(topic, k=TOPIC_CANDIDATES, filters=filters)
    relevant = [p for p in collapse(retrieval.passages) if _on_topic(p)]
    records = list({p.article.id: p.article for p in relevant}.values())[:MAX_ITEMS]
    return sorted(records, key=lambda r: r.date or "", reverse=True)


def _on_topic(passage: Passage) -> bool:
    return passage.lexical_rank is not None or (passage.dense_similarity or 0.0) >= TOPIC_SIMILARITY


def lead_of(opening: str, base: int = 0, furniture_at: frozenset[int] = frozenset()) -> tuple[str, int]:
    """The lead of an article's opening: its first real sentence (not a dateline, a byline
    or any other page furniture: vectorstore/furniture.py), at most LEAD_CHARS, and its
    offset; "" when the opening holds nothing but furniture. A sentence is furniture as
    stored (`furniture_at`: the starts of those the store flagged, read from the whole
    page), by its line in `opening`, or, when the opening was flattened into one line, by
    its own shape. The one rule for a lead: overviews and the newsroom's posts
    (bot/newsroom) use it."""
    sentences = split_sentences(opening, base=base)
    flags = [s.start in furniture_at for s in sentences]  # as stored, when the caller read them
    if "\n" in opening.strip():  # a flattened opening's one line is no page line
        page = furniture(opening, [(s.start, s.end) for s in sentences], base)
        flags = [a or b for a, b in zip(flags, page, strict=True)]
    reporting = [
        s for s, flag in zip(sentences, flags, strict=True) if not flag and not line_is_furniture(s.text)
    ]
    lead = next((s for s in reporting if len(s.text) >= MIN_LEAD_CHARS), reporting[0] if reporting else None)
    if lead is None:
        return "", base  # nothing but furniture
    return clip(" ".join(lead.text.split()), LEAD_CHARS), lead.start


def _lead(chunks: dict[str, StoredChunk], record: ArticleRecord) -> tuple[str, int] | None:
    """The article's lead and its offset, from its first chunk."""
    chunk = chunks.get(record.id)
    if chunk is None or not chunk.text.strip():
        return None
    lead = lead_of(chunk.text, chunk.start, chunk.furniture)
    return lead if lead[0] else None


def _listing(
    question: str, topic: str, frame: TimeFrame, items: list[tuple[ArticleRecord, tuple[str, int]]]
) -> Answer:
    about = f" about {topic}" if topic else ""
    when = f" dated {frame.label()}" if frame.window else ""
    lines: list[str] = []
    citations = []
    for number, (record, (lead, start)) in enumerate(items, start=1):
        day = short_date(record.date) if record.date else "undated"
        line = f"{number}. {record.title} ({day}): {lead} [{number}]"
        if sum(len(x) + 1 for x in lines) + len(line) > MAX_CHARS - 120:  # room for the heading
            break
        lines.append(line)
        citations.append(Citation.of(number, record, lead, start))
    heading = f"{len(lines)} stor{'y' if len(lines) == 1 else 'ies'}{about}{when}, newest first:"
    dates = [c.date for c in citations if c.date]
    return Answer(
        question=question,
        text="\n".join([heading, *lines]),
        refused=False,
        mode="overview",
        citations=citations,
        as_of=max(dates) if dates else None,
        evidence=1.0,
    )
