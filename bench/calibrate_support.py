"""Calibrate SUPPORT_THRESHOLD: how well does the verifier tell supported sentences from
unsupported ones?

    .venv/bin/python bench/calibrate_support.py --store DIR [--questions 300]

For squad-dev questions whose gold passage is retrieved, a *supported* claim is the
article's own sentence holding the gold answer, and an *unsupported* claim is a sentence
from another squad-dev article (not among the retrieved ones). Prints the share of each
kept at a range of thresholds. DIR is a store of squad-dev + wikinews articles (build one
with `newsdesk eval ... --store DIR`).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.answering.generation.verify import SourceSentence, verify  # noqa: E402
from bot.answering.quoting.extractive import rank_sentences  # noqa: E402
from bot.app import App  # noqa: E402
from bot.evaluation import load_jsonl  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.sentences import split_sentences  # noqa: E402

EVAL = REPO.parent / "shared" / "eval" / "squad-dev"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    engine = App(Settings(_env_file=None, newsdesk_data_dir=args.store, llm_provider="none")).engine  # type: ignore[call-arg]
    retriever = engine.retriever
    idf = retriever.store.snapshot().idf
    articles = {a["id"]: a["text"] for a in load_jsonl(EVAL / "articles.jsonl")}
    ids = set((EVAL / "sample1000.ids").read_text().split())
    rng = random.Random(11)
    good: list[float] = []
    bad: list[float] = []
    swapped: list[float] = []
    all_answers = [q["answers"][0] for q in load_jsonl(EVAL / "questions.jsonl") if len(q["answers"][0]) > 3]
    for q in [q for q in load_jsonl(EVAL / "questions.jsonl") if q["id"] in ids][: args.questions]:
        retrieval = retriever.retrieve(q["question"], 10)
        passages = retrieval.passages[:5]
        ranked = rank_sentences(
            q["question"],
            retrieval.query_vector,
            passages,
            retriever.embedder,
            idf,
            retrieval.sentences,
        )
        sources = [
            SourceSentence(passages.index(c.passage) + 1, c.text, c.start, c.end, c.vector) for c in ranked
        ]
        gold = q["context_char_start"] + q["answer_starts"][0]
        claim = next(
            (
                s.text
                for s in split_sentences(q["context"], base=q["context_char_start"])
                if s.start <= gold < s.end
            ),
            None,
        )
        if claim is None or not any(
            p.article.id == q["article_id"] and p.start <= gold < p.end for p in passages
        ):
            continue
        others = [a for a in articles if a not in {p.article.id for p in passages}]
        other = split_sentences(articles[rng.choice(others)])
        wrong = rng.choice([s.text for s in other if len(s.text) > 40])
        answer = q["answers"][0]
        corrupt = (
            claim.replace(answer, rng.choice([a for a in all_answers if a != answer]))
            if answer in claim
            else None
        )
        tests = [(claim, good), (wrong, bad)] + ([(corrupt, swapped)] if corrupt else [])
        for text, bucket in tests:
            checked = verify(text, passages, sources, retriever.embedder, idf, threshold=-1.0)
            bucket.append(max((v.support for v in checked.kept), default=0.0))
    print(f"{len(good)} supported, {len(bad)} unsupported, {len(swapped)} answer-swapped claims")
    print(f"{'threshold':>9} {'supported kept':>15} {'unsupported kept':>17} {'swapped kept':>13}")
    for t in [x / 100 for x in range(30, 96, 5)]:
        kept = [sum(v >= t for v in bucket) / len(bucket) for bucket in (good, bad, swapped)]
        print(f"{t:9.2f} {kept[0]:15.3f} {kept[1]:17.3f} {kept[2]:13.3f}")


if __name__ == "__main__":
    main()
