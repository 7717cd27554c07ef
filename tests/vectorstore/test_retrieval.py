from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection

from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from vectorstore.chroma.metadata import chunk_id
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder
from vectorstore.inspection import article_ids, collections, host_rows, records_since, write_seq
from vectorstore.lexical import tokenize
from vectorstore.models import ArticleRecord
from vectorstore.replica.bm25 import LiveBM25
from vectorstore.replica.passages import PassageRow
from vectorstore.replica.rows import ChunkRows
from vectorstore.retrieval import Filters, Retriever


def _retriever(settings: Settings, embedder: Embedder) -> Retriever:
    return Retriever(App(settings).store, embedder)


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


@pytest.mark.parametrize("exact_limit", [0, 10**9], ids=["filtered-after-search", "exact-among-admitted"])
def test_both_filter_strategies_admit_the_same_chunks(
    corpus: Path, settings: Settings, embedder: Embedder, exact_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filter that admits many chunks is applied after a search of the chunk index (with
    more neighbours); a selective one compares every chunk it admits (dense.py). Either way
    the same chunks come back."""
    import vectorstore.retrieval.retriever

    question = "dock workers strike at the port"
    unfiltered = _retriever(settings, embedder).retrieve(question, 5)
    monkeypatch.setattr(vectorstore.retrieval.retriever, "EXACT_LIMIT", exact_limit)
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


def test_a_small_store_is_compared_whole_and_ranked_as_the_chunk_index_ranks_it(
    corpus: Path, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to SMALL_STORE chunks, a question without filters compares every chunk's vector
    and never searches the chunk index (nor imports usearch); the index ranks them the same."""
    import vectorstore.retrieval.retriever
    from vectorstore.replica.chunk_index import ChunkIndex

    questions = ["dock workers strike at the port", "How many trams did the city order?", "XK-4471"]
    via_index = []
    with monkeypatch.context() as patch:
        patch.setattr(vectorstore.retrieval.retriever, "SMALL_STORE", 0)
        retriever = _retriever(settings, embedder)
        via_index = [retriever.retrieve(q, 5).passages for q in questions]

    def unused(*_: object) -> None:
        raise AssertionError("a store of three chunks searched the chunk index")

    monkeypatch.setattr(ChunkIndex, "search", unused)
    retriever = _retriever(settings, embedder)
    for question, expected in zip(questions, via_index, strict=True):
        exact = retriever.retrieve(question, 5).passages
        assert len(exact) == 3, question
        assert [(p.chunk_id, p.dense_rank, p.lexical_rank) for p in exact] == [
            (p.chunk_id, p.dense_rank, p.lexical_rank) for p in expected
        ], question
        assert [p.score for p in exact] == pytest.approx([p.score for p in expected]), question


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
    App(settings).store.delete_article(tram.id)
    assert all(p.article.id != tram.id for p in retriever.retrieve("ZQ-9000 trams", 5).passages)


def test_a_reader_brings_a_lexical_index_that_is_behind_up_to_the_manifest(
    corpus: Path, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host whose lexical rows miss writes (another host wrote to a Chroma server, or the
    store predates them) catches up from Chroma, article by article: a new reader's first
    question reads back the chunks of the missing article only, its next one none."""
    first = _retriever(settings, embedder).retrieve("XK-4471", 3)
    rows = ChunkRows(settings.data_dir / "lexical.sqlite3")
    tram = next(a for a in rows.versions() if "c.md" in a)
    rows.publish([(tram, None)])  # as if this host never saw the tram article
    assert tram not in rows.versions()

    read_back: list[str] = []
    get = Collection.get

    def spy(self: Collection, ids: Any = None, *args: Any, **kwargs: Any) -> Any:
        if self.name == f"{settings.chroma_collection}_chunks" and ids:
            read_back.extend(ids)
        return get(self, ids, *args, **kwargs)

    monkeypatch.setattr(Collection, "get", spy)
    reader = _retriever(settings, embedder)
    again = reader.retrieve("XK-4471", 3)
    record = reader.records()[tram]
    assert set(read_back) == {chunk_id(tram, record.hash, i) for i in range(record.n_chunks)}, (
        "only the missing article"
    )
    read_back.clear()
    assert reader.retrieve("XK-4471", 3).passages and read_back == [], "caught up: nothing read back again"
    assert [p.chunk_id for p in again.passages] == [p.chunk_id for p in first.passages]
    assert again.passages[0].lexical_rank == 0


def _rows(*texts: tuple[str, str, str]) -> list[PassageRow]:
    return [PassageRow(f"{a}:{h}:{i}", a, h, t) for i, (a, h, t) in enumerate(texts)]


def test_the_live_index_applies_new_rows_and_ranks_them_as_a_rebuild_would(tmp_path: Path) -> None:
    rows = ChunkRows(tmp_path / "lex.sqlite3")
    rows.add(_rows(("a", "v1", "Cats purr on sofas."), ("b", "v1", "Dogs bark at the postman.")))
    rows.publish([("a", "v1"), ("b", "v1")])
    live = LiveBM25(rows)
    assert live.refresh() == 2 and live.refresh() == 0

    rows.add(_rows(("b", "v2", "Dogs bark at the milkman and the postman.")))  # an update, not yet visible
    assert live.refresh() == 1, "one row applied, nothing rebuilt"
    visible = rows.versions()
    hits = live.search("barking dogs postman", 5, lambda a, h: visible.get(a) == h)
    assert [r.chunk_id for r, _ in hits] == ["b:v1:1"], "only published versions are found"

    everything = lambda a, h: True  # noqa: E731
    rebuilt = LiveBM25(rows)
    rebuilt.refresh()
    added = dict((r.chunk_id, score) for r, score in live.search("dogs milkman", 5, everything))
    bulk = dict((r.chunk_id, score) for r, score in rebuilt.search("dogs milkman", 5, everything))
    assert added["b:v2:0"] == pytest.approx(bulk["b:v2:0"], abs=1e-5), "an added row scores as in a rebuild"

    rows.publish([("b", "v2")])
    assert len(rows) == 2, "the rows of the replaced version are gone from the store"
    assert live.idf(tokenize("cats")[0]) > live.idf(tokenize("dogs")[0]), "rarer words weigh more"


def test_dense_ranks_chunks_by_their_closest_sentence(
    corpus: Path, settings: Settings, embedder: Embedder
) -> None:
    retriever = _retriever(settings, embedder)
    result = retriever.retrieve("which factory builds the new trams?", k=3)
    top = result.passages[0]
    stored = result.sentences[top.chunk_id]
    best = max(float(v @ result.query_vector) for _, _, v, _ in stored)
    assert top.article.title == "New tram model" and top.dense_similarity == pytest.approx(best, abs=1e-4)


def test_a_reader_rereads_only_what_was_written_since_its_snapshot(
    corpus: Path, settings: Settings, embedder: Embedder, ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Format 3: each manifest record carries the number of the write that added it; a
    long-lived reader re-reads the records of later writes and the ids (for deletions),
    never the whole manifest again, and ends up with what a fresh full read gives."""
    store = App(settings).store
    full = ChromaStore(
        settings, "sentence-transformers/all-MiniLM-L6-v2"
    ).records  # the same store, uncounted
    retriever = Retriever(store, embedder)
    assert retriever.records() == full()
    before = write_seq(store)
    whole_reads: list[None] = []
    get = Collection.get

    def counted(self: Collection, ids: Any = None, where: Any = None, *args: Any, **kwargs: Any) -> Any:
        every = self.name == f"{settings.chroma_collection}_articles" and ids is None and where is None
        if every and "metadatas" in (kwargs.get("include") or []):  # every record, not just the ids
            whole_reads.append(None)
        return get(self, ids, where, *args, **kwargs)

    def records() -> dict[str, ArticleRecord]:
        """The reader's records, its reads of Chroma counted."""
        with monkeypatch.context() as spied:
            spied.setattr(Collection, "get", counted)
            return retriever.records()

    tram = next(r for r in full().values() if r.title == "New tram model")
    _write(
        corpus, "c.md", "New tram model", "2024-03-01", "wire", "The city ordered sixty trams of the ZQ-9000."
    )
    run_ingest(settings, [str(corpus)], ingestor=ingestor)
    assert write_seq(store) > before
    assert set(records_since(store, before + 1)) == {tram.id}, "only the updated article is re-read"
    assert records()[tram.id].hash != tram.hash
    assert records() == full()

    strike = next(r for r in full().values() if r.title == "Port strike begins")
    ChromaStore(settings, "sentence-transformers/all-MiniLM-L6-v2").delete_article(strike.id)
    assert strike.id not in records()
    assert records() == full()
    assert "__generation__" not in article_ids(store)
    assert not whole_reads, "the reader never read the whole manifest again"


def test_a_record_without_a_hold_number_is_found_by_its_id(
    corpus: Path, settings: Settings, embedder: Embedder
) -> None:
    """A format-2 writer wrote records without `wseq`: a reader still sees a new one (its
    publish to the host's rows, which does not update the manifest's mirror, sends the
    reader back to Chroma)."""
    import numpy as np

    from vectorstore.chroma.metadata import article_meta
    from vectorstore.models import Article

    store = App(settings).store
    retriever = _retriever(settings, embedder)
    assert len(retriever.records()) == 3
    legacy = Article(id="legacy", title="Old writer", text="Written before holds were counted.")
    meta = {k: v for k, v in article_meta(legacy, 0, 0).items() if k != "wseq" and v is not None}
    with store.writing("test"):
        collections(store).articles.upsert(
            ids=["legacy"], embeddings=np.ones((1, 1), np.float32), metadatas=[meta]
        )
        with host_rows(store).guard():
            host_rows(store).publish([("legacy", legacy.hash)])
        store.bump_generation()
    assert retriever.records()["legacy"].title == "Old writer"
