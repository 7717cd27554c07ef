from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.answering.factory import build_engine
from bot.settings import Settings
from ingest.runner import build_ingestor, run_ingest
from tests.helpers import REPO_SAMPLE_QUESTION
from vectorstore.embedding import Embedder
from vectorstore.errors import ArticleNotFoundError, ModelMismatchError, StoreUnavailableError
from vectorstore.models import Article, Chunk
from vectorstore.store import ChromaStore


def test_opening_a_store_with_another_model_is_a_clear_error(settings: Settings) -> None:
    store = ChromaStore(settings, "sentence-transformers/all-MiniLM-L6-v2")
    article = Article(id="a1", title="T", text="Some text about things.")
    store.write_article(
        article, [Chunk("a1", 0, article.text, 0, len(article.text))], np.ones((1, 384), np.float32)
    )
    store.check_dimension(384)

    with pytest.raises(ModelMismatchError, match=r"all-MiniLM-L6-v2.*other-model"):
        ChromaStore(settings, "other-model")
    with pytest.raises(ModelMismatchError, match="384-dimensional"):
        ChromaStore(settings, "sentence-transformers/all-MiniLM-L6-v2").check_dimension(768)


def test_collections_get_the_measured_hnsw_settings_and_old_ones_the_search_ef(settings: Settings) -> None:
    from vectorstore.store import EF_SEARCH, MAX_NEIGHBORS, open_client

    client = open_client(settings)
    old = client.create_collection(  # a store made by an earlier version
        "newsdesk_sentences",
        configuration={"hnsw": {"space": "cosine", "ef_search": 100}},
        embedding_function=None,
    )
    assert (old.configuration or {})["hnsw"]["ef_search"] == 100

    ChromaStore(settings, "m")

    chunks = client.get_collection("newsdesk_chunks").configuration["hnsw"]
    sentences = client.get_collection("newsdesk_sentences").configuration["hnsw"]
    assert chunks["max_neighbors"] == MAX_NEIGHBORS and chunks["ef_search"] == EF_SEARCH
    assert sentences["ef_search"] == EF_SEARCH, "raised on open"
    assert sentences["max_neighbors"] == 16, "fixed when the collection was made"


def test_deleting_an_unknown_article_says_so(settings: Settings) -> None:
    store = ChromaStore(settings, "m")
    with pytest.raises(ArticleNotFoundError, match="nope"):
        store.delete_article("nope")


def test_unreachable_server_is_a_clear_error(settings: Settings) -> None:
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": _free_port()})
    with pytest.raises(StoreUnavailableError, match=r"Chroma server at 127\.0\.0\.1"):
        ChromaStore(remote, "m")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A real `chroma run` on a free loopback port, stopped after the test."""
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "server")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("chroma run exited")
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start in 30 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_ingest_and_ask_through_a_chroma_server(
    settings: Settings, embedder: Embedder, chroma_server: int, samples: Path
) -> None:
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    report = run_ingest(remote, [str(samples)], ingestor=build_ingestor(remote, embedder))
    assert report.count("added") == 6

    answer = build_engine(remote, embedder).answer(REPO_SAMPLE_QUESTION)
    assert "London" in answer.text
    assert not (settings.data_dir / "chroma").exists(), "nothing went to the embedded store"

    again = run_ingest(remote, [str(samples)], ingestor=build_ingestor(remote, embedder))
    assert again.count("unchanged") == 6
