from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answering.factory import open_store
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from vectorstore.embedding import Embedder
from vectorstore.lexical import LexicalIndex, tokenize
from vectorstore.metadata import StoredChunk
from vectorstore.models import Article, Chunk
from vectorstore.retrieval import Filters, Retriever
from vectorstore.store import ChromaStore


def _retriever(settings: Settings, embedder: Embedder) -> Retriever:
    return Retriever(open_store(settings), embedder, settings.data_dir / "cache")


def _write(folder: Path, name: str, title: str, date: str, source: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(f"---\ntitle: {title}\ndate: {date}\nsource: {source}\n---\n{body}\n")


@pytest.fixture
def corpus(tmp_path: Path, settings: Settings, ingestor: Ingestor) -> Path:
    folder = tmp_path / "corpus"
    _write(
        folder,
        "a.md",
        "Port strike ends",
        "2024-01-10",
        "wire",
        "Dock workers ended their strike at the port on Monday after a deal on pay.",
    )
    _write(
        folder,
        "b.md",
        "Port strike begins",
        "2023-05-02",
        "local",
        "Dock workers at the port walked out on Tuesday in a dispute over pay.",
    )
    _write(
        folder,
        "c.md",
        "New tram model",
        "2024-03-01",
        "wire",
        "The city ordered forty trams of the model XK-4471 from a factory in Spain.",
    )
    assert run_ingest(settings, [str(folder)], ingestor=ingestor).count("added") == 3
    return folder


def test_hybrid_search_finds_rare_exact_terms(corpus: Path, settings: Settings, embedder: Embedder) -> None:
    top = _retriever(settings, embedder).retrieve("XK-4471", k=3).passages[0]
    assert top.article.title == "New tram model" and top.lexical_rank == 0


def test_filters_by_source_and_date(corpus: Path, settings: Settings, embedder: Embedder) -> None:
    retriever = _retriever(settings, embedder)
    question = "dock workers strike at the port"
    assert {p.article.title for p in retriever.retrieve(question, 5).passages} >= {
        "Port strike ends",
        "Port strike begins",
    }
    local = retriever.retrieve(question, 5, Filters(sources=("local",))).passages
    assert [p.article.title for p in local] == ["Port strike begins"]
    recent = retriever.retrieve(question, 5, Filters(since="2024-01-01")).passages
    assert {p.article.title for p in recent} == {"Port strike ends", "New tram model"}
    old = retriever.retrieve(question, 5, Filters(until="2023-12-31")).passages
    assert [p.article.title for p in old] == ["Port strike begins"]
    with pytest.raises(ValueError, match="date like"):
        Filters(since="last week")


@pytest.mark.parametrize("broad", [0.0, 1.01], ids=["filtered-after-search", "chroma-where"])
def test_both_filter_strategies_admit_the_same_chunks(
    corpus: Path, settings: Settings, embedder: Embedder, broad: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filter that admits most of the store is applied after an unfiltered search (with
    more neighbours); a selective one by Chroma. Either way the same chunks come back."""
    import vectorstore.retrieval

    question = "dock workers strike at the port"
    unfiltered = _retriever(settings, embedder).retrieve(question, 5)
    monkeypatch.setattr(vectorstore.retrieval, "BROAD_FILTER", broad)
    retriever = _retriever(settings, embedder)
    for filters, titles in [
        (Filters(sources=("wire",)), {"Port strike ends", "New tram model"}),
        (Filters(until="2023-12-31"), {"Port strike begins"}),
        (Filters(scopes=("global",)), {"Port strike ends", "Port strike begins", "New tram model"}),
        (Filters(scopes=("123",)), set()),
    ]:
        passages = retriever.retrieve(question, 5, filters).passages
        assert {p.article.title for p in passages} == titles, filters
        expected = [p.chunk_id for p in unfiltered.passages if filters.admits(p.article)]
        assert [p.chunk_id for p in passages] == expected, filters
        assert all(p.dense_rank is not None for p in passages), "the dense side found them too"


def test_lexical_index_follows_updates_and_deletes(
    corpus: Path, settings: Settings, embedder: Embedder, ingestor: Ingestor
) -> None:
    retriever = _retriever(settings, embedder)  # a long-lived reader, like the bot
    assert retriever.retrieve("XK-4471", 1).passages[0].article.title == "New tram model"

    _write(
        corpus,
        "c.md",
        "New tram model",
        "2024-03-01",
        "wire",
        "The city ordered forty trams of the model ZQ-9000 from a factory in Spain.",
    )
    run_ingest(settings, [str(corpus)], ingestor=ingestor)

    hits = retriever.retrieve("XK-4471", 3).passages
    assert all("XK-4471" not in p.text for p in hits), "the old version is gone from both indexes"
    assert retriever.retrieve("ZQ-9000", 1).passages[0].lexical_rank == 0

    tram = next(r for r in retriever.records().values() if r.title == "New tram model")
    open_store(settings).delete_article(tram.id)
    assert all(p.article.id != tram.id for p in retriever.retrieve("ZQ-9000 trams", 5).passages)


def test_a_restarted_reader_loads_its_snapshot_from_the_cache_unless_the_manifest_moved(
    corpus: Path, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _retriever(settings, embedder).retrieve("XK-4471", 3)
    store = open_store(settings)
    reads: list[int] = []
    original = ChromaStore.iter_chunks

    def counting(self: ChromaStore) -> Iterator[StoredChunk]:
        reads.append(1)
        yield from original(self)

    monkeypatch.setattr(ChromaStore, "iter_chunks", counting)
    again = _retriever(settings, embedder).retrieve("XK-4471", 3)  # a new process, same generation
    assert reads == [], "chunks came from the cache"
    assert [p.chunk_id for p in again.passages] == [p.chunk_id for p in first.passages]
    assert again.passages[0].text == first.passages[0].text

    # A cache from before chunks were cached (BM25 only): the chunks come from the store,
    # and the BM25 index, which still matches them, is kept.
    for stale in (settings.data_dir / "cache").glob("lexical-*/chunks.json"):
        stale.unlink()
    builds: list[int] = []
    original_build = LexicalIndex.build.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        LexicalIndex, "build", classmethod(lambda cls, *a: builds.append(1) or original_build(cls, *a))
    )
    assert [p.chunk_id for p in _retriever(settings, embedder).retrieve("XK-4471", 3).passages] == [
        p.chunk_id for p in first.passages
    ]
    assert reads == [1] and builds == [], "chunks read back, BM25 reused"
    assert list((settings.data_dir / "cache").glob("lexical-*/chunks.json")), "and cached again"

    # A run that flipped an article and died before bumping the generation: the cache no
    # longer matches the manifest, so the reader goes back to the store.
    tram = next(r for r in store.records().values() if r.title == "New tram model")
    text = "The city ordered trams of the model QQ-1234 instead."
    store.write_article(
        Article(id=tram.id, title=tram.title, text=text),
        [Chunk(tram.id, 0, text, 0, len(text))],
        embedder.embed([text]),
    )
    fresh = _retriever(settings, embedder).retrieve("QQ-1234", 1)
    assert reads == [1, 1] and builds == [1] and fresh.passages[0].article.id == tram.id


def test_lexical_index_round_trips_through_disk(tmp_path: Path) -> None:
    index = LexicalIndex.build(["a", "b"], ["Cats purr on sofas.", "Dogs bark at the postman."])
    index.save(tmp_path / "ix")
    loaded = LexicalIndex.load(tmp_path / "ix")
    assert loaded is not None and loaded.ids == ["a", "b"]
    assert [i for i, _ in loaded.search("barking dogs", 2)] == [1]
    postman = tokenize("postman")[0]
    assert loaded.idf(postman) == index.idf(postman)
    assert loaded.idf(postman) < loaded.idf("never-seen"), "rarer words weigh more"


def test_dense_ranks_chunks_by_their_closest_sentence(
    corpus: Path, settings: Settings, embedder: Embedder
) -> None:
    retriever = _retriever(settings, embedder)
    result = retriever.retrieve("which factory builds the new trams?", k=3)
    top = result.passages[0]
    stored = retriever.store.sentences_of([top.chunk_id])[top.chunk_id]
    best = max(float(v @ result.query_vector) for _, _, v in stored)
    assert top.article.title == "New tram model" and top.dense_similarity == pytest.approx(best, abs=1e-4)


def test_stores_without_sentence_vectors_still_search_whole_chunks(
    settings: Settings, embedder: Embedder
) -> None:
    from vectorstore.models import Article, Chunk

    store = open_store(settings)
    text = "The marina will add two hundred berths for sailing boats next summer."
    article = Article(id="old-1", title="Marina", text=text)
    store.write_article(article, [Chunk("old-1", 0, text, 0, len(text))], embedder.embed([text]))
    store.bump_generation()
    [passage] = _retriever(settings, embedder).retrieve("how many berths will the marina add?", 3).passages
    assert passage.article.id == "old-1" and passage.dense_rank == 0


def test_sentence_vectors_are_looked_up_by_id_with_the_same_result(
    corpus: Path, settings: Settings, embedder: Embedder
) -> None:
    retriever = _retriever(settings, embedder)
    passages = retriever.retrieve("dock workers strike", 3).passages
    ids = [p.chunk_id for p in passages]
    by_filter = retriever.store.sentences_of(ids)
    by_id = retriever.sentences_of(ids)
    assert all(by_id[c] for c in ids)
    for c in ids:
        assert [(s, e) for s, e, _ in by_id[c]] == [(s, e) for s, e, _ in by_filter[c]]
