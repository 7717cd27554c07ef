"""Real news questions: RealTime QA's weekly news quizzes, each question with
the dated article that answers it, asked on the day its quiz was published.

    .venv/bin/python bench/realtimeqa.py                 # the 2022 tuning set
    .venv/bin/python bench/realtimeqa.py --show 40       # ... and 40 failures, to read
    .venv/bin/python bench/realtimeqa.py --held-out      # 2023 on: figures only, once, to decide

The data is read from a `fetch`ed snapshot of github.com/realtimeqa/realtimeqa_public
(`--snapshot`, default the mirror's path). Only the quizzes that name their answering
article with its text (`past/<year>/<date>_gold.jsonl`, paired with `<date>_qa.jsonl`)
are used. The articles are the publishers' text: they are written to a work folder in
/tmp (`--work`), never into this repository. Quizzes from 2023 on are kept aside
(`--held-out`): the script prints only figures for them, never a question.

Each question is asked on its quiz's date (`asked_at`), over a store of every answering
article of the split plus the 89 Wikinews distractors of ../shared/eval. Figures, split by
whether the question carries a time word ("this week", "recently", "on Monday", ...):
answer hit (the correct choice, normalised as ../shared/eval/score.py does, inside an
answer of at most 300 characters), recall@5 (the answering article among the first five
passages), refused, and "refused, printed": refused although the closest sentence the refusal
quotes holds the correct choice (normalised the same way). Beside newsdesk, in the same run: the
plain LangChain bot (RecursiveCharacterTextSplitter 1000/150, MiniLM dense top-5, the sentence
closest to the question), and newsdesk asked without a date (as `newsdesk eval` read questions before
`asked_at`).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from baselines import plain_pipelines  # noqa: E402

from bot.app import App  # noqa: E402
from bot.evaluation import load_jsonl, normalize, run_eval, score  # noqa: E402
from bot.settings import Settings  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
SNAPSHOT = Path("/work/.mirror/realtimeqa+realtimeqa_public/repo")
TUNING = ("2022",)
HELD_OUT = ("2023", "2024", "2025", "2026")
# Time words of the quizzes, read by this script only (so that the split does not depend on
# the code it measures).
TIME_WORDS = re.compile(
    r"\b(?:this|last|past|next)\s+(?:week|weekend|month|year)|\b(?:recently|yesterday|today|tonight|"
    r"earlier this|this past|so far|latest|upcoming)\b|\bon\s+(?:monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday)\b|\bthis\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(?:this|last)\s+year's\b",
    re.I,
)
_QUOTES = "“”\"‘’'"
MIN_TEXT = 800  # a fetched page shorter than this is a consent wall or a video, not the article


def git_files(snapshot: Path, folder: str) -> list[str]:
    out = subprocess.run(
        ["git", "--git-dir", str(snapshot), "ls-tree", "-r", "--name-only", "HEAD", folder],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def git_jsonl(snapshot: Path, path: str) -> Iterator[dict[str, Any]]:
    command = ["git", "--git-dir", str(snapshot), "show", f"HEAD:{path}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        if line.strip():
            yield json.loads(line)


def answer_forms(choice: str) -> list[str]:
    """The correct choice as it may stand in a text: as written, without its quotation
    marks, with straight apostrophes."""
    bare = choice.strip().strip(_QUOTES).strip()
    forms = {choice.strip(), bare, bare.replace("’", "'"), bare.replace("'", "’")}
    return sorted(f for f in forms if f)


def title_of(url: str, titles: dict[str, str]) -> str:
    """The search result's title (without " - CNN"), else the URL's last readable part."""
    title = titles.get(url)
    if title:
        return re.sub(r"\s+[-|]\s+[^-|]{2,30}$", "", title).strip(" .")
    parts = [p for p in urlsplit(url).path.split("/") if p and p != "index.html" and not p.isdigit()]
    slug = max(parts, key=len, default=url)
    return re.sub(r"[-_]+", " ", slug).strip().capitalize()


@dataclass
class Split:
    articles: list[dict[str, Any]]
    questions: list[dict[str, Any]]


def build(snapshot: Path, years: tuple[str, ...], wide: bool = False) -> Split:
    """A year's quizzes with their answering articles: from `<date>_gold.jsonl` where the
    quiz has one (2022), else the search result (`<date>_gcs.jsonl`) at the address the
    quiz's own evidence links to, when its text was fetched (2023 on have no gold files).
    With `wide`, a question with neither takes the first search result dated in the two
    weeks before the quiz whose text holds the correct choice."""
    articles: dict[str, dict[str, Any]] = {}
    questions: list[dict[str, Any]] = []
    for year in years:
        files = git_files(snapshot, f"past/{year}")
        for quiz_file in sorted(f for f in files if re.search(r"/\d{8}_qa\.jsonl$", f)):
            gold, search = quiz_file.replace("_qa", "_gold"), quiz_file.replace("_qa", "_gcs")
            titles = _titles(snapshot, search, files)
            linked = gold not in files
            answering = _linked(snapshot, quiz_file, search, files) if linked else _gold(snapshot, gold)
            searched = _searched(snapshot, quiz_file, search, files) if wide else {}
            for q in git_jsonl(snapshot, quiz_file):
                found = answering.get(q["question_id"]) or searched.get(q["question_id"], [])
                if not found or not q.get("answer"):
                    continue
                for r in found:
                    articles.setdefault(_address(r["url"]), _article(r, titles))
                questions.append(_question(q, [_address(r["url"]) for r in found]))
    return Split(list(articles.values()), questions)


def _gold(snapshot: Path, gold: str) -> dict[str, list[dict[str, Any]]]:
    return {
        row["question_id"]: [r for r in _results(row) if r.get("text") and r.get("url")]
        for row in git_jsonl(snapshot, gold)
    }


def _linked(snapshot: Path, quiz_file: str, search: str, files: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per question, the search results at an address its evidence links to, with text."""
    if search not in files:
        return {}
    results = {row["question_id"]: _results(row) for row in git_jsonl(snapshot, search)}
    out = {}
    for q in git_jsonl(snapshot, quiz_file):
        links = {_address(u) for u in re.findall(r'href="([^"]+)"', q.get("evidence") or "")}
        found = [
            r
            for r in results.get(q["question_id"], [])
            if _address(str(r.get("url", ""))) in links and len(str(r.get("text", ""))) >= MIN_TEXT
        ]
        if found:
            out[q["question_id"]] = found[:1]
    return out


Found = dict[str, list[dict[str, Any]]]


def _searched(snapshot: Path, quiz_file: str, search: str, files: list[str]) -> Found:
    """Per question, the best-ranked search result of the two weeks before the quiz whose
    text holds the correct choice (its text fetched)."""
    if search not in files:
        return {}
    results = {row["question_id"]: _results(row) for row in git_jsonl(snapshot, search)}
    out = {}
    for q in git_jsonl(snapshot, quiz_file):
        if not q.get("answer"):
            continue
        asked = date.fromisoformat(q["question_date"].replace("/", "-"))
        forms = [normalize(f) for f in answer_forms(q["choices"][int(q["answer"][0])])]
        for r in results.get(q["question_id"], []):
            day = str(r.get("publish_date") or "").replace("/", "-")[:10]
            text = str(r.get("text") or "")
            if not day or len(text) < MIN_TEXT or not r.get("url"):
                continue
            recent = 0 <= (asked - date.fromisoformat(day)).days <= 14
            if recent and any(f and f in normalize(text) for f in forms):
                out[q["question_id"]] = [r]
                break
    return out


def _address(url: str) -> str:
    """One spelling of an article's address: no query or fragment, www for CNN's editions."""
    return re.sub(r"[?#].*$", "", url).replace("://edition.cnn.com", "://www.cnn.com").rstrip("/")


def _results(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A row's search results (a list, or in some files the list written as a string)."""
    results = row.get("search_result") or []
    if isinstance(results, str):
        try:
            results = ast.literal_eval(results)
        except (ValueError, SyntaxError):
            return []
    return [r for r in results if isinstance(r, dict)]


def _titles(snapshot: Path, search: str, files: list[str]) -> dict[str, str]:
    if search not in files:
        return {}
    return {
        _address(r["url"]): r["title"]
        for row in git_jsonl(snapshot, search)
        for r in _results(row)
        if r.get("title") and r.get("url")
    }


def _article(r: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    day = str(r.get("publish_date") or "").replace("/", "-")[:10] or None
    url = _address(r["url"])
    return {
        "id": url,
        "url": url,
        "title": title_of(url, titles),
        "text": r["text"],
        "date": day,
        "source": urlsplit(r["url"]).hostname,
    }


def _question(q: dict[str, Any], article_ids: list[str]) -> dict[str, Any]:
    choice = q["choices"][int(q["answer"][0])]
    return {
        "id": q["question_id"],
        "question": q["question_sentence"],
        "answers": answer_forms(choice),
        "article_id": article_ids[0],
        "article_ids": article_ids,
        "asked_at": q["question_date"].replace("/", "-"),
        "time_words": bool(TIME_WORDS.search(q["question_sentence"])),
        "source": q.get("question_source"),
    }


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


CLOSEST = "The closest they come:"  # bot/answering/quoting/nearmiss.py: what follows is the quote


def refused_printed(question: dict[str, Any], prediction: dict[str, Any]) -> bool:
    """Refused, while the sentence the refusal quotes as the closest holds the correct choice."""
    if not prediction.get("refused") or CLOSEST not in prediction.get("text", ""):
        return False
    printed = normalize(prediction["text"].split(CLOSEST, 1)[1])
    return any(normalize(a) and normalize(a) in printed for a in question["answers"])


def figures(questions: list[dict[str, Any]], preds: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    halves = {
        "all": questions,
        "time words": [q for q in questions if q["time_words"]],
        "no time words": [q for q in questions if not q["time_words"]],
    }
    out = {}
    for name, qs in halves.items():
        m = score(qs, preds)
        printed = sum(refused_printed(q, preds[q["id"]]) for q in qs) / (len(qs) or 1)
        out[name] = {
            "n": m.questions,
            "hit": m.answer_hit,
            "r@5": m.recall_at_5,
            "refused": m.refused,
            "printed": round(printed, 4),
        }
    return out


def print_table(rows: dict[str, dict[str, dict[str, Any]]]) -> None:
    print(f"{'pipeline':22s} {'half':14s} {'n':>4} {'hit':>6} {'r@5':>6} {'refused':>8} {'printed':>8}")
    for name, halves in rows.items():
        for half, m in halves.items():
            figures = f"{m['hit']:6.3f} {m['r@5']:6.3f} {m['refused']:8.3f} {m['printed']:8.3f}"
            print(f"{name:22s} {half:14s} {m['n']:4d} {figures}")


def show_failures(questions: list[dict[str, Any]], preds: dict[str, dict[str, Any]], n: int) -> None:
    from bot.evaluation import answer_hit

    shown = 0
    for q in questions:
        p = preds[q["id"]]
        if answer_hit(q, p) or shown >= n:
            continue
        shown += 1
        state = ("REFUSED-PRINTED" if refused_printed(q, p) else "REFUSED") if p["refused"] else "WRONG"
        print(f"\n[{q['id']}] {state} asked {q['asked_at']} ev={p.get('evidence')}: {q['question']}")
        print(f"   gold: {q['answers'][0]}")
        print(f"   got:  {p['text'][:300]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help="the fetched repository's git dir")
    parser.add_argument("--held-out", action="store_true", help="quizzes from 2023 on: figures only")
    parser.add_argument("--work", type=Path, help="where the articles, questions and store go (/tmp)")
    parser.add_argument("--show", type=int, default=0, help="print this many failures (tuning set only)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain bot and the undated run")
    parser.add_argument(
        "--wide", action="store_true", help="also questions whose article is found among the search results"
    )
    parser.add_argument(
        "--store",
        type=Path,
        help="answer over this store, which holds the split's --wide articles and Wikinews under the ids "
        "build() gives (bench/casual.py's store of the same split): no ingest, no plain bot",
    )
    args = parser.parse_args()
    if args.store and not args.wide:
        parser.error("--store holds the --wide articles: add --wide")
    years = HELD_OUT if args.held_out else TUNING
    if args.held_out and args.show:
        parser.error("the held-out questions are not shown")
    work = args.work or Path(f"/tmp/newsdesk-realtimeqa-{years[0]}{'-wide' if args.wide else ''}")
    split = build(args.snapshot, years, args.wide)
    articles = write_jsonl(work / "articles.jsonl", split.articles)
    questions = write_jsonl(work / "questions.jsonl", split.questions)
    print(f"{len(split.questions)} questions, {len(split.articles)} answering articles, {','.join(years)}")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    corpus = [] if args.store else [articles, EVAL / "wikinews" / "articles.jsonl"]
    store = args.store or work / "store"
    run = run_eval(settings, corpus, questions, work / "newsdesk.jsonl", store=store)
    preds = {p["id"]: p for p in load_jsonl(work / "newsdesk.jsonl")}
    rows = {"newsdesk (asked_at)": figures(split.questions, preds)}
    if not (args.no_baseline or args.store):
        undated = write_jsonl(work / "undated.jsonl", [{**q, "asked_at": None} for q in split.questions])
        run_eval(settings, [], undated, work / "newsdesk-undated.jsonl", store=store)
        rows["newsdesk (no date)"] = figures(split.questions, _by_id(work / "newsdesk-undated.jsonl"))
        every = [*split.articles, *load_jsonl(EVAL / "wikinews" / "articles.jsonl")]
        plain = plain_pipelines(every, split.questions, App(settings).embedder)["dense"]
        rows["plain LangChain bot"] = figures(split.questions, plain)
    print_table(rows)
    print(f"ask p50 {run.metrics.latency_p50_ms} ms, p95 {run.metrics.latency_p95_ms} ms")
    if args.show:
        show_failures(split.questions, preds, args.show)


def _by_id(path: Path) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in load_jsonl(path)}


if __name__ == "__main__":
    main()
