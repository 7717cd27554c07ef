"""A reader's reopen of the embedded store (connection.py): the old Chroma System is
stopped before the new one opens, reads wait for the swap, the sentence index loads
after it while questions go on by their words, and a failed reopen is not the end."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from vectorstore.connection import Connection
from vectorstore.embedding import Embedder
from vectorstore.retrieval import Retriever


@pytest.fixture
def retriever(tmp_path: Path, settings: Settings, ingestor: Ingestor, embedder: Embedder) -> Retriever:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "tram.md").write_text("---\ntitle: New tram model\n---\nThe city ordered forty XK-4471 trams.\n")
    (folder / "port.md").write_text("---\ntitle: Port strike\n---\nDock workers ended their strike on Monday.\n")
    run_ingest(settings, [str(folder)], ingestor=ingestor)
    return Retriever(App(settings).store, embedder)


def test_questions_go_on_while_the_store_is_reopened(retriever: Retriever) -> None:
    store, failures, answers = retriever.store, [], []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                answers.append(retriever.retrieve("XK-4471 trams", 2).passages[0].article.title)
            except Exception as exc:
                failures.append(exc)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        for _ in range(3):
            assert store._conn.reopen(None)
    finally:
        stop.set()
        asker.join(30)
    assert not failures
    assert answers and set(answers) == {"New tram model"}
    assert store.reopens >= 3 and not store._conn.warming
    assert retriever.retrieve("XK-4471", 1).passages[0].dense_rank is not None, "the new index searches"


def test_a_reopen_that_fails_half_way_is_done_again_by_the_next_read(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = retriever.store
    load = Connection._load

    def full_disk(self: Connection, warm: bool = True) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(Connection, "_load", full_disk)
    with pytest.raises(OSError):
        store._conn.reopen(None)
    assert store._conn.broken
    monkeypatch.setattr(Connection, "_load", load)
    assert {r.title for r in store.records().values()} == {"New tram model", "Port strike"}
    assert not store._conn.broken
    assert retriever.retrieve("XK-4471", 1).passages[0].article.title == "New tram model"


def test_an_index_that_cannot_load_leaves_questions_to_the_words_no_longer_than_the_load(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = retriever.store

    def broken_index(self: Connection) -> None:
        assert self.warming, "the swap is done and questions go on while the index loads"
        raise RuntimeError("index file unreadable")

    monkeypatch.setattr(Connection, "_warm", broken_index)
    with pytest.raises(RuntimeError):
        store._conn.reopen(None)
    assert not store._conn.warming
    monkeypatch.undo()
    assert retriever.retrieve("XK-4471", 1).passages[0].dense_rank is not None
