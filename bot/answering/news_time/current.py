"""Current by default: a question with no year and no time word ("who won the world
series", "what's the death toll") means now, the day it is asked.

- Of two answering articles close in evidence (within CLOSE_MARGIN), the one dated nearer
  the day asked is quoted (stories.prefer_newest; "latest"/"now" widen it to
  stories.RECENCY_MARGIN).
- A question about now is answered from a newer report when one answers it: a sentence
  of a newer report within NEWER_MARGIN of the best evidence, or the lead of a newer
  report on the same topic (its best retrieved sentence within LEAD_MARGIN of the best).
  When the answer found is more than STALE_DAYS older than the day asked, the reports of
  the last STALE_DAYS are searched once more (the same query vector): a newer report
  seldom repeats the question's words and may rank below older ones that do. Their leads
  answer only with a span of the asked-for kind that the headline names too, or when the
  lead's evidence is within NEWER_MARGIN of the old answer's (as_well: "'Disclosure Day'
  ... came in at No. 1 at the domestic box office this weekend" for "whats number one at
  the box office", where a year-old report ranks a little higher).
  When the newer report that answers does so with a weak span (not of the strongest
  kind), its other retrieved sentences within LEAD_MARGIN compete too (topic_sentences):
  a lead may set the scene ("The votes have been cast ...") and leave the answer ("X is
  hosting the 98th Academy Awards") to a later sentence. A sentence
  that denies what is asked ("have never won a Super Bowl") or tells the past (names only
  years before its report's) answers nothing here.
  A news report says what happened in its first sentences, in words of its own ("Griner
  has been released"), while an older report's sentence repeats the question's words
  ("Brittney Griner's release ... detained in Russia") and ranks above it.
- A figure of a question's outcome ("how many people have died?") is updated by the newer
  reports of the same story: a sentence of a report dated after the quoted one, whose
  headline shares SAME_HEADLINE of the quoted report's headline words, that
  states a form of the outcome and a figure the quote does not ("the death toll climbed
  to 71" after "the number of people killed ... has risen to 58") is quoted instead,
  however low its evidence: a later report words the toll its own way.
- A sentence that tells the past (every year it names is before its report's year) is not
  the answer to a question about now while another sentence over the refusal bar is.
- When the article quoted is more than STALE_DAYS older than the day asked, the reply
  says so before anything else: "The newest I have on this is from 12 March 2023: ...".
  An older season's, ceremony's or vote's result is then never read as the current one.
- A question about an outcome ("who won the heisman", "did ovechkin break the record")
  asked just after the event is often answered by the store's preview of it ("will
  caucus Jan. 15", "a finalist for the Heisman"): a quote that states no form of the
  question's outcome verb (OUTCOMES), or tells an earlier one ("last season"), does not
  report the outcome, and the reply says "The newest I have on this is from ..." however
  recent its report (a dated report only: an undated page has no date to name). Nor does a
  quote that only supposes it: the outcome's verb after "could", "if", "expected to" ("he
  could still win"), or, for a question whether something happened or lasts ("did the swap
  happen", "is she still president"), any such word ("signs of", "no official
  confirmation", "will retain"). Nor does a quote that announces the contest still to be
  played (the final's preview: "the championship matchup is set after commanding wins from
  South Carolina and UConn", "will face"), whatever wins on the way it reports, nor one
  that reports only a knockout round's result ("Spain eliminated Portugal with a 1-0 win")
  for the title ("who ended up winning the world cup"). A question about what will be is
  not about an outcome. Outcomes include a signing ("where did she end up signing"), a
  collapse and a storm's hit ("how bad did hurricane erin hit": a forecast does not say).

STALE_DAYS was measured on the tuning sets: the article that answers a RealTime QA 2022
quiz question is 3 days older than the quiz at the median, 14 at the 99th percentile and
50 at most but one (a year); the casual tuning set's stale questions are asked 138 days
or more after the newest report that answers them. 45 days lies between, a factor of
about three from each.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, timedelta

from bot.answering.models import Answer, Citation
from bot.answering.news_time.endstate import earlier_round, end_state, still_to_play
from bot.answering.news_time.stories import figures
from bot.answering.news_time.timeframe import TimeFrame, is_dated
from bot.answering.quoting.extractive import Candidate
from vectorstore.lexical import tokenize
from vectorstore.models import ArticleRecord, parse_date
from vectorstore.retrieval import Filters

STALE_DAYS = 45
# Evidence within which the article dated nearer the day asked wins (bench/realtimeqa.py).
CLOSE_MARGIN = 0.05
# A newer report answers a question about now, rather than the best-matching older one,
# when its best sentence's evidence is within NEWER_MARGIN of the best (bench/casual.py's
# tuning set: the newer report with the current answer lay 0.02-0.07 under the older one;
# a newer report of another event, a game of the series asked about, 0.087 under).
NEWER_MARGIN = 0.08
# A newer report whose best retrieved sentence lies within LEAD_MARGIN of the best evidence
# is on the question's topic, and its lead may answer a question about now (bench/casual.py's
# tuning sets: the newer report with the current answer lay 0.05-0.23 under an older one
# that repeats the question's words; 0.28 for a year's Grammys).
LEAD_MARGIN = 0.3
# Share of the quoted report's headline words (figures left out) that a newer report's
# headline holds when it reports the same story ("Valdoria flood death toll rises to 58",
# "Valdoria floods: waters recede as the toll reaches 71": 3 of 5). Not IDF-weighted: in a
# store that holds mostly the story's reports its name is the commonest word.
SAME_HEADLINE = 0.5
STALE = "The newest I have on this is from {day}: "
# A word denied ("never won", "did not win", "hasn't won"): the word after the negation.
_DENIED = re.compile(
    r"\b(?:never|not|n[o']t|didn['’]t|hasn['’]t|haven['’]t|wasn['’]t|isn['’]t)\s+(?:yet\s+|been\s+)?(\w+)",
    re.I,
)
_NEGATION = re.compile(r"\b(?:never|not|no)\b|n['’]t\b", re.I)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d(?:s|’s|'s)?\b")
# A day of the report's week ("on Tuesday", "Wednesday night", "this week", "today"), not
# a day named as a thing's ("Monday's draft"): what a sentence about now says.
_NEWS_DAY = re.compile(
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day(?!['’]s)|this week|today|yesterday|tonight)\b", re.I
)
# An earlier season's, year's or vote's outcome ("won the cup last season").
_EARLIER = re.compile(r"\b(?:last|previous|past) (?:season|year|edition|time)\b|\ba year ago\b", re.I)


# Outcome verbs, each with the words a report of that outcome uses: a sentence that has
# none of them reports no such outcome (a preview, a finalist, a tie). A question's verb
# is the first of its words in this table (as tokenize() stems them: "winning" is "win").
_OUTCOMES = (
    "win wins won winning winner winners victory victorious beat beats beaten defeated defeats clinched",
    "lose loses lost losing loser defeated beaten",
    "break breaks broke broken breaking",
    "go goes went gone",
    "die dies died dead death kill kills killed",
    "elect elects elected",
    "pick picks picked",
    "choose chooses chose chosen",
    "resign resigns resigned resignation",
    "pass passes passed",
    "sign signs signed signing",
    "collapse collapses collapsed collapsing",
    "hit hits",
)
_ASKING = frozenset(
    ["who", "whos", "who's", "which", "what", "whats", "what's", "did", "does", "has", "have", "had"]
)
_VERB_REACH = 4  # words after the question word: "did the iranian president die"
# Words that only say an outcome came at last ("where did she end up signing", "who ended up
# winning"): left out before the question's verb is looked for.
_ENDED_UP = re.compile(r"\b(?:end|ends|ended|ending|wind|winds|wound) up\b", re.I)
# A question about whether something happened or lasts: "did ...", "has ... ", "is ... still",
# "who's replacing ...".
_OUTCOME_ASKED = re.compile(r"^(?:did|has|have|had)\b|\bstill\b|\breplac", re.I)
# A question about what comes next: a report of some weeks ago may tell one already past.
_NEXT = re.compile(r"\b(?:next|upcoming)\b", re.I)
# A question about what will be: its answer is a preview.
_FUTURE = re.compile(r"\b(?:will|next|going to|gonna|upcoming|when|whens|when['’]s)\b", re.I)
# Words of a sentence that supposes rather than reports: a preview, a hope, an opinion.
_SUPPOSED = re.compile(
    r"\b(?:could|would|might|if|whether|potentially|possibly|likely|will|(?:expected|set|poised) to"
    r"|(?:plans?|planning|hopes?|hoping|aims?) to|signs? of|no official confirmation)\b|['’]d like",
    re.I,
)
_MAY = re.compile(r"\bmay\b")  # lower case: not the month
_SUPPOSED_REACH = 3  # words from the supposing word to the outcome's: "could potentially win"
_TITLES = frozenset(["winner", "winners", "loser", "losers"])  # before a name: who someone is
# More words that report an outcome of a line (by its first verb), never read as a
# question's verb: "the toll rose to 58" reports deaths. Words of a win such as "awarded"
# or "claimed" are not here: stemmed, they match a preview's "Awards" and "claims".
_REPORTED_ALSO = {
    "die": "toll fatalities perished",
    "sign": "joined joins agreed inked",
    "collapse": "crumbled caved",
    # what a storm did: "how bad did the hurricane hit", not its forecast ("is expected to")
    "hit": "struck slammed battered pounded lashed ravaged devastated damaged destroyed flooded landfall"
    " killed",
}
OUTCOMES: dict[str, frozenset[str]] = {}
for _line in _OUTCOMES:
    _first = _line.split()[0]
    _forms = frozenset(tokenize(_line + " " + _REPORTED_ALSO.get(_first, "")))
    for _form in tokenize(_line):
        OUTCOMES.setdefault(_form, _forms)


def outcome_verb(question: str) -> frozenset[str] | None:
    """The forms of the outcome a question asks about, or None: a verb of OUTCOMES among
    the few words after the question word of its last sentence ("who won", "which team
    won", "did luke littler win"), not a word of the context a quiz opens with ("We also
    lost ...")."""
    last = re.split(r"(?<=[.!?])\s+", question.strip())[-1]
    words = _ENDED_UP.sub(" ", last).lower().split()
    at = next((i for i, w in enumerate(words) if w in _ASKING), None)
    if at is None:
        return None
    after = tokenize(" ".join(words[at + 1 : at + 1 + _VERB_REACH]))
    return next((OUTCOMES[w] for w in after if w in OUTCOMES), None)


def unreported(question: str, quote: str) -> bool:
    """Whether a quote leaves the outcome a question asks about unreported: it names none
    of the words that report it ("will caucus Jan. 15" for "who won the iowa caucus") but
    as a title before a name ("European Championship winner Rob Cross" says who he is, not
    who won) or as what may be ("could potentially win four gold medals"), or it tells an
    earlier one ("won the cup last season"), or it announces the contest still to be played
    ("the championship matchup is set after wins from South Carolina and UConn") or reports
    only a round on the way to the title (endstate.earlier_round). A
    question with no verb of OUTCOMES that asks whether something happened or lasts ("did
    the swap happen", "is she still president") is left unreported by a quote that only
    supposes ("no official confirmation"). A question about an end state ("is the port
    strike over", "did they catch the escapees") is left unreported by a quote that does
    not state that end (endstate.py)."""
    future = bool(_FUTURE.search(question))
    end = end_state(question)
    if end is not None and not future:
        return not _states_end(end, quote)
    forms = outcome_verb(question)
    if forms is None:
        return asks_outcome(question) and bool(supposing(quote))
    spans = list(re.finditer(r"\S+", quote))
    words = [m.group() for m in spans]
    guessed = supposing(quote) if not future else []
    if not future and (still_to_play(quote) or earlier_round(question, quote)):  # wins on the way there
        return True
    said = any(
        forms & set(tokenize(w)) and not _title(words, i) and not _guessed(quote, spans[i].start(), guessed)
        for i, w in enumerate(words)
    )
    return not said or bool(_EARLIER.search(quote))


def _states_end(end: re.Pattern[str], quote: str) -> bool:
    """Whether a quote states an end (a match of `end`) neither denied ("has not been
    caught") nor supposed ("will reopen", "expected to end")."""
    guessed = supposing(quote)
    return any(
        not _NEGATION.search(" ".join(quote[: m.start()].split()[-3:]))
        and not _guessed(quote, m.start(), guessed)
        for m in end.finditer(quote)
    )


def asks_outcome(question: str) -> bool:
    """Whether a question asks if something happened or still holds ("did the groundhog
    see his shadow", "is she still president", "whos replacing pat sajak"), not what will
    be ("when's the next debate")."""
    q = question.strip().lower()
    return bool(_OUTCOME_ASKED.search(q)) and not _FUTURE.search(q)


def supposing(quote: str) -> list[int]:
    """Where a quote says what may be, not what is: its words of supposition ("could",
    "if", "expected to", "signs of", "tune in to see if"), as character offsets."""
    return [m.start() for m in (*_SUPPOSED.finditer(quote), *_MAY.finditer(quote))]


def _guessed(quote: str, start: int, at: Sequence[int]) -> bool:
    """Whether the word at offset `start` follows a word of supposition (at one of the
    offsets `at`) within _SUPPOSED_REACH words ("could potentially win")."""
    return any(len(quote[a:start].split()) <= _SUPPOSED_REACH for a in at if a < start)


def _title(words: Sequence[str], i: int) -> bool:
    """Whether the word at `i` names who someone is, before their name ("winner Rob Cross")."""
    return words[i].lower() in _TITLES and i + 1 < len(words) and words[i + 1][:1].isupper()


def means_now(question: str, frame: TimeFrame) -> bool:
    """Whether a question asks about now: no time word (no window) and no year."""
    return not frame.window and not _YEAR.search(question)


def newer_reports(ranked: Sequence[Candidate], answering: Candidate, min_evidence: float) -> list[Candidate]:
    """The sentences of the reports dated after the one `answering` comes from (another
    story, not a copy) whose best sentence is within NEWER_MARGIN of the best evidence,
    in rank order: where a question about now is answered first (engine.py)."""
    record = answering.passage.article
    if not ranked or not is_dated(record):
        return []
    bar = max(min_evidence, ranked[0].score - NEWER_MARGIN)
    newer = {
        c.passage.article.id
        for c in ranked
        if c.score >= bar and _after(c.passage.article, record) and c.passage.article.story != record.story
    }
    return [c for c in ranked if c.passage.article.id in newer]


def newer_figure(
    question: str, quoted: Candidate, ranked: Sequence[Candidate], story: Collection[str] = ()
) -> Candidate | None:
    """The newest sentence among `ranked` of a newer report of the quoted one's story that
    states a form of the question's outcome with a figure the quote lacks, when the quote
    states the outcome with a figure; else None. The story's reports are `story` (the
    articles of the conversation's story) when given, else those whose headline holds
    SAME_HEADLINE of the quoted report's headline words."""
    forms = outcome_verb(question)
    record = quoted.passage.article
    if forms is None or not is_dated(record) or not _states(forms, quoted.text):
        return None
    # the headline's words that name its story: not its figure (the old one), nor the outcome's
    # words, which any report of such an outcome shares ("death toll rises")
    headline = {w for w in tokenize(record.title) if not w[:1].isdigit() and w not in forms}
    had = set(figures(quoted.text))

    def same_story(other: ArticleRecord) -> bool:
        if story:
            return other.id in story
        shared = len(headline & set(tokenize(other.title)))
        return bool(headline) and shared >= SAME_HEADLINE * len(headline)

    found = [
        c
        for c in ranked
        if _after(c.passage.article, record)
        and c.passage.article.story != record.story
        and _states(forms, c.text)
        and set(figures(c.text)) - had
        and same_story(c.passage.article)
    ]
    return max(found, key=lambda c: ((c.passage.article.date or "")[:10], c.score), default=None)


def _states(forms: frozenset[str], text: str) -> bool:
    """Whether a sentence states an outcome with a figure."""
    return bool(forms & set(tokenize(text))) and bool(figures(text))


def denies(question: str, sentence: str) -> bool:
    """Whether a sentence denies what a question asks: a word of the question after a
    negation ("12 teams have never won a Super Bowl" for "who won the super bowl")."""
    if _NEGATION.search(question):
        return False
    asked = set(tokenize(question))
    return any(set(tokenize(m.group(1))) & asked for m in _DENIED.finditer(sentence))


def history(candidate: Candidate) -> bool:
    """Whether a sentence tells the past, not its report's news: every year it names is
    before its report's year ("the Lions won four NFL championships (1935, 1952, 1953 and
    1957)" in a 2024 report)."""
    record = candidate.passage.article
    years = [int(y[:4]) for y in _YEAR.findall(candidate.text)]
    if not years or not is_dated(record) or not record.date:
        return False
    return max(years) < int(record.date[:4])


def untold_past(ranked: Sequence[Candidate], min_evidence: float) -> list[Candidate]:
    """The ranking without the sentences that tell the past (history: "The club last won
    the Premier League in the 2003-04 season" in a 2026 report) and say nothing of their
    report's days (_NEWS_DAY: "on Tuesday ... born on or after January 1, 2009" is news),
    when a sentence over the refusal bar remains; else `ranked` unchanged. What a question
    about now is answered from."""
    kept = [c for c in ranked if not history(c) or _NEWS_DAY.search(c.text)]
    return kept if kept and kept[0].score >= min_evidence else list(ranked)


def on_topic(ranked: Sequence[Candidate], best: float, min_evidence: float) -> list[Candidate]:
    """The sentences within LEAD_MARGIN of the best evidence (and over the refusal bar)."""
    bar = max(min_evidence, best - LEAD_MARGIN)
    return [c for c in ranked if c.score >= bar]


def recent_window(filters: Filters | None, today: date) -> Filters:
    """`filters` narrowed to the reports of the last STALE_DAYS before the day asked."""
    base = filters or Filters()
    since = (today - timedelta(days=STALE_DAYS)).isoformat()
    return replace(base, since=max(since, parse_date(base.since) or since) if base.since else since)


def asks_next(question: str) -> bool:
    """Whether a question asks what comes next ("whens the next gop debate")."""
    return bool(_NEXT.search(question))


def asks_latest(question: str, frame: TimeFrame) -> bool:
    """Whether a question asks what comes next ("whens the next gop debate") or, with a
    word of recency, what is now ("who's the prime minister now")."""
    return frame.recency or asks_next(question)


def after_window(filters: Filters | None, record: ArticleRecord, today: date) -> Filters | None:
    """`filters` narrowed to the reports dated after `record` (up to the day asked), or None
    when it is dated the day asked or undated: nothing newer to search."""
    if not is_dated(record) or not record.date or record.date[:10] >= today.isoformat():
        return None
    base = filters or Filters()
    since = (date.fromisoformat(record.date[:10]) + timedelta(days=1)).isoformat()
    return replace(base, since=max(since, parse_date(base.since) or since) if base.since else since)


def newer_topic_reports(
    ranked: Sequence[Candidate], answering: Candidate, min_evidence: float
) -> list[ArticleRecord]:
    """The report `answering` comes from and those dated after it (another story, not a
    copy) that are on the question's topic: their best sentence within LEAD_MARGIN of the
    best evidence. Their leads are read for a question about now (engine.py)."""
    record = answering.passage.article
    if not ranked or not is_dated(record):
        return []
    found: dict[str, ArticleRecord] = {}
    for c in on_topic(ranked, ranked[0].score, min_evidence):
        article = c.passage.article
        if (_after(article, record) and article.story != record.story) or article.id == record.id:
            found.setdefault(article.id, article)
    return list(found.values())


def topic_sentences(
    ranked: Sequence[Candidate], reports: Collection[ArticleRecord], min_evidence: float
) -> list[Candidate]:
    """The retrieved sentences of `reports` within LEAD_MARGIN of the best evidence, in
    rank order: a newer report's lead often sets the scene ("The votes have been cast ...")
    and its answer ("X is hosting the 98th Academy Awards") is further down, ranked under
    an older report's sentence that repeats the question's words."""
    if not ranked:
        return []
    ids = {r.id for r in reports}
    return [c for c in on_topic(ranked, ranked[0].score, min_evidence) if c.passage.article.id in ids]


def as_well(old: Candidate) -> float:
    """The evidence at which a sentence answers about as well as `old`: within NEWER_MARGIN
    of it. A lead of the last weeks' reports that ranks so close to the old answer is about
    the same thing, whether or not its headline names the answer."""
    return old.score - NEWER_MARGIN


def newer_than(candidate: Candidate, than: Candidate) -> bool:
    """Whether a sentence's report is dated after another's."""
    return _after(candidate.passage.article, than.passage.article)


def _after(article: ArticleRecord, than: ArticleRecord) -> bool:
    return is_dated(article) and (article.date or "")[:10] > (than.date or "")[:10]


def long_ago(record: ArticleRecord, today: date) -> bool:
    """Whether an article is more than STALE_DAYS older than the day asked."""
    if not is_dated(record) or record.date is None:
        return False
    return (today - date.fromisoformat(record.date[:10])).days > STALE_DAYS


def stale_lead(record: ArticleRecord) -> str:
    """ "The newest I have on this is from 12 March 2023: " """
    day = date.fromisoformat((record.date or "")[:10])
    return STALE.format(day=f"{day.day} {day:%B %Y}")


def flagged_stale(answer: Answer, cited: Citation, lead: str, old: bool) -> Answer:
    """An answer whose first citation is old (`old`) or does not report the outcome asked
    about, led by what says so."""
    return replace(answer, text=f"{lead}{answer.text}", stale=cited.date, old=old)
