"""Wire copies and reposts share a story id, across ingest runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bot.settings import Settings
from ingest.fetching import FetchPolicy
from ingest.identity import neardup
from ingest.identity.neardup import StoryIndex
from ingest.pipeline import Ingestor
from ingest.sources import SourceOptions, iter_items
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder, canonical_model_name
from vectorstore.models import Article

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "news_time" / "articles.jsonl"
COPIES = {"tessaly-wire", "tessaly-herald", "tessaly-coastal", "tessaly-morning", "tessaly-business"}


def _articles() -> list[Article]:
    rows = [json.loads(line) for line in FIXTURE.open(encoding="utf-8")]
    return [Article(id=r["id"], title=r["title"], text=r["text"]) for r in rows]


def test_the_five_copies_are_one_story_and_nothing_else_is(tmp_path: Path) -> None:
    stored = StoryIndex(tmp_path / "stories.sqlite3").assign(_articles())
    stories = {a.id: a.story_id for a in stored}
    assert {stories[i] for i in COPIES} == {"tessaly-wire"}, "the first copy names the story"
    others = {i: s for i, s in stories.items() if i not in COPIES}
    assert others == {i: i for i in others}, "updates of a developing story and the 2025 plan are not copies"


def test_a_later_run_finds_copies_of_stored_articles(tmp_path: Path) -> None:
    path = tmp_path / "stories.sqlite3"
    articles = {a.id: a for a in _articles()}
    first = StoryIndex(path)
    first.assign([articles["tessaly-wire"], articles["norland-rates"]])
    first.close()

    later = StoryIndex(path)  # a new process: only the file is shared
    copy = articles["tessaly-coastal"]
    reposted = Article(id="repost", title="Water at last", text="Advertisement.\n\n" + copy.text)
    stored = later.assign([reposted, articles["kestrel-robot"]])
    assert [a.story_id for a in stored] == ["tessaly-wire", "kestrel-robot"]
    again = later.assign([articles["tessaly-wire"]])  # the story's first article, re-ingested
    assert again[0].story_id == "tessaly-wire"


def test_ingest_records_the_story_of_each_copy(settings: Settings, embedder: Embedder) -> None:
    store = ChromaStore(settings, canonical_model_name(settings.embedding_model))
    ingestor = Ingestor(store, embedder, stories=StoryIndex(settings.data_dir / "stories.sqlite3"))
    report = ingestor.run(iter_items([str(FIXTURE)], SourceOptions(fetch=FetchPolicy())))
    assert report.ok
    records = store.records()
    assert {records[i].story for i in COPIES} == {"tessaly-wire"}
    assert records["meloria-3"].story == "meloria-3"


def test_the_signatures_and_bands_are_datasketchs() -> None:
    """The MinHash computed with numpy gives datasketch's values (those stored by earlier
    versions), for every fixture text and the edge cases, and the bands MinHashLSH picks."""
    from datasketch import MinHash, MinHashLSH

    texts = [a.text for a in _articles()] + ["", "one", "one two three", "the the the the the"]
    for text in texts:
        grams = neardup.shingles(text)
        expected = MinHash(num_perm=neardup.NUM_PERM, seed=neardup.SEED)
        expected.update_batch(list(grams))
        assert np.array_equal(
            neardup.signature(text).hashes, np.asarray(expected.hashvalues, dtype=np.uint64)
        )
    lsh = MinHashLSH(threshold=neardup.LSH_THRESHOLD, num_perm=neardup.NUM_PERM)
    assert (lsh.b, lsh.r) == (neardup.BANDS, neardup.ROWS)
