"""Print how the refusal settings trade answers for refusals, so defaults come from a curve.

    .venv/bin/python bench/refusal_curve.py --store DIR --absent-store DIR2 [--questions 1000]

DIR holds squad-dev + wikinews, DIR2 wikinews only (build them with `newsdesk eval ...
--store DIR`, as `make eval` and `make eval-refusal` do). For each MIN_EVIDENCE and
ANSWER_SEARCH_DEPTH (0: no answerability check) it prints the share refused of
- answerable: squad-dev questions outside sample1000 (their articles are in DIR), and the
  answer hit (the gold answer inside the quote);
- unanswerable: SQuAD 2.0's unanswerable questions outside sample500 (articles in DIR);
- absent: squad-dev questions outside sample1000 against DIR2 (their articles are not there).
These are the tuning splits: the samples the figures are reported on stay unseen.

The older form, from two eval outputs (refusal by evidence threshold only):

    python bench/refusal_curve.py eval-out/squad-dev.jsonl eval-out/wikinews-only.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.answering.quoting.answerability import judge  # noqa: E402
from bot.answering.quoting.extractive import Candidate, rank_sentences  # noqa: E402
from bot.app import App  # noqa: E402
from bot.evaluation import answer_hit, load_jsonl  # noqa: E402
from bot.settings import Settings  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
EVIDENCE = (0.30, 0.33, 0.36, 0.39, 0.42)
DEPTHS = (0, 1, 2, 3, 5, 8)


@dataclass
class Ranked:
    question: dict[str, Any]
    candidates: list[Candidate]


def ranked_questions(store: Path, questions: list[dict[str, Any]]) -> list[Ranked]:
    """Each question's ranked sentences, computed once (as the engine ranks them)."""
    settings = Settings(_env_file=None, newsdesk_data_dir=store, llm_provider="none")  # type: ignore[call-arg]
    app = App(settings)
    retriever, top_k = app.engine.retriever, settings.top_k
    out = []
    for q in questions:
        text = " ".join(str(q["question"]).split())
        retrieval = retriever.retrieve(text, 10)
        ranked = rank_sentences(
            text,
            retrieval.query_vector,
            retrieval.passages[:top_k],
            retriever.embedder,
            retrieval.idf,
            retrieval.sentences,
        )
        out.append(Ranked(q, ranked))
    return out


def outcome(r: Ranked, min_evidence: float, depth: int) -> tuple[bool, bool]:
    """(refused, answer hit) at these settings."""
    if not r.candidates or r.candidates[0].score < min_evidence:
        return True, False
    judgement = judge(str(r.question["question"]), r.candidates, min_evidence, 296, depth)
    if judgement.answer is None:
        return True, False
    hit = answer_hit(r.question, {"answer": f"{judgement.answer.text} [1]", "refused": False})
    return False, hit


def share(rows: list[Ranked], min_evidence: float, depth: int) -> tuple[float, float]:
    results = [outcome(r, min_evidence, depth) for r in rows]
    n = len(results) or 1
    return sum(ref for ref, _ in results) / n, sum(hit for _, hit in results) / n


def curve(store: Path, absent_store: Path, limit: int, data: Path) -> None:
    squad = data / "squad-dev"
    unanswerable = data / "squad2-dev-unanswerable"
    reported = set((squad / "sample1000.ids").read_text().split())
    reported_un = set((unanswerable / "sample500.ids").read_text().split())
    answerable = [q for q in load_jsonl(squad / "questions.jsonl") if q["id"] not in reported][:limit]
    impossible = [q for q in load_jsonl(unanswerable / "questions.jsonl") if q["id"] not in reported_un]
    present = ranked_questions(store, answerable)
    near = ranked_questions(store, impossible)
    absent = ranked_questions(absent_store, answerable)
    print(f"answerable {len(present)}, unanswerable {len(near)}, absent {len(absent)} (tuning splits)")
    print(
        f"{'evidence':>8} {'depth':>5} {'answerable refused':>18} {'hit':>6} {'unanswerable refused':>20} "
        f"{'absent refused':>14}"
    )
    for min_evidence in EVIDENCE:
        for depth in DEPTHS:
            refused, hit = share(present, min_evidence, depth)
            print(
                f"{min_evidence:8.2f} {depth:5d} {refused:18.3f} {hit:6.3f} "
                f"{share(near, min_evidence, depth)[0]:20.3f} {share(absent, min_evidence, depth)[0]:14.3f}"
            )


def evidences(path: Path) -> list[float]:
    with path.open(encoding="utf-8") as f:
        return [float(json.loads(line).get("evidence", 0.0)) for line in f if line.strip()]


def by_evidence(present_path: Path, absent_path: Path) -> None:
    present, absent = evidences(present_path), evidences(absent_path)
    print(f"{'threshold':>9} {'refused (present)':>18} {'refused (absent)':>17}")
    for step in range(20, 66, 2):
        t = step / 100
        wrong = sum(e < t for e in present) / len(present)
        right = sum(e < t for e in absent) / len(absent)
        print(f"{t:9.2f} {wrong:18.3f} {right:17.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="*", type=Path, help="two eval outputs: present, absent (older form)")
    parser.add_argument("--store", type=Path, help="a store of squad-dev + wikinews")
    parser.add_argument("--absent-store", type=Path, help="a store of wikinews only")
    parser.add_argument("--questions", type=int, default=1000, help="answerable questions to use")
    parser.add_argument("--eval-data", type=Path, default=EVAL, help="default: ../shared/eval")
    args = parser.parse_args()
    if args.store and args.absent_store:
        curve(args.store, args.absent_store, args.questions, args.eval_data)
    elif len(args.runs) == 2:
        by_evidence(args.runs[0], args.runs[1])
    else:
        parser.error("give --store and --absent-store, or two eval outputs")


if __name__ == "__main__":
    main()
