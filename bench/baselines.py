"""The reference pipelines answers are compared with, measured here in the same run, on the
same data and with the same metric code as `newsdesk eval`.

    .venv/bin/python bench/baselines.py [--newsdesk eval-out/squad-dev.jsonl]

Corpus: ../shared/eval squad-dev + wikinews articles, split with LangChain's
RecursiveCharacterTextSplitter(1000, 150). Pipelines:
- dense: all-MiniLM-L6-v2 vectors, exact top-10 by cosine (what Chroma similarity search
  returns, without HNSW's approximation);
- bm25: bm25s over the same chunks (newsdesk's tokeniser: stop words, Snowball stems);
- hybrid: reciprocal rank fusion (k=60) of the two.
Each answers with the sentence of its top-5 chunks closest to the question by cosine.
With --newsdesk, the figures of a newsdesk predictions file are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: E402

from bot.evaluation import load_jsonl, score  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.embedding import Embedder, make_embedder  # noqa: E402
from vectorstore.lexical import LexicalIndex  # noqa: E402
from vectorstore.sentences import split_sentences  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"


def chunks_of(articles: list[dict[str, Any]]) -> list[tuple[str, int, int, str]]:
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=150, add_start_index=True)
    out = []
    for a in articles:
        for doc in splitter.create_documents([a["text"]]):
            start = int(doc.metadata["start_index"])
            out.append((a["id"], start, start + len(doc.page_content), doc.page_content))
    return out


def plain_pipelines(
    articles: list[dict[str, Any]], questions: list[dict[str, Any]], embedder: Embedder
) -> dict[str, dict[str, dict[str, Any]]]:
    """Predictions of the three reference pipelines ("dense" is the plain LangChain bot)."""
    chunks = chunks_of(articles)
    matrix = embedder.embed([c[3] for c in chunks])
    lexical = LexicalIndex.build([str(i) for i in range(len(chunks))], [c[3] for c in chunks])
    sentences = sorted({s.text for c in chunks for s in split_sentences(c[3])})
    sentence_vectors = dict(zip(sentences, embedder.embed(sentences), strict=True))
    qvecs = embedder.embed([q["question"] for q in questions])
    results: dict[str, dict[str, dict[str, Any]]] = {"dense": {}, "bm25": {}, "hybrid": {}}
    for q, qv in zip(questions, qvecs, strict=True):
        dense = list(np.argsort(-(matrix @ qv))[:40])
        bm25 = [i for i, _ in lexical.search(q["question"], 40)]
        fused: dict[int, float] = {}
        for ranking in (dense, bm25):
            for rank, i in enumerate(ranking):
                fused[int(i)] = fused.get(int(i), 0.0) + 1 / (61 + rank)
        hybrid = sorted(fused, key=lambda i: -fused[i])
        for name, ranking in (("dense", dense), ("bm25", bm25), ("hybrid", hybrid)):
            top = [int(i) for i in ranking[:10]]
            texts = [s.text for i in top[:5] for s in split_sentences(chunks[i][3])]
            answer = max(texts, key=lambda t: float(sentence_vectors[t] @ qv)) if texts else ""
            retrieved = [dict(zip(("article_id", "start", "end"), chunks[i][:3], strict=True)) for i in top]
            results[name][q["id"]] = {"id": q["id"], "answer": answer, "retrieved": retrieved}
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--newsdesk", type=Path, help="a newsdesk predictions file to show beside")
    args = parser.parse_args()
    articles = [
        *load_jsonl(EVAL / "squad-dev" / "articles.jsonl"),
        *load_jsonl(EVAL / "wikinews" / "articles.jsonl"),
    ]
    ids = set((EVAL / "squad-dev" / "sample1000.ids").read_text().split())
    questions = [q for q in load_jsonl(EVAL / "squad-dev" / "questions.jsonl") if q["id"] in ids]
    embedder = make_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    results = plain_pipelines(articles, questions, embedder)
    rows = {name: score(questions, preds).as_dict() for name, preds in results.items()}
    if args.newsdesk:
        rows["newsdesk"] = score(questions, {p["id"]: p for p in load_jsonl(args.newsdesk)}).as_dict()
    print(f"{'pipeline':10s} {'r@1':>6} {'r@5':>6} {'mrr@10':>7} {'hit':>6}")
    for name, m in rows.items():
        figures = (m["recall_at_1"], m["recall_at_5"], m["mrr_at_10"], m["answer_hit"])
        print(f"{name:10s} " + " ".join(f"{x:6.3f}" for x in figures))
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "baselines.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
