"""News time end to end on the team's dated fixtures, with the clock fixed:
a developing story in three updates, five wire copies among other stories, and articles
from yesterday, last month and last year relative to Friday 2026-03-20."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.app import App
from bot.settings import Settings
from tests.helpers import ingested_app
from vectorstore.embedding import Embedder
from vectorstore.retrieval import Filters, Retriever

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "news_time" / "articles.jsonl"
FRIDAY = date(2026, 3, 20)
THIS_WEEK = ("2026-03-14", "2026-03-20")
COPIES = {"tessaly-wire", "tessaly-herald", "tessaly-coastal", "tessaly-morning", "tessaly-business"}


@pytest.fixture(scope="module")
def news_app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    app = ingested_app(tmp_path_factory.mktemp("news_time"), FIXTURE, embedder, onnx_dir, 13)
    yield app


@pytest.fixture
def engine(news_app: App) -> AnswerEngine:
    return AnswerEngine(news_app.retriever, AnswerOptions(), clock=lambda: FRIDAY)


def test_latest_answers_from_the_newest_update(engine: AnswerEngine) -> None:
    answer = engine.answer("What is the latest death toll of the Meloria floods?")
    assert answer.citations[0].article_id == "meloria-3"
    assert "186" in answer.text and "112" not in answer.text


def test_an_older_figure_is_followed_by_the_later_report(engine: AnswerEngine) -> None:
    answer = engine.answer("How many people died in the floods in Meloria province in 2026?")
    assert answer.citations[0].article_id == "meloria-1" and "40" in answer.text
    assert answer.text.endswith("A later report, 19 Mar 2026, puts it at 186 [2].")
    later = answer.citations[1]
    assert (later.number, later.article_id, later.updates) == (2, "meloria-3", 1)
    assert answer.as_of == "2026-03-19"


def test_last_year_does_not_cite_this_weeks_article(engine: AnswerEngine) -> None:
    answer = engine.answer("What plan did Tessaly's city council approve last year?")
    assert not answer.refused
    assert [c.article_id for c in answer.citations] == ["tessaly-plan-2025"]
    assert all(p.article.date and p.article.date.startswith("2025") for p in answer.passages)


def test_a_time_no_article_covers_is_answered_as_such(engine: AnswerEngine) -> None:
    answer = engine.answer("What was reported in January 2026 about the floods?")
    assert answer.refused and answer.text.startswith("I have no articles dated 2026-01-01 to 2026-01-31")
    answer = engine.answer("What happened in 2010?")
    assert answer.refused and "2010-01-01 to 2010-12-31" in answer.text


def test_five_copies_take_one_slot_cited_as_also_reported_by(engine: AnswerEngine) -> None:
    answer = engine.answer("Where does the Tessaly desalination plant get its water?")
    top = answer.passages[:5]
    assert len(top) == 5 and len({p.article.id for p in top if p.article.id in COPIES}) == 1
    assert len({p.article.story for p in top}) == len({p.article.id for p in top}), "no two copies"
    cited = answer.citations[0]
    assert cited.article_id in COPIES
    assert {a.article_id for a in cited.also_reported_by} == COPIES - {cited.article_id}


def test_what_happened_this_week_lists_this_weeks_stories_newest_first(engine: AnswerEngine) -> None:
    answer = engine.answer("What happened this week?")
    assert answer.mode == "overview" and not answer.refused
    dates = [c.date or "" for c in answer.citations]
    assert dates == sorted(dates, reverse=True)
    assert all(THIS_WEEK[0] <= d <= THIS_WEEK[1] for d in dates)
    ids = [c.article_id for c in answer.citations]
    assert ids[0] == "meloria-3" and sum(i in COPIES for i in ids) == 1
    assert {"norland-rates", "kestrel-robot"} <= set(ids) and "orvale-bridge" not in ids
    lines = answer.text.splitlines()
    assert len(lines) == len(ids) + 1 and len(answer.text) <= 2000
    assert lines[1].startswith("1. Meloria flood death toll reaches 186 as waters recede (19 Mar 2026): ")


def test_a_question_about_now_is_answered_from_a_newer_report(engine: AnswerEngine) -> None:
    answer = engine.answer("How many people died in the floods in Meloria province?")
    assert answer.citations[0].article_id != "meloria-1", "not the first report's figure"
    assert "40" not in answer.text and "186" in answer.text


def test_the_later_report_note_stays_within_the_answers_length(news_app: App) -> None:
    question = "How many people died in the floods in Meloria province in 2026?"
    full = AnswerEngine(news_app.retriever, AnswerOptions(), clock=lambda: FRIDAY).answer(question)
    assert "A later report" in full.text
    for limit in (len(full.text) - 15, 110):
        options = AnswerOptions(max_answer_chars=limit)
        answer = AnswerEngine(news_app.retriever, options, clock=lambda: FRIDAY).answer(question)
        assert len(answer.text) <= limit and "40" in answer.text, "the answer is kept, within its length"
        first = answer.citations[0]
        assert f"{first.quote} [1]" in answer.text and full.citations[0].quote.startswith(
            first.quote.rstrip("…")
        )
        if "A later report" in answer.text:
            assert answer.citations[1].updates == 1


def test_summarize_a_topic_lists_its_stories(engine: AnswerEngine) -> None:
    answer = engine.answer("Summarize the news about Tessaly")
    ids = [c.article_id for c in answer.citations]
    assert answer.mode == "overview" and len(ids) == 2
    assert ids[0] in COPIES and ids[1] == "tessaly-plan-2025"


def test_the_callers_scope_still_applies(engine: AnswerEngine) -> None:
    answer = engine.answer("What happened this week?", filters=Filters(scopes=("123",)))
    assert answer.refused and answer.citations == []


def test_wikinews_tsunami_toll_latest_and_later_report(
    tmp_path: Path, embedder: Embedder, onnx_dir: Path
) -> None:
    """Two Wikinews reports of the tsunami's toll, a day apart."""
    wikinews = Path(__file__).resolve().parents[5] / "shared" / "eval" / "wikinews" / "articles.jsonl"
    if not wikinews.exists():
        pytest.skip("../shared/eval is not beside this checkout")
    settings = Settings(_env_file=None, newsdesk_data_dir=tmp_path / "wn", embedding_onnx_dir=onnx_dir)  # type: ignore[call-arg]
    app = App(settings, embedder=embedder, chat=None)
    assert app.ingest([str(wikinews)]).ok
    engine = AnswerEngine(app.retriever, AnswerOptions(), clock=lambda: FRIDAY)  # old news: newest date rules
    latest = engine.answer("What is the latest death toll of the tsunami?")
    assert "80,000" in latest.text and latest.citations[0].date == "2004-12-29"
    toll = engine.answer("How many people died in the tsunami in 2004?")
    assert "60,000" in toll.text and toll.text.endswith("A later report, 29 Dec 2004, puts it at 80,000 [2].")
    now = engine.answer("How many people died in the tsunami?")  # current by default
    assert "80,000" in now.text and now.stale == "2004-12-29" and "later report" not in now.text
    week = engine.answer("What happened this week?")
    assert week.mode == "overview" and all(
        "2005-01-01" <= (c.date or "") <= "2005-01-07" for c in week.citations
    )


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.texts: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def embed(self, texts: list[str]) -> object:
        self.texts += list(texts)
        return self._inner.embed(texts)


def test_a_question_is_embedded_once_however_many_passes(news_app: App, embedder: Embedder) -> None:
    """A soft window tried first, then everything (the fallback), and a thread's articles
    before both: three retrieval passes, one query embedding."""
    counting = CountingEmbedder(embedder)
    retriever = Retriever(news_app.retriever.store, counting)  # type: ignore[arg-type]
    engine = AnswerEngine(retriever, AnswerOptions(), clock=lambda: FRIDAY)
    engine.answer("What did the Norland mint print last week?", prefer=["tessaly-plan-2025"])
    assert counting.texts == ["What did the Norland mint print?"]
