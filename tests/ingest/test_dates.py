"""Dates in every format news uses, datelines, and first-seen times."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console

from bot.cli_ingest import print_summary
from bot.settings import Settings
from ingest.fetching import FetchPolicy
from ingest.identity.dates import date_of, find_dateline, parse_date, with_first_seen
from ingest.pipeline import Ingestor
from ingest.reading.formats import parse_feed, parse_html, parse_markdown
from ingest.sources import SourceOptions, iter_items
from tests.ingest import hostile_inputs as hostile
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder, canonical_model_name
from vectorstore.models import Article, ArticleRecord

NEWS_TIME = Path(__file__).resolve().parent.parent / "fixtures" / "news_time"


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("December 10, 2004", "2004-12-10"),
        ("Wed, 28 Jun 2023 10:00:00 GMT", "2023-06-28"),
        ("Tue, 10 Jun 2003 04:00:00 +0100", "2003-06-10"),
        ("2023-06-28T23:30:00Z", "2023-06-28"),
        ("2023-06-28", "2023-06-28"),
        ("10 Dec 2004", "2004-12-10"),
        ("Dec. 3, 2004", "2004-12-03"),
        ("June 28th, 2023", "2023-06-28"),
        (datetime(2023, 6, 28, 10, tzinfo=UTC), "2023-06-28"),
        (date(2023, 6, 28), "2023-06-28"),
        (1687946400, "2023-06-28"),
    ],
)
def test_every_format_news_uses_becomes_an_iso_day(raw: object, iso: str) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize("raw", ["December 2004", "November 17", "2004", "yesterday", "", None, "no date 12"])
def test_a_value_that_names_no_day_is_not_guessed(raw: object) -> None:
    assert parse_date(raw) is None


def test_datelines_open_the_text_alone_or_after_a_place() -> None:
    assert find_dateline("December 13, 2004\n\nCAPE CANAVERAL, Florida - The first") == "2004-12-13"
    assert find_dateline("CAPE CANAVERAL, Florida, Dec. 13, 2004 - The first") == "2004-12-13"
    assert find_dateline("November 17, Brisbane, Australia - The team") is None  # no year
    assert find_dateline("Democracy Now! interviewed him on its December 12, 2004 show.") is None


def test_the_declared_date_wins_over_the_dateline() -> None:
    text = "March 19, 2026\n\nPORT AVEL - Waters recede."
    assert date_of("March 17, 2026", text).date == "2026-03-17"
    assert (date_of(None, text).date, date_of(None, text).source) == ("2026-03-19", "dateline")
    assert date_of(None, "No date here at all.").source is None


def test_front_matter_and_page_meta_dates() -> None:
    md = parse_markdown("---\ntitle: T\ndate: June 28, 2023\n---\nBody text of the article here.")
    assert parse_date(md.date) == "2023-06-28"
    page = (
        "<html><head><title>Plant opens</title>"
        '<meta property="article:published_time" content="2026-03-18T08:00:00+00:00"></head>'
        "<body><article><h1>Plant opens</h1><p>"
        + "The plant opened on Wednesday in the harbour. " * 8
        + "</p></article></body></html>"
    )
    assert parse_date(parse_html(page).date) == "2026-03-18"


def test_feed_dates_feedparser_cannot_read_are_read_too() -> None:
    item = "<item><title>{t}</title><link>https://x.example/{t}</link><pubDate>{d}</pubDate><description>Some text of the entry here.</description></item>"
    items = [("a", "Wed, 28 Jun 2023 10:00:00 GMT"), ("b", "28 June 2023, 10:00"), ("c", "June 29th, 2023")]
    body = "<?xml version='1.0'?><rss version='2.0'><channel><title>Site</title>{}</channel></rss>".format(
        "".join(item.format(t=t, d=d) for t, d in items)
    )
    assert [e.draft.date for e in parse_feed(body.encode())] == ["2023-06-28", "2023-06-28", "2023-06-29"]


def test_an_undated_article_keeps_its_first_seen_time_across_updates() -> None:
    now = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    article = Article(id="a", title="t", text="no date in this text")
    first = with_first_seen(article, None, now)
    assert (first.date, first.date_source, first.first_seen) == (
        None,
        "first_seen",
        "2026-03-20T09:00:00+00:00",
    )
    record = ArticleRecord(id="a", title="t", hash="h", n_chunks=1, first_seen="2026-01-02T00:00:00+00:00")
    assert with_first_seen(article, record, now).first_seen == "2026-01-02T00:00:00+00:00"
    dated = Article(id="b", title="t", text="x", date="2026-03-01", date_source="published")
    assert with_first_seen(dated, None, now) is dated


def test_ingest_stores_dates_with_their_source(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    undated = tmp_path / "undated.txt"
    undated.write_text("A short note without any date, long enough to be an article.", encoding="utf-8")
    store = ChromaStore(settings, canonical_model_name(settings.embedding_model))
    ingestor = Ingestor(store, embedder)
    options = SourceOptions(fetch=FetchPolicy())
    report = ingestor.run(iter_items([str(NEWS_TIME / "articles.jsonl"), str(undated)], options))
    assert report.ok
    records = store.records()
    assert (records["meloria-1"].date, records["meloria-1"].date_source) == ("2026-03-14", "published")
    assert (records["meloria-2"].date, records["meloria-2"].date_source) == ("2026-03-17", "published")
    assert (records["meloria-3"].date, records["meloria-3"].date_source) == ("2026-03-19", "dateline")
    note = next(r for r in records.values() if r.id.endswith("undated.txt"))
    assert note.date is None and note.date_source == "first_seen" and note.first_seen

    undated.write_text("A short note without any date, now changed, long enough to count.", encoding="utf-8")
    ingestor.run(iter_items([str(undated)], options))
    assert store.records([note.id])[note.id].first_seen == note.first_seen


def test_wikinews_dates_and_datelines_are_all_read() -> None:
    path = Path(__file__).resolve().parents[3] / "shared" / "eval" / "wikinews" / "articles.jsonl"
    if not path.exists():
        pytest.skip("../shared/eval is not beside this checkout")
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    sources = [date_of(r.get("date"), r["text"]).source for r in rows]
    assert sources.count("published") == sum(1 for r in rows if r.get("date")) == 27
    assert sources.count("dateline") == 13


def test_a_date_outside_1800_to_tomorrow_is_dropped_not_clamped() -> None:
    today = date(2026, 3, 20)
    text = "The council met on Tuesday to approve the budget."
    assert date_of("2026-03-21", text, today).date == "2026-03-21"  # a time zone ahead: tomorrow
    assert date_of("1800-01-01", text, today).date == "1800-01-01"
    for declared in ("2026-03-22", "1799-12-31", "9999-12-01", "-0001-01-01"):
        dated = date_of(declared, text, today)
        assert (dated.date, dated.source) == (None, None), declared
        assert dated.note and "before 1800 or in the future" in dated.note, declared
    dated = date_of("2999-01-01", "March 19, 2026\n\nPORT AVEL - Waters recede.", today)
    assert (dated.date, dated.source) == ("2026-03-19", "dateline") and dated.note  # the dateline's, noted


def test_impossible_feed_and_jsonl_dates_are_dropped_with_a_note(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.rss"
    feed.write_bytes(hostile.dated_feed("99999-99-99"))
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        json.dumps(
            {"id": "old", "title": "Old", "text": "The council met on Tuesday.", "date": "-0001-01-01"}
        )
        + "\n"
    )
    store = ChromaStore(settings, canonical_model_name(settings.embedding_model))
    report = Ingestor(store, embedder).run(
        iter_items([str(feed), str(rows)], SourceOptions(fetch=FetchPolicy()))
    )
    assert report.ok and [o.status for o in report.outcomes] == ["added", "added"]
    for outcome in report.outcomes:  # was stored as 9999-12-01 and 0001-01-01
        assert outcome.reason and "before 1800 or in the future" in outcome.reason, outcome
    assert {r.date for r in store.records().values()} == {None}
    shown = io.StringIO()
    print_summary(report, Console(file=shown, width=300))
    assert shown.getvalue().count("before 1800 or in the future") == 2  # the plain summary says so too
