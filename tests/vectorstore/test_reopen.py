"""A reader's reopen of the embedded store (connection.py): the old Chroma System is
stopped before the new one opens, reads wait for the swap, a failed reopen is not the
end, and answering reads nothing from Chroma but the manifest."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from tests.helpers import written_elsewhere
from vectorstore.chroma import connection
from vectorstore.embedding import Embedder
from vectorstore.retrieval import Retriever


@pytest.fixture
def retriever(tmp_path: Path, settings: Settings, ingestor: Ingestor, embedder: Embedder) -> Retriever:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "tram.md").write_text(
        "---\ntitle: New tram model\n---\nThe city ordered forty XK-4471 trams.\n"
    )
    (folder / "port.md").write_text(
        "---\ntitle: Port strike\n---\nDock workers ended their strike on Monday.\n"
    )
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
            written_elsewhere(store)  # another process wrote: this one reopens the store
            assert store.sync()
    finally:
        stop.set()
        asker.join(30)
    assert not failures
    assert answers and set(answers) == {"New tram model"}
    assert store.reopens >= 3
    assert retriever.retrieve("XK-4471", 1).passages[0].dense_rank is not None, "the new index searches"


def test_a_reopen_that_fails_half_way_is_done_again_by_the_next_read(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = retriever.store

    def full_disk(*args: object) -> None:
        raise OSError("No space left on device")

    written_elsewhere(store)
    with monkeypatch.context() as disk:  # opening the new Chroma client fails: a full disk
        disk.setattr(connection, "open_client", full_disk)
        with pytest.raises(OSError):
            store.sync()
    assert store.busy == "reopening the store", "its old collections are stopped"
    assert {r.title for r in store.records().values()} == {"New tram model", "Port strike"}
    assert store.busy is None
    assert retriever.retrieve("XK-4471", 1).passages[0].article.title == "New tram model"


def test_answering_reads_only_the_manifest_and_lets_go_of_what_a_write_loaded(
    retriever: Retriever,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    ingestor: Ingestor,
    tmp_path: Path,
) -> None:
    """Chunks, vectors and sentence vectors come from the host's rows and chunk index: an
    embedded Chroma loads a collection's whole vector index into the process that reads
    it, so answering reads its manifest only, and a process that wrote (the bot's feed
    poller, /ingest) lets go of the collections it loaded, off the question path, once
    its write is done."""
    from chromadb.api.models.Collection import Collection

    store = retriever.store
    more = tmp_path / "more"
    more.mkdir()
    (more / "ferry.md").write_text("---\ntitle: Ferry\n---\nThe QF-17 ferry sails at dawn.\n")
    with store.writing("test"):
        run_ingest(settings, [str(more)], ingestor=ingestor)
        assert store.holds_vectors and not store.release(), "not let go while this process writes"
    assert retriever.retrieve("When does the QF-17 ferry sail?", 2).passages[0].article.title == "Ferry"
    for _ in range(100):
        if not store.holds_vectors:
            break
        threading.Event().wait(0.05)
    assert not store.holds_vectors, "let go after the write, without a question waiting for it"

    read: list[str] = []
    for method in ("get", "query", "count", "peek"):
        original = getattr(Collection, method)

        def spy(self: Collection, *args: object, _original: object = original, **kwargs: object) -> object:
            read.append(self.name)
            return _original(self, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(Collection, method, spy)
    found = retriever.retrieve("When does the QF-17 ferry sail?", 2)
    assert found.passages[0].article.title == "Ferry" and found.passages[0].dense_rank is not None
    assert found.sentences[found.passages[0].chunk_id], "sentence vectors"
    assert read == [], "answered from the host's replica, which mirrors the manifest: Chroma not read"
    assert not store.holds_vectors
