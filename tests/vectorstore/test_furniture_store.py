"""The furniture flag in the stored sentence records (store format 5): written at ingest,
read back by answering, and given to a format-4 store (Chroma's fields and the host's
rows) that was written before it."""

from __future__ import annotations

import base64
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np

from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from tests.helpers import write_article
from vectorstore.chroma.format import FORMAT_KEY, FORMAT_VERSION
from vectorstore.chroma.metadata import SENTENCES_KEY
from vectorstore.chroma.store import ChromaStore
from vectorstore.inspection import chunks_of, collections, host_rows, sentences_of
from vectorstore.models import Article, Chunk
from vectorstore.replica.layout import FLAGS_KEY
from vectorstore.replica.passages import Sentences, blob_flagged
from vectorstore.replica.rows import ChunkRows, rows_file

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PAGE = (
    "The ferry service to Kell Island resumed on Monday after a two-week strike.\n\n"
    "More: Ferry workers vote on a new contract\n\n"
    "The operator said timetables would be back to normal by Friday.\n"
)


def _format_4_blob(sentences: Sentences) -> bytes:
    """A chunk's sentences as format 4 wrote them: a count, (start, end) pairs, vectors."""
    head = np.asarray([len(sentences)], dtype="<i4").tobytes()
    pairs = np.asarray([(s.start, s.end) for s in sentences], dtype="<i4").reshape(-1).tobytes()
    return head + pairs + np.stack([s.vector for s in sentences]).astype("<f2").tobytes()


EXPECTED = {
    "The ferry service to Kell Island resumed on Monday after a two-week strike.": False,
    "More: Ferry workers vote on a new contract": True,
    "The operator said timetables would be back to normal by Friday.": False,
}


def _flags(found: dict[str, Sentences]) -> dict[str, bool]:
    text = PAGE.strip()
    return {text[s.start : s.end]: s.furniture for rows in found.values() for s in rows}


def _in_chroma(store: ChromaStore, ids: list[str]) -> dict[str, bool]:
    return _flags(sentences_of(store, ids, [0] * len(ids)))


def _ingested(settings: Settings, ingestor: Ingestor, tmp_path: Path) -> tuple[ChromaStore, list[str]]:
    page = tmp_path / "ferry.md"
    page.write_text(f"---\ntitle: Ferry\n---\n{PAGE}")
    assert run_ingest(settings, [str(page)], ingestor=ingestor).ok
    store = App(settings).store
    [record] = store.records().values()
    return store, [c.id for c in chunks_of(store, record.id)]


def test_ingest_stores_each_sentence_with_its_furniture_flag(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    store, ids = _ingested(settings, ingestor, tmp_path)
    in_rows = _flags({c: p.sentences for c, p in store.snapshot().passages(ids).items()})
    assert _in_chroma(store, ids) == EXPECTED and in_rows == EXPECTED


def test_a_format_4_store_is_read_with_its_flags_and_migrated_by_its_next_writer(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    store, ids = _ingested(settings, ingestor, tmp_path)
    chunks = collections(store).chunks  # as format 4 left them, written through Chroma's API
    got = chunks.get(ids=ids, include=["metadatas"])
    old = [
        {SENTENCES_KEY: base64.b64encode(_format_4_blob(sentences_of(store, [c], [0])[c])).decode("ascii")}
        for c in got["ids"]
    ]
    chunks.update(ids=got["ids"], metadatas=old)
    chunks.modify(metadata={**(chunks.metadata or {}), FORMAT_KEY: 4})

    reader = ChromaStore(settings, MODEL)
    assert _in_chroma(reader, ids) == EXPECTED, "read as it is, flags from the text"
    article = Article(id="other", title="T", text="Some other text.")
    write_article(reader, article, [Chunk("other", 0, article.text, 0, 16)], np.ones((1, 384), np.float32))

    migrated = collections(reader).chunks
    assert (migrated.metadata or {})[FORMAT_KEY] == FORMAT_VERSION == 5
    fields = migrated.get(ids=ids, include=["metadatas"])["metadatas"] or []
    assert all(blob_flagged(base64.b64decode(str(m[SENTENCES_KEY]))) for m in fields), "written with flags"
    assert _in_chroma(reader, ids) == EXPECTED


def test_host_rows_written_before_the_flags_are_given_them_once(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    store, ids = _ingested(settings, ingestor, tmp_path)
    path = settings.data_dir / rows_file(settings)
    passages = host_rows(store).passages(ids)
    expected = {c: [(s.start, s.end, s.furniture) for s in p.sentences] for c, p in passages.items()}
    assert any(f for rows in expected.values() for _, _, f in rows)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:  # the file as format 4 wrote it
        for cid, passage in passages.items():
            db.execute(
                "UPDATE chunk SET sentences = ? WHERE chunk_id = ?", (_format_4_blob(passage.sentences), cid)
            )
        db.execute("DELETE FROM meta WHERE key = ?", (FLAGS_KEY,))

    reopened = ChunkRows(path)
    assert reopened.meta(FLAGS_KEY) == 1
    with closing(sqlite3.connect(path)) as db:
        blobs = db.execute("SELECT sentences FROM chunk").fetchall()
    assert all(blob_flagged(b) for (b,) in blobs)
    got = {c: [(s.start, s.end, s.furniture) for s in p.sentences] for c, p in reopened.passages(ids).items()}
    assert got == expected


def test_a_caption_line_longer_than_a_chunk_is_flagged_whole(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    """A gallery's captions stand on one line of the page, longer than a chunk: each of its
    sentences is furniture, in whichever chunk it falls."""
    captions = " ".join(
        f"Ferry number {i} leaves the harbour at Kell on a grey morning in May. Dana Whitcombe/Ledger Photo"
        for i in range(40)
    )
    page = tmp_path / "gallery.md"
    page.write_text(f"---\ntitle: Ferries\n---\nThe ferries are running again.\n\n{captions}\n")
    assert run_ingest(settings, [str(page)], ingestor=ingestor).ok
    store = App(settings).store
    [record] = store.records().values()
    passages = store.snapshot().passages([c.id for c in chunks_of(store, record.id)])
    assert len(passages) > 2, "the line is split over several chunks"
    flags = {(s.start, s.furniture) for p in passages.values() for s in p.sentences}
    assert {f for _, f in flags} == {False, True} and sum(not f for _, f in flags) == 1
