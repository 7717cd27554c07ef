"""One origin cannot replace another's article; an update replaces all metadata."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from bot.app import App
from bot.settings import Settings
from ingest.fetching import FetchPolicy
from ingest.identity.ids import derived_id
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from ingest.sources import SourceOptions, iter_items
from tests.helpers import Route, serving
from tests.ingest.hostile_inputs import GOOD_TEXT, jsonl_line
from tests.ingest.test_sources import ARTICLE_HTML
from vectorstore.embedding import Embedder
from vectorstore.inspection import chunks_of, query
from vectorstore.models import Article, date_to_ts

VICTIM = "https://newsdesk.example/2023/06/openai-london-office"
IMPOSTOR_HTML = f"""<html><head><title>Totally the real article</title>
<link rel="canonical" href="{VICTIM}"></head><body><article>
<p>OpenAI will not open an office in London, an impostor page says on Thursday.</p>
<p>This text claims the canonical address of another article to replace it.</p>
</article></body></html>"""


def test_a_page_claiming_another_articles_url_becomes_a_separate_article(
    settings: Settings, ingestor: Ingestor, samples: Path, tmp_path: Path
) -> None:
    run_ingest(settings, [str(samples)], ingestor=ingestor)
    before = App(settings).store.records()[VICTIM]
    page = tmp_path / "impostor.html"
    page.write_text(IMPOSTOR_HTML)

    report = run_ingest(settings, [str(page)], ingestor=ingestor)

    [outcome] = report.outcomes
    assert outcome.status == "added" and outcome.article_id != VICTIM
    assert outcome.article_id and outcome.article_id.startswith(VICTIM + "~")
    assert "another origin" in (outcome.reason or "")
    records = App(settings).store.records()
    assert records[VICTIM] == before, "the first article is untouched"
    again = run_ingest(settings, [str(page)], ingestor=ingestor)
    assert [o.status for o in again.outcomes] == ["unchanged"], "the impostor finds its own article again"


def test_a_jsonl_id_held_by_another_file_does_not_replace_it(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(jsonl_line("n-1") + "\n")
    second.write_text(jsonl_line("n-1", "A different story about a harbour and its new bridge.") + "\n")

    run_ingest(settings, [str(first)], ingestor=ingestor)
    report = run_ingest(settings, [str(second)], ingestor=ingestor)

    records = App(settings).store.records()
    assert report.count("added") == 1 and len(records) == 2
    own = chunks_of(App(settings).store, "n-1")
    assert own and all("council" in c.text for c in own), "first.jsonl's n-1 is unchanged"
    first.write_text(jsonl_line("n-1", GOOD_TEXT + " Updated.") + "\n")
    assert run_ingest(settings, [str(first)], ingestor=ingestor).count("updated") == 1


def _linkless_feed(site: str) -> bytes:
    items = "".join(
        f"<item><title>Headline {i}</title><guid isPermaLink='false'></guid>"
        f"<description>{site} reports story {i}: {GOOD_TEXT}</description></item>"
        for i in range(5)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{site}</title>{items}</channel></rss>'.encode()


def test_feed_entries_without_links_are_named_by_their_feed_not_their_title(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    one, two = tmp_path / "one.rss", tmp_path / "two.rss"
    one.write_bytes(_linkless_feed("One"))
    two.write_bytes(_linkless_feed("Two"))

    run_ingest(settings, [str(one)], ingestor=ingestor)
    report = run_ingest(settings, [str(two)], ingestor=ingestor)

    assert report.count("added") == 5 and report.count("updated") == 0
    records = App(settings).store.records()
    assert len(records) == 10 and not any(r.startswith("Headline") for r in records)
    assert sum(r.source == "One" for r in records.values()) == 5


def test_discord_servers_cannot_replace_each_others_or_a_global_article(
    settings: Settings, embedder: Embedder, samples: Path
) -> None:
    app = App(settings, embedder=embedder)
    run_ingest(settings, [str(samples)], ingestor=app.ingestor)
    global_before = app.store.records()[VICTIM]

    first = app.intake.ingest_upload("impostor.html", IMPOSTOR_HTML.encode(), "111")
    second = app.intake.ingest_upload("impostor.html", IMPOSTOR_HTML.encode(), "222")
    again = app.intake.ingest_upload("impostor.html", IMPOSTOR_HTML.encode(), "111")

    records = App(settings).store.records()
    assert records[VICTIM] == global_before
    ids = {first.outcomes[0].article_id, second.outcomes[0].article_id}
    assert len(ids) == 2 and VICTIM not in ids
    assert {records[i].scope for i in ids if i} == {"111", "222"}
    assert again.outcomes[0].status == "unchanged" and again.outcomes[0].article_id in ids


def test_an_update_replaces_all_metadata(
    settings: Settings, ingestor: Ingestor, embedder: Embedder, tmp_path: Path
) -> None:
    doc = tmp_path / "budget.md"
    doc.write_text(
        "---\ntitle: Budget\ndate: 2021-03-04\nurl: https://a.example/budget\n"
        "author: A. Writer\nsource: Old Wire\n---\n" + GOOD_TEXT
    )
    run_ingest(settings, [str(doc)], ingestor=ingestor)
    doc.write_text("---\ntitle: Budget\nurl: https://a.example/budget\n---\n" + GOOD_TEXT)

    report = run_ingest(settings, [str(doc)], ingestor=ingestor)  # text and title unchanged

    assert [o.status for o in report.outcomes] == ["updated"]
    store = App(settings).store
    record = store.records()["https://a.example/budget"]
    assert (record.date, record.author, record.source) == (None, None, None)
    vector = embedder.embed(["budget parks library"])[0]
    assert query(store, vector, 5, where={"date_ts": {"$gte": date_to_ts("2021-01-01") or 0}}) == []
    assert query(store, vector, 5, where={"source": "Old Wire"}) == []


def test_a_fetched_page_cannot_claim_another_hosts_canonical_url() -> None:
    with serving({"/news/flood": Route(ARTICLE_HTML.encode())}) as server:
        items = list(iter_items([server.url("/news/flood")], SourceOptions(fetch=FetchPolicy(timeout_s=5))))
    [article] = items
    assert isinstance(article, Article)
    assert article.id == article.url == server.url("/news/flood")  # not https://times.example/...
    assert article.origin == "site:127.0.0.1"


def test_a_predictable_derived_id_held_by_a_third_origin_is_refused_not_replaced(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    """The derived id is a digest anyone can compute: a third file that takes it first
    keeps it, and the second claimant of `n-1` is refused with a reason."""
    first, second, third = (tmp_path / f"{n}.jsonl" for n in ("first", "second", "third"))
    first.write_text(jsonl_line("n-1") + "\n")
    run_ingest(settings, [str(first)], ingestor=ingestor)
    second.write_text(jsonl_line("n-1", "A different story about a harbour and its new bridge.") + "\n")
    probe = Article(id="n-1", title="t", text="x", origin=f"file:{second.resolve()}")
    third.write_text(jsonl_line(derived_id(probe), "A third story about a tram line and its depot.") + "\n")
    assert run_ingest(settings, [str(third)], ingestor=ingestor).count("added") == 1

    report = run_ingest(settings, [str(second)], ingestor=ingestor)

    [outcome] = report.outcomes
    assert outcome.status == "failed" and "others' articles" in (outcome.reason or "")
    held = chunks_of(App(settings).store, derived_id(probe))
    assert held and all("tram" in c.text for c in held), "the third file's article is unchanged"


MOVED_ARTICLES = [
    {
        "id": "https://news.example/2024/03/tram-line-opens",
        "url": "https://news.example/2024/03/tram-line-opens",
        "date": "2024-03-04",
        "title": "The east tram line opens on Saturday",
        "text": "The east tram line opens to passengers on Saturday, the city's transport board said on "
        "Monday. Trams will run every six minutes between the harbour and the university. The line "
        "cost 410 million euros and took four years to build. Tickets bought for buses are valid "
        "on the trams.",
    },
    {
        "id": "https://news.example/2024/03/harbour-bridge-closed",
        "url": "https://news.example/2024/03/harbour-bridge-closed",
        "date": "2024-03-05",
        "title": "Harbour bridge closed after a ship hits a pillar",
        "text": "The harbour bridge was closed on Tuesday after a cargo ship struck one of its pillars "
        "in fog. Nobody was hurt, the coast guard said. Engineers will inspect the pillar before "
        "the bridge reopens, which could take two weeks. Drivers are told to use the ring road.",
    },
    {
        "id": "https://news.example/2024/03/library-sundays",
        "url": "https://news.example/2024/03/library-sundays",
        "date": "2024-03-06",
        "title": "Central library to open on Sundays",
        "text": "The central library will open on Sundays from April, the council decided on "
        "Wednesday. The change costs 300,000 euros a year and adds twelve staff. The library "
        "was last open on Sundays in 2011, before budget cuts closed it at weekends.",
    },
]


def test_the_same_articles_from_a_moved_file_change_nothing(
    settings: Settings, ingestor: Ingestor, embedder: Embedder, tmp_path: Path
) -> None:
    """A file of articles copied or moved elsewhere (an upgrade's re-ingest, a store and its
    inputs copied to another directory) holds the same articles: nothing is embedded again,
    no second copy is stored under a derived id, and the answers stay the same."""
    lines = "".join(json.dumps(a) + "\n" for a in MOVED_ARTICLES)
    first, moved = tmp_path / "feeds" / "articles.jsonl", tmp_path / "copy" / "articles.jsonl"
    for path in (first, moved):
        path.parent.mkdir()
        path.write_text(lines)
    question = "when does the east tram line open?"
    assert run_ingest(settings, [str(first)], ingestor=ingestor).count("added") == 3
    records = App(settings).store.records()
    answer = App(settings, embedder=embedder).engine.answer(question, asked_at=date(2024, 3, 7))

    report = run_ingest(settings, [str(moved)], ingestor=ingestor)

    assert [o.status for o in report.outcomes] == ["unchanged"] * 3 and report.chunks_embedded == 0
    assert App(settings).store.records() == records, "no article added, none re-stored"
    again = App(settings, embedder=embedder).engine.answer(question, asked_at=date(2024, 3, 7))
    assert "Saturday" in answer.text and again.text == answer.text
    assert [c.article_id for c in again.citations] == [c.article_id for c in answer.citations]
    changed = moved.read_text().replace("every six minutes", "every eight minutes")
    moved.write_text(changed)
    update = run_ingest(settings, [str(moved)], ingestor=ingestor)
    assert update.count("added") == 1, "a changed text from the other file is its own article"
    assert App(settings).store.records()[MOVED_ARTICLES[0]["id"]] == records[MOVED_ARTICLES[0]["id"]]

    moved.write_text(lines)  # the other file holds the first's articles again: its copy goes
    assert run_ingest(settings, [str(moved)], ingestor=ingestor).count("unchanged") == 3
    assert App(settings).store.records() == records
    copy = Article(id=MOVED_ARTICLES[0]["id"], title="", text="", origin=f"file:{moved.resolve()}")
    assert chunks_of(App(settings).store, derived_id(copy)) == [], "nor its chunks"
