from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.runner import run_ingest
from tests.helpers import SpyEmbedder
from vectorstore.chroma.metadata import ArticleWrite
from vectorstore.chroma.store import ChromaStore
from vectorstore.embedding import Embedder
from vectorstore.inspection import chunks_of, iter_chunks


def _store_contents(settings: Settings) -> dict[str, tuple[str, int]]:
    store = App(settings).store
    return {c.id: (c.text, c.start) for c in iter_chunks(store)}


def test_reingest_of_unchanged_articles_embeds_and_writes_nothing(
    settings: Settings, embedder: Embedder, samples: Path
) -> None:
    spy = SpyEmbedder(embedder)
    ingestor = App(settings, embedder=spy).ingestor  # type: ignore[arg-type]
    first = run_ingest(settings, [str(samples)], ingestor=ingestor)
    assert first.count("added") == 6 and first.chunks_embedded > 0
    assert len(spy.calls) == 1, "all the articles' chunks are embedded in one batch"
    store = App(settings).store
    generation = store.generation()
    before = _store_contents(settings)

    spy.calls.clear()
    second = run_ingest(settings, [str(samples)], ingestor=ingestor)

    assert second.count("unchanged") == 6 and second.chunks_embedded == 0
    assert spy.calls == []
    assert store.generation() == generation, "nothing was written"
    assert _store_contents(settings) == before


def test_changed_article_replaces_its_chunks(
    settings: Settings, ingestor: Ingestor, samples: Path, embedder: Embedder
) -> None:
    run_ingest(settings, [str(samples)], ingestor=ingestor)
    path = samples / "marathon-record.md"
    path.write_text(path.read_text().replace("Grace Wanjiru", "Mary Chebet").replace("Wanjiru", "Chebet"))

    report = run_ingest(settings, [str(samples)], ingestor=ingestor)

    assert report.count("updated") == 1 and report.count("unchanged") == 5
    store = App(settings).store
    texts = [c.text for c in iter_chunks(store) if "marathon" in c.article_id]
    assert texts and all("Wanjiru" not in t for t in texts)
    assert any("Mary Chebet" in t for t in texts)
    answer = App(settings, embedder=embedder).engine.answer(
        "who broke the women's course record at the marathon?"
    )
    assert "Chebet" in answer.text


def test_delete_removes_article_and_chunks(
    settings: Settings, ingestor: Ingestor, samples: Path, embedder: Embedder
) -> None:
    run_ingest(settings, [str(samples)], ingestor=ingestor)
    store = App(settings).store
    engine = App(settings, embedder=embedder, store=store).engine
    assert not engine.answer("where is OpenAI's first international office?").refused
    target = "https://newsdesk.example/2023/06/openai-london-office"

    store.delete_article(target)

    assert target not in store.records()
    assert all(c.article_id != target for c in iter_chunks(store))
    answer = engine.answer("where is OpenAI's first international office?")
    assert all(p.article.id != target for p in answer.passages)


def test_each_bad_input_fails_alone_with_a_reason(
    settings: Settings, ingestor: Ingestor, tmp_path: Path, samples: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (bad / "empty.txt").write_text("")
    (bad / "bad.jsonl").write_text(
        '{"id": "ok-1", "title": "Fine", "text": "A perfectly fine article about ducks in the park."}\nnot json\n{"id": "x"}\n'
    )
    (bad / "bad-front-matter.md").write_text(
        "---\ntitle: [unclosed\n---\nbody text here that is long enough to be an article.\n"
    )

    report = run_ingest(settings, [str(samples), str(bad), str(tmp_path / "missing.txt")], ingestor=ingestor)

    assert report.count("added") == 7  # six samples and the good JSONL line
    reasons = {o.source.rsplit("/", 1)[-1]: o.reason for o in report.failed}
    assert "PDF" in reasons["broken.pdf"]
    assert "no article text" in reasons["empty.txt"]
    assert "not valid JSON" in reasons["bad.jsonl:2"]
    assert "'text'" in reasons["bad.jsonl:3"]
    assert "YAML" in reasons["bad-front-matter.md"]
    assert "no such file" in reasons["missing.txt"]
    assert not report.ok


def test_oversized_file_is_refused_without_reading_it(
    settings: Settings, ingestor: Ingestor, tmp_path: Path
) -> None:
    big = tmp_path / "huge.pdf"
    with big.open("wb") as f:  # a sparse 50 MB file
        f.truncate(50 * 1024 * 1024)
    report = run_ingest(settings, [str(big)], ingestor=ingestor)
    [failure] = report.failed
    assert "52.4 MB" in (failure.reason or "") and "limit" in (failure.reason or "")


def test_chinese_article_is_ingested_and_retrievable(
    settings: Settings, ingestor: Ingestor, tmp_path: Path, embedder: Embedder
) -> None:
    doc = tmp_path / "zh.txt"
    doc.write_text(
        "北京市政府今天宣布，新的地铁线路将于明年开通。这条线路连接机场和市中心，全长四十公里。",
        encoding="utf-8",
    )
    report = run_ingest(settings, [str(doc)], ingestor=ingestor)
    assert report.count("added") == 1, report.outcomes
    store = App(settings).store
    [record] = store.records().values()
    assert record.title == "zh" and record.n_chunks >= 1


class _FailingStore(ChromaStore):
    """The real store, whose second batched write fails (a full disk, a lost server)."""

    writes = 0

    def write_articles(self, writes: Sequence[ArticleWrite]) -> None:
        type(self).writes += 1
        if type(self).writes == 2:
            raise OSError("disk full")
        super().write_articles(writes)


def test_a_failed_write_stops_the_run_and_keeps_what_was_written(
    settings: Settings, embedder: Embedder, samples: Path
) -> None:
    store = _FailingStore(settings, settings.embedding_model)
    ingestor = Ingestor(store, embedder, flush_chunks=1)  # one article per batch

    with pytest.raises(OSError, match="disk full"):
        run_ingest(settings, [str(samples)], ingestor=ingestor)

    records = App(settings).store.records()
    assert 1 <= len(records) < 6, "the first batch is stored, the run stopped at the failure"
    for record in records.values():
        chunks = chunks_of(App(settings).store, record.id)
        assert len(chunks) == record.n_chunks, "no half-written article"
    again = run_ingest(settings, [str(samples)], ingestor=App(settings, embedder=embedder).ingestor)
    assert again.count("unchanged") == len(records) and again.count("added") == 6 - len(records)
