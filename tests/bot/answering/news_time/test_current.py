"""Questions about now (bot/answering/news_time/current.py) over written reports
(tests/fixtures/current): a newer report's lead answers though an older report repeats the
question's words; a report of the last weeks is searched before an old answer is flagged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.answering.engine import AnswerEngine, AnswerOptions
from bot.answering.news_time import current
from bot.answering.news_time.current import denies, history, recent_window, untold_past
from bot.answering.news_time.outcome import unreported
from bot.answering.quoting.answerability import asks
from bot.answering.quoting.extractive import Candidate
from bot.app import App
from tests.helpers import ingested_app
from vectorstore.embedding import Embedder
from vectorstore.models import ArticleRecord, Passage
from vectorstore.retrieval import Filters

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "current" / "articles.jsonl"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, onnx_dir: Path) -> Iterator[App]:
    yield ingested_app(tmp_path_factory.mktemp("current"), FIXTURE, embedder, onnx_dir, 17)


def _engine(app: App, top_k: int = 5) -> AnswerEngine:
    return AnswerEngine(app.retriever, AnswerOptions(top_k=top_k))


def test_a_newer_reports_lead_answers_a_question_about_now(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = date(2026, 1, 14)
    answer = _engine(app).answer("who won the vardon cup", asked_at=asked)
    assert not answer.refused and answer.citations[0].article_id == "vardon-result"
    assert "Ember City Foxes beat the Harlow Hornets" in answer.text
    monkeypatch.setattr(current, "LEAD_MARGIN", 0.0)  # no newer report's lead read
    assert (
        _engine(app).answer("who won the vardon cup", asked_at=asked).citations[0].article_id
        == "vardon-preview"
    )


def test_the_last_weeks_reports_are_searched_before_an_old_answer_is_flagged(app: App) -> None:
    """One passage read (top_k=1): the old report that repeats the question's words; the
    new chair is found in the lead of a report of the last weeks, named by its headline."""
    answer = _engine(app, top_k=1).answer("who chairs the orvale port board", asked_at=date(2026, 6, 20))
    assert not answer.refused and answer.stale is None
    assert answer.citations[0].article_id == "orvale-board-new" and "Mara Voss" in answer.text


def _candidate(day: str, text: str) -> Candidate:
    record = ArticleRecord("a", "a", "h", 1, date=day, date_source="published")
    passage = Passage("a:0", record, 0, text, 0, len(text), 1.0)
    return Candidate(passage, text, 0, len(text), 0.5, 0.5, 0.5, np.zeros(3, dtype=np.float32))


def test_a_sentence_that_denies_what_is_asked_does_not_answer_it() -> None:
    assert denies("who won the super bowl", "The Lions are among 12 teams that have never won a Super Bowl.")
    assert denies("who won the cup", "The Hornets haven't won the cup since 1990.")
    assert not denies("who won the super bowl", "The Chiefs won the Super Bowl on Sunday.")
    assert not denies("who won the super bowl", "The Chiefs, who had not played since January, won it.")
    assert not denies("which team has never won the cup", "The Foxes have never won the cup.")


def test_a_sentence_that_names_only_earlier_years_tells_the_past() -> None:
    assert history(
        _candidate("2024-01-20", "The Lions won four NFL championships (1935, 1952, 1953 and 1957).")
    )
    assert not history(_candidate("2024-01-20", "The Lions won in 1957 and again in 2024."))
    assert not history(_candidate("2024-01-20", "The Lions won on Sunday."))


def test_a_question_about_now_is_not_answered_from_the_past() -> None:
    """A sentence about years before its report's yields to one over the refusal bar that
    is not; with none such, the ranking stays as it is."""
    past = replace(
        _candidate("2026-05-20", "The Foxes last won the Vardon Cup in the 2003-04 season."), score=0.7
    )
    now = replace(
        _candidate("2026-05-20", "The Foxes are champions again after a 2-0 win on Saturday."), score=0.5
    )
    assert untold_past([past, now], 0.36) == [now]
    dated = replace(
        _candidate("2026-05-20", "The Foxes won on Tuesday, their first cup since 2004."), score=0.7
    )
    assert untold_past([dated, now], 0.36) == [dated, now]  # this week's news that names an old year
    weak = replace(now, score=0.2)
    assert untold_past([past, weak], 0.36) == [past, weak]


def test_the_recent_window_is_the_weeks_before_the_day_asked() -> None:
    day = date(2026, 6, 20)
    assert recent_window(None, day).since == "2026-05-06"
    assert recent_window(Filters(since="2026-06-01"), day).since == "2026-06-01"  # a narrower one stays
    assert recent_window(Filters(sources=("Wire",)), day).sources == ("Wire",)


def test_a_question_in_an_article_is_never_its_answer() -> None:
    assert asks("Who won the Super Bowl coin toss?")
    assert asks("“Who will win the Vardon Cup?”")
    assert not asks("The Patriots won the coin toss.")


def test_a_quote_without_the_outcome_asked_about_leaves_it_unreported() -> None:
    """A preview of the event (the store's newest report, days before the result) states
    no form of the question's outcome verb; a report of the result does."""
    assert unreported("who won the iowa caucus", "Iowa Republicans will caucus Jan. 15 to pick a nominee.")
    assert unreported("did ovechkin break gretzkys record yet", "Ovechkin tied Gretzky's goal record Friday.")
    assert not unreported("who won the vardon cup", "The Ember City Foxes beat the Harlow Hornets 3-1.")
    assert not unreported("who won the heisman", "Jayden Daniels won the Heisman Trophy on Saturday.")
    assert not unreported("did the president die in the crash", "The president was killed in the crash.")
    assert not unreported("whats the happiest country", "Finland is the happiest country.")  # no outcome verb
    quiz = "We also lost actress Nichelle Nichols this week. Which role did she bring to life?"
    assert not unreported(quiz, "Nichols was best known as Lt. Nyota Uhura.")  # "lost": the quiz's context
    last = "The Hornets won the Vardon Cup last season and are favourites again."
    assert unreported("who won the vardon cup", last)  # an earlier season's outcome


def test_a_toll_reports_deaths() -> None:
    """A toll is reported in words other than the question's verb; such a report is not
    flagged as the newest the store has."""
    assert not unreported("whats the death toll from the floods", "The toll rose to 58 on Friday.")
    assert not unreported("whats the death toll from the floods", "Fatalities reached 58 on Friday.")
    assert unreported("whats the death toll from the floods", "Rain is forecast until Friday.")


def test_a_reply_that_reports_the_outcome_is_not_flagged(app: App) -> None:
    """Asked three days after the result: the report of it answers, with no "newest I have"."""
    answer = _engine(app).answer("who won the vardon cup", asked_at=date(2026, 1, 14))
    assert answer.citations[0].article_id == "vardon-result"
    assert answer.stale is None and not answer.text.startswith("The newest I have")


def test_only_a_dated_report_is_flagged_as_the_newest_i_have(app: App) -> None:
    """A preview's quote leaves the outcome unreported: a dated report's reply says how new
    it is, an undated page (an encyclopedia article) is never given a date."""
    news = _engine(app).news
    plan = news.plan("who won the vardon cup", None, date(2026, 1, 10))
    preview = "The Vardon Cup final is set for Saturday at Quay Park."
    dated = ArticleRecord("p", "Preview", "h", 1, date="2026-01-09", date_source="published")
    assert news.stale_lead(dated, plan, preview) == "The newest I have on this is from 9 January 2026: "
    assert news.stale_lead(dated, plan, "The Foxes beat the Hornets 3-1.") == ""
    assert news.stale_lead(ArticleRecord("u", "Vardon Cup", "h", 1), plan, preview) == ""


def test_a_title_before_a_name_reports_no_outcome() -> None:
    """ "Two-time Harbour Open winner Tom Reyl" says who he is, not who won what was asked;
    a win said of someone does report it."""
    titled = "Mara Lind knocked out two-time Harbour Open winner Tom Reyl to secure a place in the final."
    assert unreported("did mara lind win the darts", titled)
    assert not unreported("did mara lind win the darts", "Mara Lind is the winner of the Harbour Open.")
    assert not unreported("who won the harbour open", "The winner, Mara Lind, took the title in four sets.")


def test_a_recent_preview_is_flagged_but_not_as_old_news(app: App) -> None:
    """Asked the day after the preview (before the result), the reply says it is the
    newest report but not that it is old; months later the result is old news."""
    preview = _engine(app).answer("who won the vardon cup", asked_at=date(2026, 1, 10))
    assert preview.citations[0].article_id == "vardon-preview"
    assert preview.stale == "2026-01-09" and not preview.old
    later = _engine(app).answer("who won the vardon cup", asked_at=date(2026, 5, 1))
    assert later.citations[0].article_id == "vardon-result" and later.stale == "2026-01-11" and later.old


def test_a_quote_that_supposes_the_outcome_leaves_it_unreported() -> None:
    """Asked just after the event, the store's report before it says what may happen
    ("could win", "signs of", "no official confirmation"): it does not report the outcome.
    A sentence that states it is never flagged, whatever else it supposes, and a question
    about what will be is not about an outcome."""
    assert unreported("how many golds did mara lind win", "Lind could potentially win four gold medals.")
    assert unreported(
        "did vance win the runoff", "Vance said he could still win if the race went to a runoff."
    )
    assert unreported(
        "did the prisoner swap happen", "Signs of a swap multiplied but there was no official confirmation."
    )
    assert unreported(
        "is dana cole still the mayor", "Mayor Dana Cole will keep her job after a council vote."
    )
    assert unreported(
        "did the groundhog see his shadow", "Crowds tune in to see if the groundhog sees his shadow."
    )
    assert unreported(
        "whos replacing the host", "There's one person I'd like to see take the gig: Vera Lane."
    )
    assert not unreported("how many golds did mara lind win", "Lind won four gold medals and could win more.")
    assert not unreported("did vance win the runoff", "Vance won the runoff on Sunday with 52% of the vote.")
    assert not unreported(
        "did the prisoner swap happen", "The prisoner swap took place in Ankara on Thursday."
    )
    assert not unreported("is dana cole still the mayor", "Dana Cole is the mayor of Quay City.")
    assert not unreported("whens the next debate", "The next debate could be held on Nov. 8 in Miami.")
    assert not unreported("who will win the vardon cup", "The Foxes are expected to win the Vardon Cup.")
    assert not unreported("what did the mayor say", "The mayor said the bridge could reopen in May.")


def test_a_question_about_an_end_state_is_answered_only_by_a_quote_that_states_it() -> None:
    """Asked while a strike, a fire or a manhunt is under way, the newest report tells the
    state before the end asked about: it does not report the end. A quote that states the
    end ("is over", "contained", "were captured", "ratified") does; a question about what
    will be is not about an end state."""
    strike = "Dockworkers at the Harlow port are officially on strike with no new labor deal in hand."
    assert unreported("is the harlow port strike over", strike)
    assert not unreported(
        "is the harlow port strike over", "The Harlow port strike is over after a deal Friday."
    )
    assert not unreported("is the harlow port strike over", "Dockworkers ended their strike on Friday.")
    assert unreported("is the harlow port strike over", "The strike is not over, the union said.")
    fire = "A fire in Orvale has set more than 3,000 acres ablaze, with over 200 homes lost."
    assert unreported("is the orvale fire contained yet", fire)
    assert not unreported("is the orvale fire contained yet", "The Orvale fire was fully contained Sunday.")
    assert unreported("did they catch the orvale jail escapees", "Police hunted Wednesday for four inmates.")
    assert not unreported("did they catch the orvale jail escapees", "All four inmates were captured Friday.")
    assert not unreported("did they catch the orvale jail escapees", "Police caught the last inmate Friday.")
    offer = "In September, 95% of the machinists rejected the company's contract offer."
    assert unreported("did the machinists accept the new offer", offer)
    assert not unreported(
        "did the machinists accept the new offer", "The machinists voted to ratify the offer."
    )
    assert unreported("is harbour air flying again", "Pilots refused an order to return to work.")
    assert not unreported("is harbour air flying again", "Harbour Air resumed flights on Sunday.")
    assert unreported("is the orvale school open again", "Schools will reopen after the strike ends.")
    assert not unreported("when will the harlow port strike be over", strike)  # about what will be


def test_a_newer_reports_sentence_answers_when_its_lead_does_not(app: App) -> None:
    """The newer report's lead sets the scene ("The ballots are in ..."); its sentence that
    names this year's host ranks well under the older report's, which repeats the
    question's words, and is quoted: a question about now is answered from the newest
    report that answers it."""
    answer = _engine(app).answer("who's hosting the harbour film awards", asked_at=date(2026, 3, 12))
    assert not answer.refused and answer.stale is None
    assert answer.citations[0].article_id == "harbour-awards-2026" and "Ada Kell" in answer.text


def test_a_recent_lead_that_answers_about_as_well_as_the_old_answer_replaces_it(app: App) -> None:
    """One passage read (top_k=1): last year's report that repeats the question's words.
    The search of the last weeks finds this week's report, whose lead names the new
    number one but whose headline does not; it ranks close to the old answer, so it
    answers (current.as_well) rather than "The newest I have on this is from ..."."""
    answer = _engine(app, top_k=1).answer(
        "whats number one on the tidewater chart", asked_at=date(2026, 6, 16)
    )
    assert not answer.refused and answer.stale is None
    assert answer.citations[0].article_id == "tidewater-chart-2026" and "Low Bells" in answer.text


def test_a_preview_of_the_final_leaves_the_title_unreported() -> None:
    """The final's preview names the wins on the way there ("after wins from the Foxes and
    the Hornets"): it announces the contest still to be played, not who won the title. A
    report of the final is not a preview, and a question about what will be wants one."""
    preview = (
        "The Vardon Cup final matchup is set after commanding wins from the Foxes and the Hornets "
        "on Friday. It'll be a rematch of the 2022 final on Sunday."
    )
    assert unreported("who won the vardon cup", preview)
    assert unreported("who won the vardon cup", "The Foxes beat the Rams and will face the Hornets Sunday.")
    assert not unreported("who won the vardon cup", "The Foxes beat the Hornets 3-1 to win the Vardon Cup.")
    assert not unreported("who will win the vardon cup", preview)


def test_an_answer_from_before_the_time_asked_about_is_flagged(app: App) -> None:
    """ "this year" asked the next year (no report dated in it): answered from last year's
    report, the reply says how new it is; asked in the same year, it does not."""
    later = _engine(app).answer("who won the vardon cup this year", asked_at=date(2027, 3, 1))
    assert later.citations[0].article_id.startswith("vardon") and later.old
    assert later.stale == later.citations[0].date and later.text.startswith(
        "The newest I have on this is from "
    )
    same = _engine(app).answer("who won the vardon cup this year", asked_at=date(2026, 2, 1))
    assert same.citations[0].article_id.startswith("vardon") and same.stale is None


def test_a_signing_a_collapse_and_a_storms_hit_are_outcomes() -> None:
    """The free agency preview does not say where she signed, the report of crews shoring
    up a building does not say it fell, the forecast does not say what the storm did: each
    leaves the outcome asked about unreported. A report of it does ("end up" asks for the
    outcome, it is no verb of its own)."""
    preview = "Dana Roe is the biggest free agent on the market and a host of teams are courting her."
    assert unreported("where did dana roe end up signing", preview)
    assert not unreported("where did dana roe end up signing", "Dana Roe signed with the Quay Comets.")
    assert not unreported(
        "where did dana roe end up signing", "Roe agreed to a one-year deal with the Comets."
    )
    shored = "Crews worked to stabilize an Orvale high-rise after two support columns buckled."
    assert unreported("did that orvale building collapse", shored)
    assert not unreported("did that orvale building collapse", "The Orvale high-rise collapsed on Friday.")
    forecast = "Hurricane Lena is expected to stay hundreds of miles offshore, forecasters said."
    assert unreported("how bad did hurricane lena hit the coast", forecast)
    assert unreported("how bad did hurricane lena hit the coast", "Lena is expected to hit the coast Friday.")
    assert not unreported(
        "how bad did hurricane lena hit the coast", "Hurricane Lena battered the coast, flooding 300 homes."
    )


def test_a_knockout_rounds_win_is_not_the_title() -> None:
    """ "Who won the cup", asked after the final: a report of a knockout round ("eliminated",
    "the round of 16") names a win on the way there, not the title. A report of the final
    does, and a question about a game is answered by its round's result."""
    round_of_16 = (
        "First, the Foxes eliminated the Rams with a 1-0 win in what might be Lund's final cup game."
    )
    assert unreported("so who ended up winning the vardon cup", round_of_16)
    assert unreported("who won the vardon cup", "The Foxes advanced to the semifinals with a 2-1 win.")
    assert not unreported("who won the vardon cup", "The Foxes beat the Rams in the final to win the title.")
    assert not unreported("did the foxes win last night", "The Foxes eliminated the Rams with a 1-0 win.")


def test_the_next_one_is_searched_for_in_the_reports_after_the_one_quoted(app: App) -> None:
    """One passage read (top_k=1): the spring report, which names the regatta of April 4
    (past on the day asked). A question about what comes next searches the reports dated
    after it, and the autumn date is quoted."""
    answer = _engine(app, top_k=1).answer("whens the next quay regatta", asked_at=date(2026, 5, 1))
    assert not answer.refused and answer.stale is None
    assert answer.citations[0].article_id == "quay-regatta-autumn" and "Sept. 12" in answer.text


def test_a_window_that_runs_to_the_day_asked_is_answered_from_its_newest_report(app: App) -> None:
    """ "This year": the guide that says he has never won ranks first; the report of the
    playoff, dated after it in the same window, answers."""
    answer = _engine(app).answer("who won the rell open this year", asked_at=date(2026, 4, 15))
    assert not answer.refused and answer.citations[0].article_id == "rell-open-result"
    assert "beat Ash Pell" in answer.text


def test_of_the_newer_reports_that_answer_the_newest_is_quoted(app: App) -> None:
    """Last week's report names the film that topped the box office then, in words close
    to the question's; this week's report names the new one as surely (its headline names
    it too) and is dated after it: a question about now is answered from it."""
    answer = _engine(app).answer("whats the top movie at the quay box office rn", asked_at=date(2026, 12, 1))
    assert not answer.refused and answer.citations[0].article_id == "quay-box-office-dec"
    assert "Lantern Bay" in answer.text


def _scored(article: str, day: str, text: str, score: float) -> Candidate:
    record = ArticleRecord(article, article, "h", 1, date=day, date_source="published")
    passage = Passage(f"{article}:0", record, 0, text, 0, len(text), 1.0)
    return Candidate(passage, text, 0, len(text), score, score, score, np.zeros(3, dtype=np.float32))


def test_a_newer_report_is_measured_from_the_best_sentence_that_is_no_question() -> None:
    """The older report's heading repeats the question ("How many people watched the
    Vardon Cup final?") and ranks first; the newer report's figure is measured from the
    older report's best sentence that answers, and is within NEWER_MARGIN of it."""
    ranked = [
        _scored("old", "2026-01-12", "How many people watched the Vardon Cup final?", 0.70),
        _scored("old", "2026-01-12", "An average of 11 million viewers watched the final.", 0.62),
        _scored("new", "2026-04-02", "The final drew 11.5 million viewers, updated ratings show.", 0.58),
    ]
    newer = current.newer_reports(ranked, ranked[1], 0.36)
    assert [c.passage.article.id for c in newer] == ["new"]


def test_next_to_is_not_asking_what_comes_next() -> None:
    assert not current.asks_next("who sat next to trump at the inauguration")
    assert current.asks_next("when is the next debate")
    assert current.asks_next("who is the upcoming host")


@pytest.mark.parametrize(
    ("question", "quote"),
    [
        ("who hit the game winning shot", "Curry sank the game-winning three with two seconds left."),
        ("which stocks hit record highs today", "Nvidia and Apple closed at record highs on Tuesday."),
        ("what did the protesters signs say", "Protesters carried placards reading 'Hands off our parks'."),
    ],
)
def test_a_common_verb_is_no_outcome_asked_about(question: str, quote: str) -> None:
    """ "hit" is a storm's outcome only with a storm asked about; "signs" is a noun."""
    assert not unreported(question, quote)


def test_a_storms_hit_and_a_signing_are_still_outcomes() -> None:
    assert unreported("how bad did hurricane erin hit", "Hurricane Erin is expected to strengthen.")
    assert unreported("where did she end up signing", "She is weighing offers from three clubs.")
