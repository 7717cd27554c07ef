"""Articles as the newsroom reads them: headline, opening and lead sentence from the first
chunk in the host's rows (no text is held for the store; the lead is the answering
core's rule, overview.lead_of), and their events."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from bot.answering.news_time.overview import lead_of
from bot.newsroom.changes import Facts, figures_of
from bot.newsroom.events import WINDOW_DAYS, EventIndex, Indexed, Report, embed_reports, names_of, opening_of
from bot.newsroom.lexicon import outcomes_of
from bot.newsroom.messages import Card
from ingest.reading.formats import FeedEntry, headline_of
from vectorstore.models import ArticleRecord
from vectorstore.retrieval import Retriever
from vectorstore.sentences import split_sentences


@dataclass(frozen=True)
class Read:
    record: ArticleRecord
    opening: str
    lead: str

    @property
    def day(self) -> str:
        return day_of(self.record)

    @property
    def title(self) -> str:
        """Its title, or for one stored without (an id, a link, "untitled": entries stored
        before untitled entries were titled) its first sentence: never an internal id."""
        r = self.record
        if r.title and r.title not in (r.id, r.url, "untitled") and not _ADDRESS.match(r.title):
            return r.title
        return headline_of(self.opening) or r.source or "Untitled report"

    @property
    def card(self) -> Card:
        r, title = self.record, self.title
        return Card(article_id=r.id, title=title, url=r.url, source=r.source, date=r.date, lead=self.lead)

    @property
    def facts(self) -> Facts:
        said = f"{self.title}. {self.opening}"
        reported = without_credits(self.opening)
        names = frozenset(n for n in names_of(self.title, reported) if not n.startswith("^"))
        return Facts(figures_of(said), outcomes_of(said), names)

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.opening}"

    def draft(self) -> Report:
        r, title = self.record, self.title
        names = names_of(title, self.opening)
        empty = np.zeros(0, dtype=np.float32)
        return Report(r.id, self.day, title, self.opening, r.url, r.source, r.scope, r.story, names, empty)


_ADDRESS = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
_ASIDE = re.compile(r"\([^()]*\)")  # "(Northern Wire)", "(Reuters)"
_CREDIT = re.compile(r"^\W*(?:additional )?(?:reporting|editing|writing|written) by\b", re.IGNORECASE)


def without_credits(text: str) -> str:
    """A report's text without who wrote it: asides in brackets and "Reporting by ..."
    sentences (a copy's credit names an agency, not a fact of the story)."""
    sentences = split_sentences(_ASIDE.sub(" ", text))
    return " ".join(s.text for s in sentences if not _CREDIT.match(s.text))


def entry_card(entry: FeedEntry) -> Card:
    """A feed's entry, read from the feed alone (`/feeds test`, `/feeds preview`), as a
    message shows it: its title (or first sentence), link, outlet, date and lead."""
    draft = entry.draft
    opening = opening_of(without_credits(draft.text))
    title = draft.title or headline_of(draft.text) or "Untitled report"
    lead = lead_of(opening)[0] if opening else ""
    link, source = entry.link, draft.source
    return Card(article_id=link or title, title=title, url=link, source=source, date=draft.date, lead=lead)


def day_of(record: ArticleRecord) -> str:
    """An article's day: its date, else when it was first seen or stored."""
    return record.date or (record.first_seen or record.ingested_at or date.today().isoformat())[:10]


def read(retriever: Retriever, records: Iterable[ArticleRecord]) -> dict[str, Read]:
    records = list(records)
    chunks = retriever.openings(records)  # by article id
    out = {}
    for r in records:
        chunk = chunks.get(r.id)
        opening = opening_of(chunk.text) if chunk is not None else ""
        out[r.id] = Read(r, opening, lead_of(opening)[0] if opening else "")
    return out


def index(
    retriever: Retriever,
    events: EventIndex,
    wanted: Collection[ArticleRecord],
    every: Mapping[str, ArticleRecord],
    now: datetime,
) -> dict[str, Indexed]:
    """The events of `wanted`; those not indexed yet are indexed first, with the other
    unindexed articles dated within the story window of them (so that a story gathers
    its reports whatever order they were stored in)."""
    ids = [r.id for r in wanted]
    known = events.known(ids)
    missing = [r for r in wanted if r.id not in known]
    if missing:
        days = [day_of(r) for r in missing]
        low = (date.fromisoformat(min(days)) - timedelta(days=WINDOW_DAYS)).isoformat()
        high = (date.fromisoformat(max(days)) + timedelta(days=WINDOW_DAYS)).isoformat()
        near = {r.id: r for r in every.values() if low <= day_of(r) <= high}
        unknown = set(near) - set(events.known(list(near)))
        todo = {r.id: r for r in missing} | {i: near[i] for i in unknown}
        drafts = [x.draft() for x in read(retriever, todo.values()).values()]
        events.assign(embed_reports(retriever.embedder, drafts), now)
        known = events.known(ids)
    return known
