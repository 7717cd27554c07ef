"""`newsdesk eval`: answer a question set over a store of articles and score it.

Predictions are written in the format of ../shared/eval/score.py, with offsets mapped back
to each article's text exactly as given in the articles file. The metrics below follow
the same definitions as that reference scorer.
"""

from __future__ import annotations

import json
import re
import string
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.answering.models import Answer
from bot.app import App
from bot.settings import Settings
from common.errors import NewsdeskError
from ingest.reading.cleaning import clean_with_map
from ingest.report import IngestReport

MAX_ANSWER = 300
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)  # ASCII's, symbols among them ("$", "+")


def normalize(text: str) -> str:
    """Lower case, without punctuation of any script (curly quotes and apostrophes too:
    Unicode category P*), articles or runs of spaces: ../shared/eval/score.py's `norm`."""
    text = "".join(
        ch for ch in text.lower() if ch not in _PUNCTUATION and not unicodedata.category(ch).startswith("P")
    )
    return " ".join(_ARTICLES.sub(" ", text).split())


@dataclass(frozen=True)
class EvalScores:
    """The evaluation's scores over a set of questions (the process's /metrics are bot/health.py)."""

    questions: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr_at_10: float
    answer_hit: float
    refused: float
    fallback: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_articles(question: dict[str, Any]) -> set[str]:
    """The articles that answer a question: `article_id`, or any of `article_ids`."""
    ids = question.get("article_ids") or [question["article_id"]]
    return {str(i) for i in ids}


def gold_spans(question: dict[str, Any]) -> list[tuple[int, int]] | None:
    """The answer's spans in its article, or None when the question names only the
    article (real news questions: any passage of the answering article counts)."""
    if "context_char_start" not in question:
        return None
    base = int(question["context_char_start"])
    return [
        (base + s, base + s + len(a))
        for a, s in zip(question["answers"], question["answer_starts"], strict=True)
    ]


def first_hit_rank(question: dict[str, Any], retrieved: Sequence[dict[str, Any]]) -> int | None:
    spans, articles = gold_spans(question), gold_articles(question)
    for i, r in enumerate(retrieved[:10]):
        if r["article_id"] in articles and (
            spans is None or any(r["start"] < e and s < r["end"] for s, e in spans)
        ):
            return i + 1
    return None


def answer_hit(question: dict[str, Any], prediction: dict[str, Any]) -> bool:
    answer = prediction.get("answer") or ""
    if prediction.get("refused") or len(answer) > MAX_ANSWER:
        return False
    got = normalize(answer)
    return any(normalize(a) and normalize(a) in got for a in question["answers"])


def score(questions: Sequence[dict[str, Any]], predictions: dict[str, dict[str, Any]]) -> EvalScores:
    n = len(questions) or 1
    ranks: list[int | None] = []
    hits = refused = fallback = 0
    latencies: list[float] = []
    for q in questions:
        p = predictions.get(q["id"])
        if p is None:
            ranks.append(None)
            continue
        ranks.append(first_hit_rank(q, p.get("retrieved", [])))
        hits += answer_hit(q, p)
        refused += bool(p.get("refused"))
        fallback += p.get("mode") == "fallback"
        if p.get("latency_ms") is not None:
            latencies.append(float(p["latency_ms"]))
    latencies.sort()

    def recall(k: int) -> float:
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 4)

    return EvalScores(
        questions=len(questions),
        recall_at_1=recall(1),
        recall_at_5=recall(5),
        recall_at_10=recall(10),
        mrr_at_10=round(sum(1 / r for r in ranks if r) / n, 4),
        answer_hit=round(hits / n, 4),
        refused=round(refused / n, 4),
        fallback=round(fallback / n, 4),
        latency_p50_ms=round(latencies[len(latencies) // 2], 1) if latencies else None,
        latency_p95_ms=round(latencies[max(int(len(latencies) * 0.95) - 1, 0)], 1) if latencies else None,
    )


class OffsetMap:
    """Maps offsets in an article's clean text back to the text as given in the file."""

    def __init__(self, articles_files: Sequence[Path]) -> None:
        self._maps: dict[str, list[int]] = {}
        for path in articles_files:
            for row in load_jsonl(path):
                clean, where = clean_with_map(str(row["text"]))
                if clean != row["text"]:
                    self._maps[str(row["id"])] = where

    def span(self, article_id: str, start: int, end: int) -> tuple[int, int]:
        where = self._maps.get(article_id)
        if where is None or not where:
            return start, end
        return where[min(start, len(where) - 1)], where[min(end, len(where)) - 1] + 1


class QuestionsFileError(NewsdeskError):
    """A questions file whose lines cannot be asked as written (the text says which)."""


def select_questions(path: Path, ids: Path | None, limit: int | None) -> list[dict[str, Any]]:
    """The questions to ask, each `asked_at` checked before anything is ingested."""
    questions = load_jsonl(path)
    if ids is not None:
        keep = set(ids.read_text(encoding="utf-8").split())
        questions = [q for q in questions if q["id"] in keep]
    questions = questions[:limit] if limit else questions
    for q in questions:
        asked_day(q)
    return questions


def prediction(question_id: str, answer: Answer, latency_ms: float, offsets: OffsetMap) -> dict[str, Any]:
    retrieved = []
    for p in answer.passages[:10]:
        start, end = offsets.span(p.article.id, p.start, p.end)
        retrieved.append({"article_id": p.article.id, "start": start, "end": end, "score": round(p.score, 6)})
    return {
        "id": question_id,
        "answer": "" if answer.refused else answer.text,
        "text": answer.text,
        "refused": answer.refused,
        "mode": answer.mode,
        "evidence": round(answer.evidence, 4),
        "retrieved": retrieved,
        "latency_ms": round(latency_ms, 2),
    }


@dataclass(frozen=True)
class EvalRun:
    metrics: EvalScores
    ingest: IngestReport | None
    out: Path


def run_eval(
    settings: Settings,
    articles: Sequence[Path],
    questions_path: Path,
    out: Path,
    ids: Path | None = None,
    limit: int | None = None,
    store: Path | None = None,
) -> EvalRun:
    with tempfile.TemporaryDirectory(prefix="newsdesk-eval-") as tmp:
        data_dir = store or Path(tmp)
        eval_settings = settings.model_copy(update={"newsdesk_data_dir": data_dir, "chroma_host": None})
        questions = select_questions(questions_path, ids, limit)
        app = App(eval_settings)
        report = app.ingest([str(a) for a in articles]) if articles else None
        engine = app.engine
        offsets = OffsetMap(articles)
        predictions = {}
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            for question, answer, latency in _answers(engine, questions):
                row = prediction(question["id"], answer, latency, offsets)
                predictions[row["id"]] = row
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return EvalRun(score(questions, predictions), report, out)


def asked_day(question: dict[str, Any]) -> date | None:
    """The day a question was asked (`asked_at`: an ISO date or datetime), if it says."""
    raw = question.get("asked_at")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw)).date()
    except ValueError:
        raise QuestionsFileError(
            f"question {question.get('id')!r}: asked_at {raw!r} is not an ISO date or datetime"
        ) from None


def _answers(
    engine: Any, questions: Sequence[dict[str, Any]]
) -> Iterator[tuple[dict[str, Any], Answer, float]]:
    if questions:  # warm-up: load the model and the indexes before timing anything
        engine.answer(str(questions[0]["question"]))
    for q in questions:
        asked_at = asked_day(q)
        t0 = time.perf_counter()
        answer = engine.answer(str(q["question"]), k=10, asked_at=asked_at)
        yield q, answer, (time.perf_counter() - t0) * 1000
