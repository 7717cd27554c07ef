"""What a Discord server may do to the store through the intake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from vectorstore.embedding import Embedder
from vectorstore.errors import ArticleNotFoundError

TEXT = b"The old lighthouse on the north cape reopened on Saturday after volunteers restored it over three summers."


def test_a_server_can_forget_only_what_it_added(settings: Settings, embedder: Embedder, samples: Path) -> None:
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
