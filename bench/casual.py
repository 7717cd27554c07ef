"""Casual questions: short questions typed the way members type them, each asked
on a day, over the RealTime QA articles, judged on what a member sees.

    .venv/bin/python bench/casual.py                 # the tuning set, 2022 articles
    .venv/bin/python bench/casual.py --show 20       # ... and 20 bad replies, to read
    .venv/bin/python bench/casual.py --split tune2   # the second tuning set, 2023-2026 articles
    .venv/bin/python bench/casual.py --held-out      # the kept-aside set: figures only, once, to decide

The questions are `bench/casual/<split>.jsonl`: tune, tune2-tune9 and the kept-aside heldout
(format and rules: bench/casual/README.md). The store holds the split's articles as bench/realtimeqa.py builds
them (`build(..., wide=True)`; the publishers' text is written under /tmp, never here) plus the
89 Wikinews distractors. It is kept in `--work` between runs and built again when the
articles, the ingest code or the settings change.

Each question goes through the product's public surface as a member's would: `App(settings)`,
`engine.answer(question, asked_at=day)`, and the returned Answer's text, refused flag and
citations. The judgement is this script's own:
- answer: not refused; the reply (Answer.text, first 400 characters, normalised as
  bot/evaluation.py does) holds one of `answers` and none of `wrong`.
- current: as answer, and the first citation is one of `article_ids` (the newer reports).
- stale: refused, or the reply says "newest I have" in its first 400 characters.
- story: not refused, cited, every citation from `article_ids`, and min(2, len(facts)) of the
  facts in the reply's first 1,200 characters.
- any kind: a quoted passage that is page furniture (a link line, an editor's note, a
  newsletter plug, a caption or credit, a bare dateline) makes the reply bad.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from realtimeqa import EVAL, HELD_OUT, SNAPSHOT, TUNING, build, write_jsonl  # noqa: E402

from bot.answering.models import Answer, Citation  # noqa: E402
from bot.app import App  # noqa: E402
from bot.evaluation import normalize  # noqa: E402
from bot.settings import Settings  # noqa: E402

QUESTIONS = REPO / "bench" / "casual"
WIKINEWS = EVAL / "wikinews" / "articles.jsonl"
KINDS = ("answer", "current", "stale", "story")
# Each set of questions and the quiz years whose articles its store holds. tune2-tune9 were
# kept-aside sets; after its one run each became tuning data, and heldout is a new kept-aside set.
SPLITS = {"tune": TUNING, "heldout": HELD_OUT} | {f"tune{n}": HELD_OUT for n in range(2, 10)}
REPLY_CHARS = 400  # what a member reads before deciding the reply answered
STORY_CHARS = 1200  # a story's summary is read whole
FLAG = "newest i have"  # "The newest I have on this is from <date>: ..."

# Page furniture: lines of a page that are not reporting. Shapes seen in the articles.
_FURNITURE_START = re.compile(
    r"^\(?\s*(?:more|related|read more|watch|see also|contributing|reporting by)\s*:"
    r"|^read more\b|^editor['’]s note\b|^follow\b.{0,80}\b(?:coverage|twitter|instagram|live updates|on x\b)"
    r"|^(?:sign up|subscribe)\b|^\(?this (?:story|article|page) (?:has been|was|is being) updated"
    r"|^ai-assisted summary|^need a break\?|^what['’]s everyone talking about|^prep for the polls"
    r"|^story continues|^click here|^video ad feedback|^usa today on telegram|share this update",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"(?i:\(photo\b[^)]*\)|\bgetty images\b|\bap photo\b|\bprev next\s*$|source: cnn\w*)"
    r"|\w/(?:[\w .-]+/)*(?:AP|AFP|Reuters|Bloomberg|Shutterstock|NurPhoto|Sipa|EPA|TMX|NASA|AAP Image"
    r"|CNN|USA TODAY|USA Today Network|ZUMA Press Wire)\s*$"
)
# A link line: a label glued to another article's headline ("More:Lea Michele apologizes",
# "Queen Elizabeth II dies at 96:Prince Charles takes the throne"), or an all-caps question
# before one ("WHO IS VIKTOR BOUT? Arms dealer ... freed").
_LINK = re.compile(r"^[^:]{3,120}[A-Za-z0-9?!.’'\")]:[A-Z‘“'\"]|^[A-Z][A-Z '’.,-]{5,60}\? [A-Z‘“'\"]")
# A passage that is nothing but a dateline ("CNN —", "WASHINGTON –", "Cape Canaveral, Florida
# CNN —"), a byline ("HOWARD FENDRICH / AP", "Associated Press") or a timestamp ("Jan. 1, 2026
# Updated Jan. 2, 2026, 8:04 a.m. ET").
_DATELINE = re.compile(r"[A-Z][A-Za-z .,'’()]{0,40}[—–-]+|\(?(?:CNN|Reuters|AP)\)?")
_BARE = re.compile(
    _DATELINE.pattern + r"|(?:[A-Z][\w .,'’-]{2,80} / )?"
    r"(?:AP|Reuters|USA TODAY(?: Sports)?|(?:The )?Associated Press|Staff and wire reports)"
    r"|(?i:(?:\w{3,9}\.? \d{1,2}, \d{4}\s+)?(?:updated\s+)?"
    r"\w{3,9}\.? \d{1,2}, \d{4},? \d{1,2}:\d{2} [ap]\.?m\.? ET)"
)


def furniture(passage: str) -> bool:
    """Whether a passage (a quote, or a line of a page) is page furniture, not reporting."""
    text = " ".join(passage.split())
    rules = (_FURNITURE_START, _CAPTION, _LINK)
    return any(r.search(text) for r in rules) or bool(_BARE.fullmatch(text))


def quoted_furniture(quote: str, page: str) -> bool:
    """Whether a quote is furniture, or a piece of a furniture line of its page (the first
    sentence of a caption, the headline after a link label), or of a line above the page's
    own dateline (a CNN page lists other stories' headlines before "CNN —")."""
    if furniture(quote):
        return True
    lines = [" ".join(line.split()) for line in page.splitlines() if line.strip()]
    key = " ".join(quote.split()).rstrip("…. ")[:50]
    where = next((i for i, line in enumerate(lines) if key and key in line), None)
    if where is None:
        return False
    dateline = next((i for i, line in enumerate(lines) if _DATELINE.fullmatch(line)), None)
    return furniture(lines[where]) or (dateline is not None and where < dateline)


class RowError(ValueError):
    """A question row that cannot be judged as written (the text says which and why)."""


@dataclass(frozen=True)
class Row:
    id: str
    question: str
    asked_at: date
    kind: str
    answers: list[str]
    wrong: list[str]
    article_ids: list[str]
    facts: list[list[str]]
    note: str


@dataclass
class Verdict:
    id: str
    kind: str
    good: bool
    why: str
    furniture: bool
    latency_ms: float
    on_story: bool | None = None  # story: every citation from the story
    flagged: bool | None = None  # stale: refused or "newest I have"
    reply: str = field(default="", repr=False)


def _strings(raw: Any, name: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and s.strip() for s in raw):
        raise RowError(f"{name} must be a list of non-empty strings, not {raw!r}")
    return list(raw)


def parse_row(raw: dict[str, Any], articles: dict[str, dict[str, Any]]) -> Row:
    for key in ("id", "question", "asked_at", "kind", "note"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise RowError(f"{key} must be a non-empty string, not {raw.get(key)!r}")
    if raw["kind"] not in KINDS:
        raise RowError(f"kind must be one of {', '.join(KINDS)}, not {raw['kind']!r}")
    try:
        asked = date.fromisoformat(raw["asked_at"])
    except ValueError:
        raise RowError(f"asked_at must be a date like 2022-06-16, not {raw['asked_at']!r}") from None
    facts = raw.get("facts", [])
    if not isinstance(facts, list):
        raise RowError(f"facts must be a list of lists of strings, not {facts!r}")
    row = Row(
        raw["id"],
        raw["question"],
        asked,
        raw["kind"],
        _strings(raw.get("answers", []), "answers"),
        _strings(raw.get("wrong", []), "wrong"),
        _strings(raw.get("article_ids", []), "article_ids"),
        [_strings(f, "each fact") for f in facts],
        raw["note"],
    )
    check_row(row, articles)
    return row


def check_row(row: Row, articles: dict[str, dict[str, Any]]) -> None:
    """What a row claims about the store holds: its articles exist, are dated so that they are
    in the store on the day asked (stale: before it), and state its answer or facts."""
    for i in row.article_ids:
        if i not in articles:
            raise RowError(f"article {i!r} is not in this split's store")
    dates = [_day(articles[i]) for i in row.article_ids]
    texts = [normalize(f"{articles[i]['title']} {articles[i]['text']}") for i in row.article_ids]
    if row.kind in ("answer", "current", "story") and not row.article_ids:
        raise RowError(f"a {row.kind} row names the articles that answer it (article_ids)")
    if row.kind in ("answer", "current"):
        if not row.answers:
            raise RowError(f"a {row.kind} row needs answers")
        if row.kind == "current" and not row.wrong:
            raise RowError("a current row needs wrong: the older result")
        if not any(normalize(a) in t for a in row.answers for t in texts):
            raise RowError(f"none of answers {row.answers} is in its articles")
        late = [i for i, d in zip(row.article_ids, dates, strict=True) if d and d > row.asked_at]
        if late:
            raise RowError(f"article {late[0]!r} is dated after asked_at {row.asked_at}")
    if row.kind == "story":
        if not row.facts:
            raise RowError("a story row needs facts")
        if not any(d is None or d <= row.asked_at for d in dates):
            raise RowError(f"no article of the story is dated on or before asked_at {row.asked_at}")
        for fact in row.facts:
            if not any(normalize(a) in t for a in fact for t in texts):
                raise RowError(f"fact {fact} is in none of the story's articles")
    if row.kind == "stale" and any(d and d >= row.asked_at for d in dates):
        raise RowError(f"a stale row's articles must be older than asked_at {row.asked_at}")


def _day(article: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(article.get("date") or "")[:10])
    except ValueError:
        return None


def load_rows(path: Path, articles: dict[str, dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw: Any = None
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise RowError("a row is a JSON object")
            rows.append(parse_row(raw, articles))
        except (json.JSONDecodeError, RowError) as exc:
            where = raw.get("id") if isinstance(raw, dict) else None
            raise SystemExit(f"{path.name} line {n} ({where or 'no id'}): {exc}") from None
    ids = [r.id for r in rows]
    if dup := {i for i in ids if ids.count(i) > 1}:
        raise SystemExit(f"{path.name}: ids used twice: {sorted(dup)}")
    return rows


def judge(row: Row, answer: Answer, latency_ms: float, pages: dict[str, str]) -> Verdict:
    cited = [*answer.citations, *([answer.nearest] if answer.nearest else [])]
    junk = [c.quote for c in cited if quoted_furniture(c.quote, pages.get(c.article_id, ""))]
    reply = normalize(answer.text[: STORY_CHARS if row.kind == "story" else REPLY_CHARS])
    on_story = flagged = None
    if row.kind == "stale":
        flagged = answer.refused or FLAG in answer.text[:REPLY_CHARS].lower()
        why = "" if flagged else "an old result not flagged 'newest I have'"
    elif answer.refused:
        why = "refused"
    elif row.kind == "story":
        on_story = bool(answer.citations) and all(c.article_id in row.article_ids for c in answer.citations)
        why = _story_why(row, answer.citations, reply, on_story)
    else:
        why = _answer_why(row, answer.citations, reply)
    if junk and not why:
        why = f"furniture quoted: {junk[0][:80]!r}"
    latency = round(latency_ms, 1)
    return Verdict(row.id, row.kind, not why, why, bool(junk), latency, on_story, flagged, answer.text)


def _answer_why(row: Row, citations: list[Citation], reply: str) -> str:
    if not any(normalize(a) in reply for a in row.answers):
        return f"no answer ({row.answers[0]!r}) in the reply"
    if wrong := [w for w in row.wrong if normalize(w) in reply]:
        return f"holds the older result {wrong[0]!r}"
    if row.kind == "current" and (not citations or citations[0].article_id not in row.article_ids):
        return "answered from an older report, not the newest"
    return ""


def _story_why(row: Row, citations: list[Citation], reply: str, on_story: bool) -> str:
    if not citations:
        return "no citation"
    if not on_story:
        off = next(c for c in citations if c.article_id not in row.article_ids)
        return f"cites another story: {off.title[:70]!r}"
    found = sum(any(normalize(a) in reply for a in fact) for fact in row.facts)
    need = min(2, len(row.facts))
    return "" if found >= need else f"{found} of the story's facts, {need} needed"


def store_for(
    articles_file: Path, store: Path, settings: Settings, rebuild: bool, keep: bool = False
) -> Path:
    """The store of these articles, kept between runs while its inputs stay the same. `keep`:
    a store built by other ingest code is brought up to date by an ingest of the same articles
    (its next writer migrates its format; articles whose text is unchanged keep their chunks),
    not built again."""
    digest = hashlib.sha256()
    for path in (
        articles_file,
        WIKINEWS,
        *sorted((REPO / "ingest").rglob("*.py")),
        *sorted((REPO / "vectorstore").rglob("*.py")),
    ):
        digest.update(path.read_bytes())
    digest.update(settings.model_dump_json(exclude={"newsdesk_data_dir"}).encode())
    stamp = store / "casual-inputs.sha256"
    if not rebuild and stamp.exists() and stamp.read_text() == digest.hexdigest():
        return store
    if keep and not rebuild and stamp.exists():
        print(f"bringing the store in {store} up to date (--keep-store) ...", flush=True)
        report = App(settings).ingest([str(articles_file), str(WIKINEWS)])
        print(f"  {report.chunks_embedded} chunks embedded again in {report.seconds:.0f} s")
        stamp.write_text(digest.hexdigest())
        return store
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    print(f"building the store in {store} ...", flush=True)
    report = App(settings).ingest([str(articles_file), str(WIKINEWS)])
    print(f"  {len(report.article_ids)} articles, {report.chunks_embedded} chunks in {report.seconds:.0f} s")
    if report.failed:
        print(f"  failed: {[(o.source, o.reason) for o in report.failed][:5]}")
    stamp.write_text(digest.hexdigest())
    return store


def ask_all(app: App, rows: list[Row], pages: dict[str, str]) -> list[Verdict]:
    """Each question as a member asks it, judged; `pages`: each article's text, by id."""
    engine = app.engine
    engine.answer(rows[0].question)  # warm-up: the model and the indexes before timing
    verdicts = []
    for row in rows:
        t0 = time.perf_counter()
        answer = engine.answer(row.question, asked_at=row.asked_at)
        verdicts.append(judge(row, answer, (time.perf_counter() - t0) * 1000, pages))
    return verdicts


def figures(verdicts: list[Verdict]) -> dict[str, Any]:
    def rate(vs: Iterable[Verdict]) -> dict[str, Any]:
        vs = list(vs)
        good = sum(v.good for v in vs)
        return {"n": len(vs), "good": good, "rate": round(good / len(vs), 3) if vs else None}

    stale = [v for v in verdicts if v.kind == "stale"]
    story = [v for v in verdicts if v.kind == "story"]
    times = [v.latency_ms for v in verdicts]
    return {
        "kinds": {k: rate(v for v in verdicts if v.kind == k) for k in KINDS},
        "all": rate(verdicts),
        "stale_flagged_or_refused": [sum(bool(v.flagged) for v in stale), len(stale)],
        "story_citations_on_story": [sum(bool(v.on_story) for v in story), len(story)],
        "furniture_quoted": sum(v.furniture for v in verdicts),
        "answer_ms": {"mean": round(statistics.fmean(times), 1), "p50": round(statistics.median(times), 1)},
    }


def print_figures(f: dict[str, Any]) -> None:
    print(f"\n{'kind':8s} {'n':>4} {'good':>5} {'rate':>6}")
    for kind, m in [*f["kinds"].items(), ("all", f["all"])]:
        print(f"{kind:8s} {m['n']:4d} {m['good']:5d} {m['rate'] if m['rate'] is not None else '-':>6}")
    print(f"stale flagged or refused: {f['stale_flagged_or_refused'][0]}/{f['stale_flagged_or_refused'][1]}")
    print(
        f"story citations all on-story: {f['story_citations_on_story'][0]}/{f['story_citations_on_story'][1]}"
    )
    print(f"furniture quoted: {f['furniture_quoted']}")
    print(f"answer time: mean {f['answer_ms']['mean']} ms, p50 {f['answer_ms']['p50']} ms")


def show(rows: list[Row], verdicts: list[Verdict], n: int) -> None:
    by_id = {r.id: r for r in rows}
    for v in [v for v in verdicts if not v.good][:n]:
        row = by_id[v.id]
        print(f"\n[{v.id}] {v.kind}, asked {row.asked_at}: {row.question}")
        print(f"   bad: {v.why}")
        print("   got: " + " ".join(v.reply.split())[:REPLY_CHARS])


def main() -> None:
    parser = argparse.ArgumentParser(description="Casual questions, judged as a member reads the reply.")
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="tune",
        help="tune (2022 articles), tune2-tune9 (2023-2026) or heldout",
    )
    parser.add_argument(
        "--held-out", action="store_true", help="the kept-aside set: figures only (--split heldout)"
    )
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help="the fetched realtimeqa git dir")
    parser.add_argument("--work", type=Path, help="articles and store (default /tmp/newsdesk-casual-<split>)")
    parser.add_argument("--show", type=int, default=0, help="print this many bad replies (tuning set only)")
    parser.add_argument("--rebuild", action="store_true", help="build the store again")
    parser.add_argument(
        "--keep-store",
        action="store_true",
        help="a store built by other ingest code: ingest into it (format migrated, unchanged articles kept)",
    )
    args = parser.parse_args()
    split = "heldout" if args.held_out else args.split
    held_out = split == "heldout"
    if held_out and args.show:
        parser.error("the held-out questions and replies are never shown")
    questions = QUESTIONS / f"{split}.jsonl"
    if not questions.exists():
        print(
            f"{questions.relative_to(REPO)} is not in this checkout: no {split} questions to ask",
            file=sys.stderr,
        )
        raise SystemExit(2)
    years = SPLITS[split]
    work = args.work or Path(f"/tmp/newsdesk-casual-{split}")
    built = build(args.snapshot, years, wide=True)
    articles_file = write_jsonl(work / "articles.jsonl", built.articles)
    known = {str(a["id"]): a for a in [*built.articles, *map(json.loads, WIKINEWS.open(encoding="utf-8"))]}
    rows = load_rows(questions, known)
    print(f"{len(rows)} questions ({split}), {len(built.articles)} articles + Wikinews, {','.join(years)}")
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    settings = base.model_copy(update={"newsdesk_data_dir": work / "store", "chroma_host": None})
    store_for(articles_file, work / "store", settings, args.rebuild, args.keep_store)
    verdicts = ask_all(App(settings), rows, {i: str(a["text"]) for i, a in known.items()})
    result = figures(verdicts)
    print_figures(result)
    if not held_out:
        result["questions"] = [{k: v for k, v in asdict(x).items() if k != "reply"} for x in verdicts]
        show(rows, verdicts, args.show)
    out = REPO / "bench" / "results" / f"casual-{split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
