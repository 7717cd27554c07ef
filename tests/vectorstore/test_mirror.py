"""The manifest's mirror in the host's rows (replica/mirror.py): a reader of an embedded
store answers from a current replica without opening Chroma, sees other processes'
writes, and goes back to Chroma whenever the mirror may be behind (a writer killed
between its manifest flip and its publish, a publish that does not update the mirror)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answering.engine import AnswerEngine
from bot.app import App
from bot.settings import Settings
from tests.conftest import REPO
from vectorstore.chroma.snapshots import replica_current
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder
from vectorstore.errors import ModelMismatchError

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
OPENAI = "where is OpenAI's first international office?"

# `newsdesk ingest` of one folder in a process that dies (SIGKILL) right after the manifest
# flip, before the rows' publish: the moment a crash leaves the mirror behind the manifest
KILLED_AFTER_FLIP = """
import os, signal, sys
from bot.app import App
from bot.settings import Settings
from vectorstore.replica.rows import ChunkRows

publish = ChunkRows.publish
def dying(self, versions, sweep=False, records=None):
    if records:
        os.kill(os.getpid(), signal.SIGKILL)
    return publish(self, versions, sweep, records)
ChunkRows.publish = dying
App(Settings()).ingest([sys.argv[1]])
"""


INGEST = "import sys\nfrom bot.app import App\nfrom bot.settings import Settings\nApp(Settings()).ingest([sys.argv[1]])"


def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )


def opened(store: ChromaStore) -> bool:
    return store._opened is not None


def test_a_reader_answers_from_a_current_replica_without_opening_chroma(
    sample_engine: AnswerEngine, settings: Settings, embedder: Embedder
) -> None:
    store = ChromaStore(settings, MODEL)
    assert not opened(store)
    answer = App(settings, embedder=embedder, store=store).engine.answer(OPENAI)
    assert "London" in answer.text and not opened(store), "answered from the replica alone"
    assert store.snapshot().records == ChromaStore(settings, MODEL).records(), "the manifest's records"
    assert not opened(store)


def test_a_running_reader_sees_another_processs_write_without_opening_chroma(
    sample_engine: AnswerEngine, settings: Settings, tmp_path: Path
) -> None:
    store = ChromaStore(settings, MODEL)
    before = store.snapshot()
    more = tmp_path / "more"
    more.mkdir()
    (more / "ferry.md").write_text(
        "---\ntitle: Ferry\n---\nThe QF-17 ferry sails at dawn from the north pier.\n"
    )
    done = run(INGEST, str(more))
    assert done.returncode == 0, done.stderr
    after = store.snapshot()
    assert {r.title for r in after.records.values()} - {r.title for r in before.records.values()} == {"Ferry"}
    [(hit, _)] = after.search_words("QF-17 ferry", 1, lambda a, h: True)
    assert after.records[hit.article_id].title == "Ferry"
    assert not opened(store)


def test_a_writer_killed_between_flip_and_publish_sends_readers_to_chroma(
    sample_engine: AnswerEngine, settings: Settings, samples: Path
) -> None:
    report = samples / "rail-strike.md"
    report.write_text(report.read_text().replace("4.5 percent", "6 percent"))
    killed = run(KILLED_AFTER_FLIP, str(samples))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    stored = ChromaStore(settings, MODEL)
    assert opened(stored), "the mirror is marked pending: not trusted"
    [record] = [r for r in stored.snapshot().records.values() if r.title.startswith("Train drivers")]
    flipped = stored.records()[record.id]
    assert record == flipped, "the manifest's version, not the one the mirror held"
    assert replica_current(stored._rows.mirror_state()), "copied again by the reader that went to Chroma"
    fresh = ChromaStore(settings, MODEL)
    assert not opened(fresh) and fresh.snapshot().records[record.id] == flipped


def test_a_publish_that_does_not_update_the_mirror_sends_readers_to_chroma(
    sample_engine: AnswerEngine, settings: Settings
) -> None:
    store = ChromaStore(settings, MODEL)
    some = next(iter(store.snapshot().records.values()))
    with store._rows.guard():
        store._rows.publish([(some.id, some.hash)])  # as a process of an older version publishes
    assert not replica_current(store._rows.mirror_state())
    assert opened(ChromaStore(settings, MODEL)), "a new reader goes to Chroma"
    assert some.id in store.snapshot().records and opened(store), "a running reader too"
    assert replica_current(store._rows.mirror_state())


def test_another_models_store_is_refused_from_the_replica_too(
    sample_engine: AnswerEngine, settings: Settings
) -> None:
    assert replica_current(ChromaStore(settings, MODEL)._rows.mirror_state())
    with pytest.raises(ModelMismatchError, match="all-MiniLM-L6-v2"):
        ChromaStore(settings, "another-model")


def test_mirrored_records_read_as_the_records_written_and_updates_replace_what_changed() -> None:
    """The snapshot's records from the mirror (mirror.Records) decode each record when it
    is read; the next snapshot's hold the changed records, not those decoded before."""
    from dataclasses import replace

    from vectorstore.models import ArticleRecord
    from vectorstore.replica.mirror import Records, _encode

    written = {
        i: ArticleRecord(i, f"Title {i}", f"h{i}", 2, date="2024-05-0" + i[-1]) for i in ("a1", "a2", "a3")
    }
    records = Records({i: str(_encode(r)) for i, r in written.items()})
    assert records == written and "a2" in records and "zz" not in records and len(records) == 3
    kept = records["a1"]
    assert records["a1"] is kept, "decoded once"
    moved = replace(written["a2"], title="Title 2, updated", hash="h2b")
    after = records.updated({"a2": str(_encode(moved)), "a4": str(_encode(written["a3"]))}, ["a3"])
    assert after["a2"] == moved and after["a4"] == written["a3"] and set(after) == {"a1", "a2", "a4"}
    assert after["a1"] is kept, "what did not change is not decoded again"
    assert records == written, "the earlier snapshot's records are unchanged"
    assert sum(r.n_chunks for r in after.values()) == 6


def test_mirrored_records_read_whole_or_one_by_one_are_the_records_written() -> None:
    """`get`, `values` and `items` of mirror.Records (plain-dict walks, not Mapping's
    generic ones) give the records written, in the mirror's order, whether some were read
    before or not; a record read one by one is the one the walk gives, and an update after a
    walk holds the change."""
    from dataclasses import replace

    from vectorstore.models import ArticleRecord
    from vectorstore.replica.mirror import Records, _encode

    written = {
        i: ArticleRecord(i, f"Title {i}", f"h{i}", 1, date="2024-05-0" + i[-1]) for i in ("a3", "a1", "a2")
    }
    records = Records({i: str(_encode(r)) for i, r in written.items()})
    one = records.get("a1")
    assert one == written["a1"] and records.get("zz") is None and records.get("zz", one) is one
    assert list(records.items()) == list(written.items()) and list(records.values()) == list(written.values())
    assert records.get("a1") is one and records["a1"] is one, "a record is decoded once, read any way"
    assert records["a2"] is next(r for r in records.values() if r.id == "a2")
    moved = replace(written["a1"], hash="h1b")
    after = records.updated({"a1": str(_encode(moved))}, ["a3"])
    assert dict(after.items()) == {"a1": moved, "a2": written["a2"]} and after.get("a3") is None
    assert dict(records.items()) == written, "the earlier snapshot's records are unchanged"
