"""What a Discord server may do to the store through the intake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from tests.conftest import REPO
from tests.processes import Children
from vectorstore.embedding import Embedder
from vectorstore.errors import ArticleNotFoundError, StoreBusyError

TEXT = b"The old lighthouse on the north cape reopened on Saturday after volunteers restored it over three summers."


def test_a_server_can_forget_only_what_it_added(
    settings: Settings, embedder: Embedder, samples: Path
) -> None:
    app = App(settings, embedder=embedder)
    assert app.ingest([str(samples)]).count("added") == 6
    assert app.intake.ingest_upload("lighthouse.txt", TEXT, "111").count("added") == 1
    [uploaded] = [r for r in app.store.records().values() if r.scope == "111"]
    global_id = next(r.id for r in app.store.records().values() if r.scope == "global")

    with pytest.raises(ArticleNotFoundError, match="added by this server"):
        app.intake.forget(uploaded.id, "222")
    with pytest.raises(ArticleNotFoundError):
        app.intake.forget(global_id, "111")
    assert len(app.store.records()) == 7

    assert app.intake.forget(uploaded.id, "111").id == uploaded.id
    assert uploaded.id not in app.store.records()


HOLD = """
import sys, time
from vectorstore.embedding import canonical_model_name
from vectorstore.settings import StoreSettings
from vectorstore.chroma.store import ChromaStore
store = ChromaStore(StoreSettings(), canonical_model_name(StoreSettings().embedding_model))
with store.writing("operator's ingest"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_an_upload_while_another_process_writes_is_told_who_holds_the_store(
    settings: Settings, embedder: Embedder, children: Children
) -> None:
    app = App(settings, embedder=embedder)
    app.store.records()  # the store exists before the other process opens it
    holder = children.popen(
        [sys.executable, "-c", HOLD],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(StoreBusyError, match="operator's ingest"):
        app.intake.ingest_upload("lighthouse.txt", TEXT, "111")
    holder.kill()
    holder.wait(timeout=10)
    assert app.intake.ingest_upload("lighthouse.txt", TEXT, "111").count("added") == 1
