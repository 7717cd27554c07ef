"""A story is one event, however many reports: which articles report the same event.

Wire copies (the same text on several sites) already share a story id at ingest
(ingest/identity/neardup.py, MinHash). A story here also gathers the later reports of the event
written anew (the second and third day of a flood, with new figures). Each article's
headline and opening (its first sentences, up to OPENING_CHARS, dateline removed) are
embedded together; two reports are of one event when they are dated within WINDOW_DAYS
of each other and

- their similarity reaches NAME_SIM and they share a name (a capitalised word that is not
  a weekday or a month, found inside a sentence of at least one of them), or
- their similarity reaches ALONE_SIM (no shared name needed);

and a report follows up a story (follows_up) when it shares FOLLOW_NAMES of the story's
names (of any of its reports) and a word of its headlines that says what happened
(lexicon.EVENTS: "Ostrel Hydro chief resigns after dam collapse" names the company and
the collapse), and its similarity to a report of the story within the window reaches
FOLLOW_SIM.

A shared name is never enough by itself: "a new bridge in Valdoria" and "floods in
Valdoria" share the place but reach only 0.44. Measured (bench/newsroom.py --grouping)
on tests/fixtures/newsroom: reports.jsonl, on which the thresholds were chosen (44
reports of 20 events, 10 of them sharing a place, a company or a kind of event with
another), pairwise precision 1.0 and recall 1.0; heldout.jsonl, written afterwards (22
reports of 12 events), 1.0 and 1.0; both stay so for NAME_SIM from 0.60 to 0.65. The
margins are thin on the first set: at 0.55 one company's job cuts and its product launch
(the same chief executive named) merge, at 0.70 the third day of a quake leaves its
story. Different events sharing a place reach at most 0.48; with no shared name at most
0.58 (floods in two countries on the same days), under ALONE_SIM.

Follow-ups (tests/fixtures/newsroom/followups.jsonl: 47 reports of 20 events,
resignations, arrests, verdicts, casualty updates, a fire put out, a road reopened, and
reports sharing two names of another event within its window): the two follow-ups the
similarity alone fails score 0.46 and 0.56 to their story; reports of another event that
share two of a story's names reach up to 0.59 on the three fixture sets (a company's job
cuts and its product launch) but share no event word with it. On the bench corpus
(bench/newsroom.py) the rule joins nothing wrongly: its paragraphs of one encyclopaedia
article share names and topic words ("dynasty", "system"), not events.

A new article joins the event of its most similar qualifying report (an earlier one or
one dated up to WINDOW_DAYS later); assignments are kept (SQLite), so a story never
splits or merges once it has been posted.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from bot.newsroom.db import NewsroomDB, ts
from bot.newsroom.lexicon import EVENTS
from vectorstore.embedding import Embedder
from vectorstore.lexical import tokenize
from vectorstore.sentences import split_sentences

WINDOW_DAYS = 4
NAME_SIM = 0.60
ALONE_SIM = 0.80
FOLLOW_SIM = 0.42  # a follow-up: FOLLOW_NAMES of the story's names and its event's word
FOLLOW_NAMES = 2
OPENING_CHARS = 300
# "VALDORIA CITY (Northern Wire) - ", "MESKEL, Valdoria - ": a place in capitals, a
# country, an agency
_DATELINE = re.compile(r"^\s*[A-Z][A-Z .'’-]+(?:,\s*[A-Z][\w .'’-]*)?\s*(?:\([^)]*\))?\s+[-–—]\s+")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
_CALENDAR = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "today",
        "yesterday",
    ]
)


@dataclass(frozen=True)
class Report:
    """One article as the story grouping sees it."""

    article_id: str
    day: str  # ISO date: the article's, else when it was first seen
    title: str
    opening: str
    url: str | None
    source: str | None
    scope: str
    story: str  # the wire-copy story id (ingest/identity/neardup.py)
    names: frozenset[str]
    vector: np.ndarray


@dataclass(frozen=True)
class Indexed:
    """A report with its event, as the index keeps it."""

    report: Report
    event_id: str
    seen_at: str


def opening_of(text: str, chars: int = OPENING_CHARS) -> str:
    """The first sentences of an article, up to `chars` (at least one), without a dateline."""
    text = _DATELINE.sub("", text.strip(), count=1)
    out: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        if out and size + len(sentence.text) > chars:
            break
        out.append(sentence.text)
        size += len(sentence.text) + 1
    return " ".join(out)


def _title_cased(title: str) -> bool:
    """ "Floods In Valdoria Kill 35": its words of four letters or more nearly all capitalised."""
    words = [w for w in _TOKEN.findall(title) if len(w) >= 4]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) / len(words) >= 0.8


def names_of(title: str, opening: str) -> frozenset[str]:
    """Capitalised words, lowercased, but weekdays and months. A word capitalised only
    where it opens a sentence is marked "^" ("^selmar"): it may be a name or any word, so it
    counts only against a report that has it inside a sentence (shares_name). A Title
    Cased headline is left out (every word is capitalised there)."""
    texts = [opening] if _title_cased(title) else [title, opening]
    found: list[tuple[bool, str]] = []  # (opens a sentence, word)
    for text in texts:
        for sentence in split_sentences(text):
            for i, word in enumerate(_TOKEN.findall(sentence.text)):
                name = word.removesuffix("'s").removesuffix("’s").lower()
                if word[0].isupper() and name not in _CALENDAR:  # "Thursday's" is no name
                    found.append((i == 0, name))
    inside = {w for first, w in found if not first}
    return frozenset(w if w in inside else f"^{w}" for _, w in found)


def shares_name(a: Report, b: Report) -> bool:
    """A name of one (inside a sentence) is a capitalised word of the other."""
    names_a = {w for w in a.names if not w.startswith("^")}
    names_b = {w for w in b.names if not w.startswith("^")}
    openers_a = {w[1:] for w in a.names if w.startswith("^")}
    openers_b = {w[1:] for w in b.names if w.startswith("^")}
    return bool(names_a & (names_b | openers_b) or names_b & openers_a)


def same_event(a: Report, b: Report) -> float | None:
    """Their similarity when they report one event (module docstring), else None."""
    if abs((date.fromisoformat(a.day) - date.fromisoformat(b.day)).days) > WINDOW_DAYS:
        return None
    similarity = float(a.vector @ b.vector)
    if similarity >= ALONE_SIM or (similarity >= NAME_SIM and shares_name(a, b)):
        return similarity
    return None


def embed_reports(embedder: Embedder, drafts: Sequence[Report]) -> list[Report]:
    """The drafts with their headline-and-opening vectors (unit length)."""
    if not drafts:
        return []
    vectors = embedder.embed([f"{d.title}. {d.opening}" for d in drafts]).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return [
        Report(d.article_id, d.day, d.title, d.opening, d.url, d.source, d.scope, d.story, d.names, v)
        for d, v in zip(drafts, vectors, strict=True)
    ]


def headline_words(report: Report) -> frozenset[str]:
    """The words of a headline that are not names, as the lexical index stems them
    ("floods" and "flood" are one word)."""
    names = set(tokenize(" ".join(n.lstrip("^") for n in report.names)))
    return frozenset(w for w in tokenize(report.title) if w not in names and not w.isdigit())


def shared_names(report: Report, story: Sequence[Report]) -> int:
    """How many of a report's names the story's reports have (a name opening a sentence
    counts against a name inside one, as in shares_name)."""
    inside = {w for r in story for w in r.names if not w.startswith("^")}
    anywhere = inside | {w[1:] for r in story for w in r.names if w.startswith("^")}
    mine = {w for w in report.names if not w.startswith("^")}
    openers = {w[1:] for w in report.names if w.startswith("^")}
    return len((mine & anywhere) | (openers & inside))


def follows_up(report: Report, story: Sequence[Report]) -> float | None:
    """Its similarity to the story when it is a follow-up of it (module docstring): within
    the window of a report of the story, FOLLOW_NAMES of the story's names and its event
    (a word of its headlines that says what happened: lexicon.EVENTS) shared, similarity
    FOLLOW_SIM."""
    day = date.fromisoformat(report.day)
    near = [r for r in story if abs((day - date.fromisoformat(r.day)).days) <= WINDOW_DAYS]
    if not near:
        return None
    names = shared_names(report, story)
    words = EVENTS & headline_words(report) & {w for r in story for w in headline_words(r)}
    similarity = max(float(report.vector @ r.vector) for r in near)
    if names >= FOLLOW_NAMES and words and similarity >= FOLLOW_SIM:
        return similarity
    return None


def choose_event(report: Report, candidates: Sequence[Indexed]) -> str:
    """The event `report` joins: a wire copy's, else the most similar qualifying report's
    or story's (a follow-up), else its own (a new event named after it)."""
    for c in candidates:
        if c.report.story == report.story:
            return c.event_id
    best: tuple[float, str] | None = None
    stories: dict[str, list[Report]] = {}
    for c in candidates:
        stories.setdefault(c.event_id, []).append(c.report)
        similarity = same_event(report, c.report)
        if similarity is not None and (best is None or similarity > best[0]):
            best = (similarity, c.event_id)
    for event_id, story in stories.items():
        similarity = follows_up(report, story)
        if similarity is not None and (best is None or similarity > best[0]):
            best = (similarity, event_id)
    return best[1] if best else report.article_id


class EventIndex:
    """Each article's event, kept in the newsroom's file once assigned."""

    def __init__(self, db: NewsroomDB) -> None:
        self._db = db

    def known(self, article_ids: Sequence[str]) -> dict[str, Indexed]:
        with self._db.read() as conn:
            return {i.report.article_id: i for i in _select(conn, "article_id", article_ids)}

    def members(self, event_ids: Sequence[str]) -> list[Indexed]:
        with self._db.read() as conn:
            return _select(conn, "event_id", event_ids)

    def since(self, day: str | None) -> list[Indexed]:
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM events WHERE day >= ?", (day or "",)).fetchall()
        return [_indexed(r) for r in rows]

    def assign(self, reports: Sequence[Report], now: datetime | None = None) -> list[Indexed]:
        """Give each new report an event (in order of day), and keep it; reports already
        indexed keep theirs. Returns all of them, indexed."""
        ordered = sorted(reports, key=lambda r: r.day)
        seen_at = ts(now or datetime.now(UTC))
        with self._db.write() as conn:
            done = {
                i.report.article_id: i for i in _select(conn, "article_id", [r.article_id for r in ordered])
            }
            pool = [i for i in _around(conn, [r.day for r in ordered]) if i.report.article_id not in done]
            pool += list(done.values())
            for report in ordered:
                if report.article_id in done:
                    continue
                indexed = Indexed(report, choose_event(report, pool), seen_at)
                _insert(conn, indexed)
                done[report.article_id] = indexed
                pool.append(indexed)
        return [done[r.article_id] for r in reports]


_COLUMNS = "article_id, event_id, day, seen_at, title, url, source, scope, story, names, vector"


def _shift(day: str, days: int) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() + days).isoformat()


def _around(conn: sqlite3.Connection, days: list[str]) -> list[Indexed]:
    """The indexed reports within WINDOW_DAYS of any of these days."""
    if not days:
        return []
    low, high = _shift(min(days), -WINDOW_DAYS), _shift(max(days), WINDOW_DAYS)
    rows = conn.execute(f"SELECT {_COLUMNS} FROM events WHERE day BETWEEN ? AND ?", (low, high))
    return [_indexed(r) for r in rows.fetchall()]


def _select(conn: sqlite3.Connection, column: str, values: Sequence[str]) -> list[Indexed]:
    out: list[Indexed] = []
    values = list(values)
    for start in range(0, len(values), 500):
        part = values[start : start + 500]
        marks = ",".join("?" * len(part))
        rows = conn.execute(f"SELECT {_COLUMNS} FROM events WHERE {column} IN ({marks})", part).fetchall()
        out.extend(_indexed(r) for r in rows)
    return out


def _insert(conn: sqlite3.Connection, i: Indexed) -> None:
    r = i.report
    conn.execute(
        f"INSERT OR IGNORE INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            r.article_id,
            i.event_id,
            r.day,
            i.seen_at,
            r.title,
            r.url,
            r.source,
            r.scope,
            r.story,
            json.dumps(sorted(r.names)),
            r.vector.astype(np.float16).tobytes(),
        ),
    )


def _indexed(row: tuple[object, ...]) -> Indexed:
    article_id, event_id, day, seen_at, title, url, source, scope, story, names, blob = row
    assert isinstance(blob, bytes)
    report = Report(
        article_id=str(article_id),
        day=str(day),
        title=str(title),
        opening="",
        url=None if url is None else str(url),
        source=None if source is None else str(source),
        scope=str(scope),
        story=str(story),
        names=frozenset(json.loads(str(names))),
        vector=np.frombuffer(blob, dtype=np.float16).astype(np.float32),
    )
    return Indexed(report, str(event_id), str(seen_at))
