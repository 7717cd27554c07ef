from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from tests.helpers import REPO_SAMPLE_QUESTION, closed_port, write_article, written_elsewhere
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder
from vectorstore.errors import (
    ArticleNotFoundError,
    ModelMismatchError,
    StoreFormatError,
    StoreUnavailableError,
)
from vectorstore.inspection import (
    chunk_metadata,
    chunks_of,
    collections,
    records_since,
    sentences_of,
    write_seq,
)
from vectorstore.models import Article, Chunk
from vectorstore.replica.passages import Sentences
from vectorstore.retrieval import Retriever


def test_opening_a_store_with_another_model_is_a_clear_error(settings: Settings) -> None:
    store = ChromaStore(settings, "sentence-transformers/all-MiniLM-L6-v2")
    article = Article(id="a1", title="T", text="Some text about things.")
    chunks = [Chunk("a1", 0, article.text, 0, len(article.text))]
    write_article(store, article, chunks, np.ones((1, 384), np.float32))
    store.check_dimension(384)

    with pytest.raises(ModelMismatchError, match=r"all-MiniLM-L6-v2.*other-model"):
        ChromaStore(settings, "other-model")
    with pytest.raises(ModelMismatchError, match="384-dimensional"):
        ChromaStore(settings, "sentence-transformers/all-MiniLM-L6-v2").check_dimension(768)


def _unversioned_store(settings: Settings, with_sentences: bool) -> None:
    """A store as an earlier version wrote it: no format version, ef_search 100; with
    sentence vectors and counts (format 1) or without (format 0)."""
    from vectorstore.chroma.connection import open_client

    client = open_client(settings)
    hnsw = {"hnsw": {"space": "cosine", "ef_search": 100}}
    chunks = client.create_collection("newsdesk_chunks", configuration=hnsw, embedding_function=None)  # type: ignore[arg-type]
    sentences = client.create_collection("newsdesk_sentences", configuration=hnsw, embedding_function=None)  # type: ignore[arg-type]
    meta = {"article_id": "a1", "hash": "h" * 64, "index": 0, "start": 0, "end": 9, "title": "T"}
    if with_sentences:
        meta["n_sentences"] = 1
        sentence = {"chunk_id": "c", "start": 0, "end": 9}
        sentences.add(ids=["c:000"], embeddings=np.ones((1, 384), np.float32), metadatas=[sentence])
    chunks.add(ids=["c"], embeddings=np.ones((1, 384), np.float32), documents=["Some text"], metadatas=[meta])


def test_an_unversioned_store_with_sentences_is_read_and_stamped_by_its_next_writer(
    settings: Settings,
) -> None:
    from vectorstore.chroma.connection import EF_SEARCH, open_client
    from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION

    _unversioned_store(settings, with_sentences=True)
    store = ChromaStore(settings, "m")
    assert FORMAT_KEY not in (collections(store).chunks.metadata or {}), "a reader does not write"
    article = Article(id="a2", title="T", text="More text.")
    write_article(store, article, [Chunk("a2", 0, article.text, 0, 10)], np.ones((1, 384), np.float32))

    client = open_client(settings)
    chunks = client.get_collection("newsdesk_chunks")
    assert (chunks.metadata or {})[FORMAT_KEY] == FORMAT_VERSION
    assert chunks.configuration["hnsw"]["ef_search"] == EF_SEARCH
    assert collections(store).sentences is None, "format 4: dropped"
    [(start, end, vector, _)] = sentences_of(store, ["c"], [1])["c"]
    assert (start, end) == (0, 9) and float(vector[0]) == pytest.approx(1.0, abs=1e-3)


def test_an_article_is_intact_while_its_stored_chunks_are_the_ones_its_record_names(
    settings: Settings,
) -> None:
    store = ChromaStore(settings, "m")
    article = Article(id="a1", title="T", text="Some text about things. And more text.")
    chunks = [
        Chunk("a1", 0, article.text[:23], 0, 23),
        Chunk("a1", 1, article.text[24:], 24, len(article.text)),
    ]
    write_article(store, article, chunks, np.ones((2, 384), np.float32))
    record = store.record("a1")
    assert store.intact([record]) == {"a1"}
    [first, _] = sorted(c.id for c in chunks_of(store, "a1"))
    collections(store).chunks.delete(ids=[first])  # as a lost write would leave it
    assert store.intact([record]) == set()


def test_a_store_without_sentence_vectors_is_refused_with_the_rebuild_command(settings: Settings) -> None:
    _unversioned_store(settings, with_sentences=False)
    with pytest.raises(StoreFormatError, match=r"format 0.*NEWSDESK_DATA_DIR.*newsdesk ingest"):
        ChromaStore(settings, "m")


def test_a_format_2_store_is_read_and_stamped_by_its_next_writer(settings: Settings) -> None:
    from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION

    store = ChromaStore(settings, "m")
    chunks = collections(store).chunks
    chunks.modify(metadata={**(chunks.metadata or {}), FORMAT_KEY: 2})
    reader = ChromaStore(settings, "m")
    assert write_seq(reader) == 0 and reader.records() == {}
    article = Article(id="a3", title="T", text="Text of three.")
    write_article(reader, article, [Chunk("a3", 0, article.text, 0, 14)], np.ones((1, 384), np.float32))
    assert (collections(reader).chunks.metadata or {})[FORMAT_KEY] == FORMAT_VERSION
    assert write_seq(reader) == 1 and set(records_since(reader, 1)) == {"a3"}


def test_a_store_of_a_newer_format_is_refused(settings: Settings) -> None:
    from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION

    store = ChromaStore(settings, "m")
    chunks = collections(store).chunks
    chunks.modify(metadata={**(chunks.metadata or {}), FORMAT_KEY: FORMAT_VERSION + 1})
    with pytest.raises(StoreFormatError, match="newer newsdesk"):
        ChromaStore(settings, "m")


def test_a_new_store_records_its_format(settings: Settings) -> None:
    from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION

    assert (collections(ChromaStore(settings, "m")).chunks.metadata or {})[FORMAT_KEY] == FORMAT_VERSION


def test_deleting_an_unknown_article_says_so(settings: Settings) -> None:
    store = ChromaStore(settings, "m")
    with pytest.raises(ArticleNotFoundError, match="nope"):
        store.delete_article("nope")


def test_unreachable_server_is_a_clear_error(settings: Settings) -> None:
    with closed_port() as port:
        remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port})
        with pytest.raises(StoreUnavailableError, match=r"Chroma server at 127\.0\.0\.1"):
            ChromaStore(remote, "m")


@pytest.mark.slow
def test_ingest_and_ask_through_a_chroma_server(
    settings: Settings, embedder: Embedder, chroma_server: int, samples: Path
) -> None:
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    report = run_ingest(remote, [str(samples)], ingestor=App(remote, embedder=embedder).ingestor)
    assert report.count("added") == 6

    answer = App(remote, embedder=embedder).engine.answer(REPO_SAMPLE_QUESTION)
    assert "London" in answer.text
    assert not (settings.data_dir / "chroma").exists(), "nothing went to the embedded store"

    again = run_ingest(remote, [str(samples)], ingestor=App(remote, embedder=embedder).ingestor)
    assert again.count("unchanged") == 6


def _as_format_3(settings: Settings, ingestor: Ingestor, folder: Path) -> tuple[list[str], list[int], Any]:
    """A store as format 3 held it: one record per sentence in `<name>_sentences`, none in
    the chunks' metadata. Returns the chunk ids, their sentence counts and their sentences."""
    from vectorstore.chroma.format import FORMAT_KEY
    from vectorstore.chroma.metadata import SENTENCES_KEY

    run_ingest(settings, [str(folder)], ingestor=ingestor)
    store = App(settings).store
    chunks = [c for r in store.records().values() for c in chunks_of(store, r.id)]
    ids, counts = [c.id for c in chunks], [c.n_sentences for c in chunks]
    before = sentences_of(store, ids, counts)
    assert all(len(before[c]) == n > 0 for c, n in zip(ids, counts, strict=True))
    rows = [(f"{cid}:{k:03d}", s, e, v) for cid in ids for k, (s, e, v, _) in enumerate(before[cid])]
    raw = collections(store)
    legacy = raw.client.get_or_create_collection("newsdesk_sentences", embedding_function=None)
    legacy.add(
        ids=[r[0] for r in rows],
        embeddings=np.stack([r[3] for r in rows]),
        metadatas=[{"chunk_id": r[0].rsplit(":", 1)[0], "start": r[1], "end": r[2]} for r in rows],
    )
    raw.chunks.update(ids=ids, metadatas=[{SENTENCES_KEY: None} for _ in ids])  # type: ignore[dict-item]
    raw.chunks.modify(metadata={**(raw.chunks.metadata or {}), FORMAT_KEY: 3})
    written_elsewhere(store)  # as a format-3 writer leaves it: this process reopens it as it is
    assert store.sync()
    return ids, counts, before


def test_a_format_3_store_has_its_sentences_moved_into_its_chunks_by_its_next_writer(
    settings: Settings, embedder: Embedder, ingestor: Ingestor, tmp_path: Path
) -> None:
    """Format 4: a chunk carries its sentences in its metadata; a format-3 store is read
    as it is, then migrated by its next writer: the sentence vectors read back the same,
    and the sentence collection is dropped."""
    from chromadb.errors import NotFoundError

    from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Tram\n---\nThe city ordered trams. They arrive in May.\n")
    ids, counts, before = _as_format_3(settings, ingestor, folder)

    older = ChromaStore(settings, "sentence-transformers/all-MiniLM-L6-v2")
    assert collections(older).sentences is not None
    assert _same(sentences_of(older, ids, counts), before), "read from the collection before the migration"
    article = Article(id="other", title="T", text="Some other text.")
    write_article(older, article, [Chunk("other", 0, article.text, 0, 16)], np.ones((1, 384), np.float32))
    raw = collections(older)
    assert (raw.chunks.metadata or {})[FORMAT_KEY] == FORMAT_VERSION and raw.sentences is None
    with pytest.raises(NotFoundError):
        raw.client.get_collection("newsdesk_sentences")
    assert _same(sentences_of(older, ids, counts), before), "read from the chunks' metadata after it"
    found = Retriever(older, embedder).retrieve("When do the trams arrive?", 1)
    assert found.passages[0].article.title == "Tram" and found.passages[0].dense_rank == 0


def test_a_migration_cut_off_half_way_is_read_whole_and_finished_by_the_next_writer(
    settings: Settings, ingestor: Ingestor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer that migrates is killed while Chroma has stored the sentences of only the
    first of its chunks: the store reads whole, and the next writer finishes the migration."""
    from chromadb.api.models.Collection import Collection

    from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION
    from vectorstore.chroma.metadata import SENTENCES_KEY

    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.md").write_text(f"---\ntitle: {name}\n---\nFirst of {name}. Second of {name}.\n")
    ids, counts, before = _as_format_3(settings, ingestor, folder)
    update = Collection.update
    cut: list[str] = []

    def killed_after_the_first_chunk(
        self: Collection, ids: Any, *args: Any, metadatas: Any = None, **kw: Any
    ) -> None:
        moving = bool(metadatas) and all(set(m) == {SENTENCES_KEY} for m in metadatas) and len(ids) > 1
        if not moving or cut:
            return update(self, ids, *args, metadatas=metadatas, **kw)
        update(self, ids[:1], metadatas=metadatas[:1])
        cut.append(ids[0])
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(Collection, "update", killed_after_the_first_chunk)
    store = ChromaStore(settings, "sentence-transformers/all-MiniLM-L6-v2")
    article = Article(id="other", title="T", text="Some other text.")
    with pytest.raises(KeyboardInterrupt):
        write_article(store, article, [Chunk("other", 0, article.text, 0, 16)], np.ones((1, 384), np.float32))
    monkeypatch.setattr(Collection, "update", update)
    assert len(cut) == 1 and SENTENCES_KEY in chunk_metadata(store)[cut[0]], (
        "the first chunk's sentences stored"
    )
    assert (collections(store).chunks.metadata or {})[FORMAT_KEY] == 3, "not stamped"
    assert _same(sentences_of(store, ids, counts), before), "half in the metadata, half in the collection"
    ChromaStore(settings, "sentence-transformers/all-MiniLM-L6-v2")  # a cut-off migration still opens
    write_article(store, article, [Chunk("other", 0, article.text, 0, 16)], np.ones((1, 384), np.float32))
    raw = collections(store)
    assert (raw.chunks.metadata or {})[FORMAT_KEY] == FORMAT_VERSION and raw.sentences is None
    assert _same(sentences_of(store, ids, counts), before)


def _same(a: dict[str, Sentences], b: dict[str, Sentences]) -> bool:
    return a.keys() == b.keys() and all(
        [(s.start, s.end, s.furniture) for s in a[c]] == [(s.start, s.end, s.furniture) for s in b[c]]
        and all(np.allclose(x.vector, y.vector, atol=1e-3) for x, y in zip(a[c], b[c], strict=True))
        for c in a
    )
