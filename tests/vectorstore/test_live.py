"""Many readers, one writer, with real processes: a reader process asks in a loop while
writer processes (`newsdesk ingest`, a delete) add, update and delete articles, one is
killed with -9 in the middle of a run, and two start at once. The reader must never
fail and must answer from every committed change (the delays from each writer's exit are
printed; how short they are is bench/live.py's figure, not a bound here: an embedded
store's reader loads another process's write on a background thread, as long as that
takes on the machine); at the end the vector index must hold every row (a fresh client
reads every embedding).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ingest.identity.neardup import StoryIndex
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from ingest.settings import IngestSettings
from tests.processes import Children
from tests.vectorstore.conftest import Reader, live_env
from vectorstore.chroma.metadata import SENTENCES_KEY
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder, canonical_model_name
from vectorstore.inspection import chunk_metadata, embeddings_of
from vectorstore.settings import StoreSettings

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _article(folder: Path, name: str, code: str, n: int = 3) -> Path:
    """n articles; only the last holds `code` (the others a code of their own)."""
    path = folder / f"{name}.jsonl"
    rows = []
    for i in range(n):
        part = code if i == n - 1 else code.replace("ZX", f"Y{i}")
        text = " ".join(
            f"Report {i} of {name}: the part numbered {part} passed inspection {j} at the yard."
            for j in range(6)
        )
        rows.append(json.dumps({"id": f"{name}-{i}", "title": f"{name} {i}", "text": text}))
    path.write_text("\n".join(rows) + "\n")
    return path


def _ingest(children: Children, env: dict[str, str], *paths: Path) -> subprocess.Popen[str]:
    return children.popen(
        [str(Path(sys.executable).with_name("newsdesk")), "-v", "ingest", *map(str, paths)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[float, str]:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return time.time(), err


def _delete(env: dict[str, str], *article_ids: str) -> float:
    code = (
        "from vectorstore.settings import StoreSettings; from vectorstore.chroma.store import ChromaStore; "
        "from vectorstore.embedding import canonical_model_name; s = StoreSettings(); "
        "store = ChromaStore(s, canonical_model_name(s.embedding_model))\n"
        f"with store.writing('test delete'):\n    for a in {list(article_ids)!r}: store.delete_article(a)"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=REPO)
    return time.time()


def _kill_mid_run(children: Children, env: dict[str, str], corpus: Path) -> None:
    victim = _ingest(children, {**env, "INGEST_FLUSH_CHUNKS": "4"}, corpus)
    assert victim.stderr is not None
    for line in victim.stderr:
        if " stored " in line:  # one batch committed, more to come
            victim.send_signal(signal.SIGKILL)
            break
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL, "the run was killed in the middle"


def _vector_index_holds_every_row(settings: StoreSettings) -> None:
    """A fresh client reads every stored embedding: the persisted HNSW index holds every
    row SQLite holds (a stale index persisted by a writer would fail with "Error finding
    id"); every chunk carries its sentences (format 4)."""
    store = ChromaStore(settings, canonical_model_name(settings.embedding_model))
    store.sync()
    metas = chunk_metadata(store)
    assert set(embeddings_of(store)) == set(metas) != set()
    assert all(SENTENCES_KEY in m for m in metas.values())
    records = store.records()
    assert sum(r.n_chunks for r in records.values()) == len(metas)


def _scenario(
    children: Children, env: dict[str, str], folder: Path, reader: Reader, two_writers: bool = True
) -> list[float]:
    """An add and an update, deletes, a writer killed with -9 and its rerun, two writers at
    once: the delays from each writer's exit to the reader seeing its change."""
    reader.seen("ZX-1001", True, 0, 0)
    delays: list[float] = []
    start = time.time()
    update = _article(folder, "alpha", "ZX-1003", n=1)
    done, _ = _finish(_ingest(children, env, _article(folder, "beta", "ZX-2002"), update))
    delays += [reader.seen(code, found, start, done) for code, found in _CHANGES]
    start = time.time()
    done = _delete(env, "beta-2")
    delays.append(reader.seen("ZX-2002", False, start, done))

    big = _article(folder, "gamma", "ZX-3003", n=12)
    _kill_mid_run(children, env, big)
    start = time.time()
    done, _ = _finish(_ingest(children, env, big))
    delays.append(reader.seen("ZX-3003", True, start, done))
    if two_writers:
        start = time.time()
        first = _ingest(children, env, _article(folder, "delta", "ZX-4004", n=6))
        second = _ingest(children, env, _article(folder, "epsilon", "ZX-5005", n=6))
        (t1, _), (t2, _) = _finish(first), _finish(second)
        delays += [reader.seen("ZX-4004", True, start, t1), reader.seen("ZX-5005", True, start, t2)]
    assert reader.errors() == []
    return delays


def _ingestor(settings: IngestSettings, embedder: Embedder) -> Ingestor:
    store = ChromaStore(settings, canonical_model_name(settings.embedding_model))
    stories = StoryIndex(settings.data_dir / "stories.sqlite3")
    chunking = (settings.chunk_tokens, settings.chunk_overlap_tokens, settings.ingest_flush_chunks)
    return Ingestor(store, embedder, *chunking, stories=stories)


_CHANGES = [("ZX-2002", True), ("ZX-1003", True), ("ZX-1001", False)]
_CODES = ["ZX-1001", "ZX-2002", "ZX-1003", "ZX-3003", "ZX-4004", "ZX-5005"]


def test_a_reader_answers_from_every_committed_change_and_never_fails(
    tmp_path: Path, reader_of: Any, settings: IngestSettings, embedder: Embedder, children: Children
) -> None:
    run_ingest(
        settings,
        [str(_article(tmp_path, "alpha", "ZX-1001", n=1))],
        ingestor=_ingestor(settings, embedder),
    )
    delays = _scenario(children, live_env(), tmp_path, reader_of(live_env(), _CODES))
    print("delays from writer exit to answered (s):", [round(d, 2) for d in delays])
    _vector_index_holds_every_row(settings)


def test_the_same_through_a_chroma_server(
    tmp_path: Path,
    reader_of: Any,
    settings: IngestSettings,
    embedder: Embedder,
    chroma_server: int,
    children: Children,
) -> None:
    remote = settings.model_copy(
        update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server, "writer_lease_s": 6.0}
    )
    run_ingest(
        remote, [str(_article(tmp_path, "alpha", "ZX-1001", n=1))], ingestor=_ingestor(remote, embedder)
    )
    env = live_env(
        CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma_server), WRITER_LEASE_S="6"
    )  # for a slow machine
    other_host = {**env, "NEWSDESK_DATA_DIR": str(tmp_path / "other-host")}  # its own lexical index
    delays = _scenario(children, env, tmp_path, reader_of(other_host, _CODES), two_writers=False)
    print("delays from writer exit to answered (s):", [round(d, 2) for d in delays])
    _vector_index_holds_every_row(remote)
