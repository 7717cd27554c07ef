"""The host's rows and chunk index (replica/rows.py, passages.py, chunk_index.py): what a
question reads instead of Chroma's vector collections."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from usearch.index import Index

from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder
from vectorstore.inspection import chunk_index, host_rows
from vectorstore.replica import dense
from vectorstore.replica.chunk_index import INDEXED_KEY, ChunkIndex
from vectorstore.replica.dense import DenseSearch
from vectorstore.replica.passages import (
    PassageRow,
    StoredSentence,
    best_similarity,
    sentence_vectors,
    sentences_blob,
)
from vectorstore.replica.rows import ChunkRows
from vectorstore.retrieval import Retriever


def _unit(rng: np.random.Generator, n: int, dim: int = 32) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)


def _rows(vectors: np.ndarray, article: str = "a", version: str = "v1") -> list[PassageRow]:
    return [
        PassageRow(
            f"{article}:{version}:{i}",
            article,
            version,
            f"text {i}",
            i,
            10 * i,
            10 * i + 9,
            v,
            [StoredSentence(10 * i, 10 * i + 9, v)],
        )
        for i, v in enumerate(vectors)
    ]


def test_a_row_reads_back_its_text_offsets_and_vectors_within_float16(tmp_path: Path) -> None:
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    vector = _unit(np.random.default_rng(1), 3, 384)
    rows.add(
        [
            PassageRow(
                "c1",
                "a",
                "v1",
                "One. Two.",
                4,
                100,
                109,
                vector[0],
                [StoredSentence(100, 104, vector[1]), StoredSentence(105, 109, vector[2])],
            )
        ]
    )
    [got] = rows.passages(["c1", "absent"]).values()
    assert (got.chunk_id, got.article_id, got.hash, got.index, got.start, got.end, got.text) == (
        "c1",
        "a",
        "v1",
        4,
        100,
        109,
        "One. Two.",
    )
    assert [(s.start, s.end) for s in got.sentences] == [(100, 104), (105, 109)]
    assert float(got.sentences[1].vector @ vector[2]) == pytest.approx(1.0, abs=1e-3)
    [(seq, stored)] = list(rows.vectors())
    assert rows.passages_at([seq])[0].chunk_id == "c1" and float(stored @ vector[0]) == pytest.approx(
        1.0, abs=1e-3
    )


def test_a_dense_search_scores_by_the_stored_sentences_without_decoding_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    vectors = _unit(rng, 12)
    rows.add(
        [
            PassageRow(
                f"a:v1:{i}",
                "a",
                "v1",
                "Two. Three.",
                i,
                0,
                11,
                vectors[i],
                [StoredSentence(0, 4, vectors[i]), StoredSentence(5, 11, vectors[i + 6])],
            )
            for i in range(6)
        ]
    )
    question = vectors[8]
    stored = {p.chunk_id: p for p in rows.passages_at([s for s, _ in rows.vectors()])}
    expected = {  # the best of each chunk's sentences as a passage hands them out (float32)
        cid: float(np.max(np.stack([s.vector for s in p.sentences]) @ question)) for cid, p in stored.items()
    }
    [(row, blob)] = rows.sentence_blobs_at([stored["a:v1:2"].seq])
    assert (row.chunk_id, row.article_id, row.hash) == ("a:v1:2", "a", "v1")
    view = sentence_vectors(blob)
    assert view.shape == (2, 32) and not view.flags.owndata, "the blob's vectors are a view, not a copy"
    assert best_similarity(question, blob) == expected["a:v1:2"]
    assert best_similarity(question, sentences_blob([])) is None
    index = ChunkIndex(tmp_path / "rows.usearch", rows)
    index.catch_up()
    found = DenseSearch(rows, index).search(question, lambda a, h: True)
    assert [(r.chunk_id, sim) for r, sim in found] == sorted(expected.items(), key=lambda kv: -kv[1])
    assert found[0][0].chunk_id == "a:v1:2", "the chunk holding the question's sentence ranks first"
    assert DenseSearch(rows, index).search(question, lambda a, h: h != "v1") == [], "invisible rows dropped"


def test_the_index_and_an_exact_comparison_rank_a_thousand_chunks_alike(tmp_path: Path) -> None:
    """Comparing every chunk (a small store, a selective filter: retriever.py) and searching
    the index keep the same chunks, in the same order, with the same similarities."""
    rng = np.random.default_rng(13)
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    articles = [f"art{n}" for n in range(10)]
    for article in articles:
        rows.add(_rows(_unit(rng, 100), article))
    index = ChunkIndex(tmp_path / "rows.usearch", rows)
    index.catch_up()
    search = DenseSearch(rows, index)
    for question in _unit(rng, 20):
        approximate = search.search(question, lambda a, h: True)
        exact = search.search(question, lambda a, h: True, among=articles)
        assert len(exact) == dense.KEPT
        assert [(r.chunk_id, sim) for r, sim in exact] == [(r.chunk_id, sim) for r, sim in approximate]


def test_the_index_finds_what_was_added_and_a_reader_maps_the_replaced_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    index = ChunkIndex(tmp_path / "rows.usearch", rows)
    reader = ChunkIndex(tmp_path / "rows.usearch", rows)  # another process's view of the same file
    first = _unit(rng, 50)
    rows.add(_rows(first))
    assert index.catch_up() == 50 and index.catch_up() == 0, "nothing twice"
    [(seq, similarity)] = reader.search(first[7], 1)
    assert rows.passages_at([seq])[0].chunk_id == "a:v1:7" and similarity == pytest.approx(1.0, abs=0.02)

    later = _unit(rng, 5)
    rows.add(_rows(later, "b"))
    assert index.catch_up() == 5
    [(seq, _)] = reader.search(later[2], 1)
    assert rows.passages_at([seq])[0].chunk_id == "b:v1:2", "the reader mapped the writer's new file"


def test_a_lost_or_damaged_index_is_rebuilt_from_the_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    index = ChunkIndex(tmp_path / "rows.usearch", rows)
    vectors = _unit(rng, 20)
    rows.add(_rows(vectors))
    index.catch_up()
    index.path.write_bytes(b"not an index")
    assert index.search(vectors[0], 1) == [], "a damaged file is searched as empty, not raised"
    assert rows.meta(INDEXED_KEY) == rows.last_seq()
    assert index.catch_up() == 20, "the rows say it is current, but the file cannot be read"
    assert index.catch_up() == 0
    index.path.unlink()
    assert ChunkIndex(index.path, rows).catch_up() == 20, "a missing file is rebuilt whole"
    [(seq, _)] = index.search(vectors[4], 1)
    assert rows.passages_at([seq])[0].chunk_id == "a:v1:4"


def test_deleted_rows_are_skipped_and_dropped_by_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    index = ChunkIndex(tmp_path / "rows.usearch", rows)

    def replace(article: str, old: int, new: int) -> np.ndarray:
        before = _unit(rng, old)
        rows.add(_rows(before, article, "v1"))
        rows.publish([(article, "v1")])
        index.catch_up()
        rows.add(_rows(_unit(rng, new), article, "v2"))
        rows.publish([(article, "v2")])  # the rows of v1 are gone
        index.catch_up()
        return before

    old = replace("a", 20, 10)
    assert len(Index.restore(str(index.path))) == 30, "a few deleted keys stay"
    proposed = [seq for seq, _ in index.search(old[0], 30)]
    assert len(rows.owners(proposed)) == 10 < len(proposed), "most keys near an old vector are dead"
    monkeypatch.setattr(dense, "CANDIDATES", 30)
    found = DenseSearch(rows, index).search(old[0], lambda a, h: True)
    assert len(found) == 10 and {p.hash for p, _ in found} == {"v2"}, "dead keys skipped, live ones ranked"
    replace("b", 200, 30)
    assert len(rows) == 40 and len(Index.restore(str(index.path))) == 40, (
        "230 dead keys: rebuilt from the rows"
    )


def _tram_store(tmp_path: Path, settings: Settings, ingestor: Ingestor) -> ChromaStore:
    """A store of one ingested article (its rows and chunk index written by the ingest)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Tram\n---\nThe city ordered forty XK-4471 trams.\n")
    run_ingest(settings, [str(folder)], ingestor=ingestor)
    store = App(settings).store
    return store


def test_a_reader_brings_a_lagging_index_up_to_the_rows(
    tmp_path: Path,
    settings: Settings,
    ingestor: Ingestor,
    embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import vectorstore.retrieval.retriever

    monkeypatch.setattr(vectorstore.retrieval.retriever, "SMALL_STORE", 0)  # the question searches the index
    store = _tram_store(tmp_path, settings, ingestor)
    index = chunk_index(store)
    index.path.unlink()  # as if a write was killed between its rows and its index
    assert index.bring_up() == host_rows(store).last_seq() == 1
    assert index.bring_up() == 0
    found = Retriever(store, embedder).retrieve("How many trams did the city order?", 1)
    assert found.passages[0].dense_rank == 0


@pytest.mark.parametrize("order", ["usearch.index, onnxruntime", "onnxruntime, usearch.index"])
def test_usearch_and_onnxruntime_load_in_either_order(order: str) -> None:
    """usearch 2.23+ crashed the process when onnxruntime was imported after it (pinned)."""
    code = f"import {order}; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-500:]


def test_a_write_cut_off_after_the_file_is_replaced_is_completed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is replaced before `indexed_seq` records it: killed in between, the next
    catch-up adds the same rows again, and they are found once."""
    rng = np.random.default_rng(11)
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    index = ChunkIndex(tmp_path / "rows.usearch", rows)
    vectors = _unit(rng, 8)
    rows.add(_rows(vectors[:4]))
    index.catch_up()
    rows.add(_rows(vectors[4:], "b"))

    def killed(key: str, value: int) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(rows, "set_meta", killed)
    with pytest.raises(KeyboardInterrupt):
        index.catch_up()
    monkeypatch.undo()
    assert rows.meta(INDEXED_KEY) == 4
    index.catch_up()
    assert rows.meta(INDEXED_KEY) == 8 and len(Index.restore(str(index.path))) == 8
    [(seq, _)] = index.search(vectors[6], 1)
    assert rows.passages_at([seq])[0].chunk_id == "b:v1:2"


def test_the_writer_sweeps_rows_a_killed_run_left_and_a_catch_up_does_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    rows = ChunkRows(tmp_path / "rows.sqlite3")
    rows.add(_rows(_unit(rng, 2), "a", "v1"))
    rows.publish([("a", "v1")])
    rows.add(_rows(_unit(rng, 3), "a", "v2"))  # a run killed before its manifest flip
    rows.add(_rows(_unit(rng, 2), "a", "v3"))
    rows.publish([("a", "v3")])  # a catch-up: another version may be being written
    assert sorted({p.hash for p in rows.passages_at([s for s, _ in rows.vectors()])}) == ["v2", "v3"]
    rows.add(_rows(_unit(rng, 1), "a", "v4"))
    rows.publish([("a", "v4")], sweep=True)  # the store's writer: no other version is being written
    assert [p.hash for p in rows.passages_at([s for s, _ in rows.vectors()])] == ["v4"]
    rows.publish([("a", None)], sweep=True)
    assert len(rows) == 0 and rows.versions() == {}


def test_a_question_that_finds_the_index_gone_has_it_rebuilt_off_its_path(
    tmp_path: Path,
    settings: Settings,
    ingestor: Ingestor,
    embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A question that searches the index (a store over SMALL_STORE chunks: a smaller one
    is compared whole and does not look at the file; the next writer rebuilds it)."""
    import vectorstore.retrieval.retriever

    monkeypatch.setattr(vectorstore.retrieval.retriever, "SMALL_STORE", 0)
    store = _tram_store(tmp_path, settings, ingestor)
    retriever = Retriever(store, embedder)
    assert retriever.retrieve("How many trams did the city order?", 1).passages[0].dense_rank == 0
    path = chunk_index(store).path
    path.unlink()  # deleted by hand, on a store nobody writes to
    found = retriever.retrieve("How many trams did the city order?", 1)
    assert found.passages[0].dense_rank == 0, "the mapped file still serves"
    deadline = time.monotonic() + 120  # not a speed goal: never rebuilt fails here
    while not path.exists() and time.monotonic() < deadline:
        retriever.retrieve("How many trams did the city order?", 1)
        threading.Event().wait(0.05)
    assert path.exists(), "rebuilt from the rows, no question waiting for it"
    fresh = Retriever(App(settings).store, embedder)  # another process would map the new file
    assert fresh.retrieve("How many trams did the city order?", 1).passages[0].dense_rank == 0
