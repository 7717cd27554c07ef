"""The load guard (vectorstore/chroma/load_guard.py): a process stopped while it opens the
store (Ctrl-Z on a `newsdesk ask`) holds its shared flock; a writer waits GUARD_WAIT_S for
it at most, then stops with a clear error and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from vectorstore.chroma import load_guard
from vectorstore.embedding import Embedder
from vectorstore.errors import StoreBusyError


def test_a_reader_stuck_while_opening_does_not_hold_writes_forever(
    settings: Settings, embedder: Embedder, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_guard, "GUARD_WAIT_S", 0.5)
    app = App(settings, embedder=embedder)
    guard = settings.newsdesk_data_dir / load_guard.GUARD_FILE
    with load_guard.shared_flock(guard, wait=True) as held:  # the stopped reader's hold
        assert held
        with pytest.raises(StoreBusyError, match="A process opening the store has held"):
            app.ingest([str(samples)])
    assert app.store.stats().articles == 0, "nothing was written"
    assert App(settings, embedder=embedder).ingest([str(samples)]).ok  # once it is gone, writes go on
