"""The newsroom's fixtures: hand-written reports of fictional events (tests/fixtures/newsroom,
each labelled with its event), and feeds of them served by a real HTTP server on
127.0.0.1: an RSS document per outlet whose entries link to article pages."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

import numpy as np

from bot.newsroom.db import NewsroomDB, newsroom_path
from bot.newsroom.events import EventIndex, embed_reports, names_of, opening_of
from bot.newsroom.events import Report as EventReport
from tests.helpers import LocalServer, Route
from vectorstore.embedding import Embedder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "newsroom"


@dataclass(frozen=True)
class Report:
    id: str
    url: str
    title: str
    text: str
    date: str
    source: str
    event: str
    kind: str  # first | copy | update (as written)

    @property
    def key(self) -> str:
        """`slug@Source`, e.g. arven-floods@Coastal Times."""
        return f"{self.id.rsplit('/', 1)[-1]}@{self.source}"


def load(name: str = "reports.jsonl") -> list[Report]:
    with (FIXTURES / name).open(encoding="utf-8") as f:
        return [Report(**json.loads(line)) for line in f if line.strip()]


def by_key(reports: list[Report]) -> dict[str, Report]:
    return {r.key: r for r in reports}


def pairwise(gold: dict[str, str], predicted: dict[str, str]) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping (article -> event) against the truth."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(gold), 2):
        same, said = gold[a] == gold[b], predicted[a] == predicted[b]
        tp += same and said
        fp += said and not same
        fn += same and not said
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def page(report: Report) -> bytes:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in report.text.split("\n\n"))
    return (
        f"<html><head><title>{escape(report.title)}</title></head>"
        f"<body><article><h1>{escape(report.title)}</h1>{paragraphs}</article></body></html>"
    ).encode()


def rss(title: str, items: list[tuple[Report, str]], sources: bool = False) -> bytes:
    """An RSS document: each (report, its page's URL) an entry, newest first; `sources`:
    an aggregator's, each entry naming its outlet (`<source>`)."""
    entries = []
    for report, link in sorted(items, key=lambda x: x[0].date, reverse=True):
        day = date.fromisoformat(report.date)
        published = format_datetime(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
        source = f'<source url="{escape(report.url)}">{escape(report.source)}</source>' if sources else ""
        entries.append(
            f"<item><title>{escape(report.title)}</title><link>{escape(link)}</link>"
            f"<guid>{escape(link)}</guid><pubDate>{published}</pubDate>{source}"
            f"<description>{escape(report.text)}</description></item>"
        )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://{title.lower().replace(' ', '')}.example/</link>{''.join(entries)}</channel></rss>"
    ).encode()


class Feeds:
    """Feeds of reports on a LocalServer: `serve("Coastal Times", [...])` (again to change one)."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server

    def path_of(self, report: Report) -> str:
        return "/a/" + hashlib.sha1(report.key.encode()).hexdigest()[:12]

    def link(self, report: Report) -> str:
        return self.server.url(self.path_of(report))

    def serve(self, outlet: str, reports: list[Report], sources: bool = False) -> str:
        """`sources`: an aggregator's feed, its entries naming their outlets."""
        for report in reports:
            self.server.routes[self.path_of(report)] = Route(page(report))
        path = f"/feeds/{outlet.lower().replace(' ', '-')}.xml"
        body = rss(outlet, [(r, self.link(r)) for r in reports], sources)
        self.server.routes[path] = Route(body, "application/rss+xml")
        return self.server.url(path)


def as_seen(reports: list[Report], embedder: Embedder) -> list[EventReport]:
    """The reports as the story grouping sees them: headline and opening embedded, names
    found; no wire-copy ids (each its own story id: the similarity alone decides)."""
    drafts = []
    for r in reports:
        opening = opening_of(r.text)
        names = names_of(r.title, opening)
        empty = np.zeros(0, dtype=np.float32)
        drafts.append(
            EventReport(r.key, r.date, r.title, opening, r.url, r.source, "global", r.key, names, empty)
        )
    return embed_reports(embedder, drafts)


def grouping(reports: list[Report], embedder: Embedder, data_dir: Path) -> dict[str, str]:
    """Each report's event as the newsroom's story grouping assigns it (in order of date),
    by report key."""
    index = EventIndex(NewsroomDB(newsroom_path(data_dir)))
    return {i.report.article_id: i.event_id for i in index.assign(as_seen(reports, embedder))}
