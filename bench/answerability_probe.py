"""Can a learned check tell the near misses the anchor rules let through from real answers?

    .venv/bin/python bench/answerability_probe.py --store DIR [--cross-encoder]

DIR holds squad-dev + wikinews (`newsdesk eval ... --store DIR`, as in refusal_curve.py).
Only the tuning splits are read: squad-dev questions outside sample1000 (the first
--questions of them) and SQuAD 2.0's unanswerable questions outside sample500. Of those
the engine answers today (evidence above MIN_EVIDENCE and the anchors met), it prints how
well each candidate check separates the two kinds at the operating points that matter
here, where few more answerable questions may be refused:

1. features per answer (similarity, word overlap, the gap to the best sentence, its rank,
   question words missing from the sentence's context and their IDF, and the alignment of
   the question's tokens with the context's in MiniLM's own contextual token vectors,
   the way BERTScore aligns them), with logistic regression and gradient boosting, 5-fold
   cross-validated;
2. a question word absent from the whole answering article, by its IDF;
3. with --cross-encoder: all-MiniLM-L6-v2 fine-tuned as a (question, context) classifier
   on the tuning rows of every article but one, tested on that article (it has both
   kinds): the closest thing to a reading model that can be made here. Takes ~10 minutes.

For each check and threshold: the share of answerable questions it would refuse in
addition to today's refusals (and how many of those were answer hits), and the share of
unanswerable ones it would refuse in addition.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.refusal_curve import EVAL, Ranked, ranked_questions  # noqa: E402
from bot.answering.quoting.answerability import judge, window  # noqa: E402
from bot.answering.refusal import MIN_EVIDENCE  # noqa: E402
from bot.evaluation import answer_hit, load_jsonl  # noqa: E402
from vectorstore.lexical import tokenize  # noqa: E402

HELD_OUT = "squad11dev-31c772aa9806"  # the one tuning article with both kinds of question
_SKIP = set(
    tokenize("what which who whom whose when where why how many much did does do was were is are name type")
)


@dataclass
class Row:
    question: str
    context: str
    article: str
    unanswerable: bool
    hit: bool
    base: list[float]  # similarity, overlap, score, gap to the best, rank, missing words
    article_gap: float  # the highest IDF of a question word absent from the whole article


def rows_of(
    ranked: list[Ranked], unanswerable: bool, words: dict[str, set[str]], idf: dict[str, float]
) -> list[Row]:
    out = []
    for r in ranked:
        if not r.candidates or r.candidates[0].score < MIN_EVIDENCE:
            continue
        question = str(r.question["question"])
        j = judge(question, r.candidates, MIN_EVIDENCE, 296)
        if j.answer is None:
            continue
        c = j.answer.candidate
        context = window(c.passage, c.text, c.start)
        asked = [t for t in dict.fromkeys(tokenize(question)) if t not in _SKIP]
        there = set(tokenize(context))
        missing = [idf.get(t, 1.0) for t in asked if t not in there]
        total = sum(idf.get(t, 1.0) for t in asked) or 1.0
        absent = [idf.get(t, 1.0) for t in asked if t not in words.get(c.passage.article.id, set())]
        base = [
            c.similarity,
            c.overlap,
            c.score,
            r.candidates[0].score - c.score,
            float(r.candidates.index(c)),
            float(len(missing)),
            sum(missing) / total,
            max(missing, default=0.0),
        ]
        hit = answer_hit(r.question, {"answer": f"{j.answer.text} [1]", "refused": False})
        out.append(
            Row(question, context, c.passage.article.id, unanswerable, hit, base, max(absent, default=0.0))
        )
    return out


def token_alignment(rows: list[Row]) -> np.ndarray:
    """Per row: min, mean and low-share of each question token's best cosine to a context
    token, in the model's contextual token vectors."""
    from sentence_transformers import SentenceTransformer

    from vectorstore.embedding.model_files import packaged_model_path

    model = SentenceTransformer(str(packaged_model_path()), device="cpu")

    def vectors(texts: list[str]) -> list[np.ndarray]:
        out = model.encode(texts, output_value="token_embeddings", batch_size=32, convert_to_numpy=False)
        return [(v / v.norm(dim=1, keepdim=True)).numpy()[1:-1] for v in out]

    q, c = vectors([r.question for r in rows]), vectors([r.context for r in rows])
    feats = []
    for qv, cv in zip(q, c, strict=True):
        best = (qv @ cv.T).max(axis=1) if len(qv) and len(cv) else np.ones(1)
        feats.append([best.min(), best.mean(), float((best < 0.6).mean())])
    return np.array(feats)


def report(name: str, score: np.ndarray, rows: list[Row], n_answerable: int, n_unanswerable: int) -> None:
    un = np.array([r.unanswerable for r in rows])
    hit = np.array([r.hit for r in rows])
    if not (~un).any() or not un.any():
        print(f"{name}: one kind only")
        return
    for q in (0.99, 0.98, 0.97, 0.95):
        t = np.quantile(score[~un], q)
        ans = score[~un] >= t
        lost = (hit[~un] & ans).sum() / n_answerable
        print(
            f"{name:28} answerable +{ans.sum() / n_answerable:.3f} (hits lost {lost:.3f})"
            f"  unanswerable +{(score[un] >= t).sum() / n_unanswerable:.3f}"
        )


def learned(rows: list[Row], n_ans: int, n_un: int) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    x = np.hstack([np.array([r.base for r in rows]), token_alignment(rows)])
    y = np.array([r.unanswerable for r in rows])
    for name, model in (
        ("logistic regression", LogisticRegression(max_iter=5000)),
        ("gradient boosting", HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05)),
    ):
        p = cross_val_predict(model, x, y, cv=5, method="predict_proba")[:, 1]
        print(f"{name}: AUC {roc_auc_score(y, p):.3f}")
        report(name, p, rows, n_ans, n_un)
    gap = np.array([r.article_gap for r in rows])
    print(f"word absent from the article: AUC {roc_auc_score(y, gap):.3f}")
    report("word absent from the article", gap, rows, n_ans, n_un)


def cross_encoder(rows: list[Row], n_ans: int, n_un: int, epochs: int = 2) -> None:
    import torch
    from sklearn.metrics import roc_auc_score
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from vectorstore.embedding.model_files import packaged_model_path

    torch.manual_seed(0)
    path = str(packaged_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    train = [r for r in rows if r.article != HELD_OUT]
    test = [r for r in rows if r.article == HELD_OUT]
    y = torch.tensor([int(r.unanswerable) for r in train])
    weight = torch.tensor([1.0, float((y == 0).sum()) / max(1, int((y == 1).sum()))])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-5)

    def batch(part: list[Row]) -> dict[str, torch.Tensor]:
        return dict(
            tok(
                [r.question for r in part],
                [r.context for r in part],
                truncation="only_second",
                max_length=128,
                padding=True,
                return_tensors="pt",
            )
        )

    model.train()
    for epoch in range(epochs):
        order = np.random.RandomState(epoch).permutation(len(train))
        for start in range(0, len(order), 16):
            idx = order[start : start + 16]
            loss = torch.nn.functional.cross_entropy(
                model(**batch([train[i] for i in idx])).logits, y[idx], weight=weight
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        p = np.concatenate(
            [
                torch.softmax(model(**batch(test[s : s + 64])).logits, -1)[:, 1].numpy()
                for s in range(0, len(test), 64)
            ]
        )
    labels = [r.unanswerable for r in test]
    print(f"cross-encoder, held-out article ({len(test)} answered rows): AUC {roc_auc_score(labels, p):.3f}")
    share_ans = sum(not r.unanswerable for r in test) / max(1, sum(not r.unanswerable for r in rows)) * n_ans
    share_un = sum(r.unanswerable for r in test) / max(1, sum(r.unanswerable for r in rows)) * n_un
    report("cross-encoder (held out)", p, test, max(1, round(share_ans)), max(1, round(share_un)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True, help="a store of squad-dev + wikinews")
    parser.add_argument("--questions", type=int, default=1500, help="answerable tuning questions")
    parser.add_argument("--cross-encoder", action="store_true")
    parser.add_argument("--eval-data", type=Path, default=EVAL)
    args = parser.parse_args()
    squad, un_dir = args.eval_data / "squad-dev", args.eval_data / "squad2-dev-unanswerable"
    reported = set((squad / "sample1000.ids").read_text().split())
    reported_un = set((un_dir / "sample500.ids").read_text().split())
    answerable = [q for q in load_jsonl(squad / "questions.jsonl") if q["id"] not in reported][
        : args.questions
    ]
    impossible = [q for q in load_jsonl(un_dir / "questions.jsonl") if q["id"] not in reported_un]
    articles = load_jsonl(squad / "articles.jsonl") + load_jsonl(
        args.eval_data / "wikinews" / "articles.jsonl"
    )
    words = {str(a["id"]): set(tokenize(f"{a['title']} {a['text']}")) for a in articles}
    df: dict[str, int] = {}
    for w in words.values():
        for t in w:
            df[t] = df.get(t, 0) + 1
    idf = {t: float(np.log((len(words) + 1) / (n + 0.5))) for t, n in df.items()}
    rows = rows_of(ranked_questions(args.store, answerable), False, words, idf)
    rows += rows_of(ranked_questions(args.store, impossible), True, words, idf)
    print(
        f"answered today: {sum(not r.unanswerable for r in rows)} of {len(answerable)} answerable, "
        f"{sum(r.unanswerable for r in rows)} of {len(impossible)} unanswerable (tuning splits)"
    )
    learned(rows, len(answerable), len(impossible))
    if args.cross_encoder:
        cross_encoder(rows, len(answerable), len(impossible))


if __name__ == "__main__":
    main()
