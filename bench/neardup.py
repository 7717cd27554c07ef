"""Near-duplicate detection (ingest/identity/neardup.py): precision, recall and cost per article.

    .venv/bin/python bench/neardup.py [--corpus FILE ...]

Every article of the corpus (default: ../shared/eval wikinews + squad-dev) is stored,
then for each wikinews article one "wire copy" made as outlets make them, in turn: the
ending trimmed (the last third of its paragraphs dropped), site boilerplate added at both
ends, one word in twenty replaced (an edit), or all three. A copy is found when it gets
its original's story id; a false positive is any pair of articles sharing a story id that
are not an original and its copy. Also runs the team's fixtures
(tests/fixtures/news_time: 5 copies among 8 other stories). Prints the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest.identity.neardup import StoryIndex  # noqa: E402
from vectorstore.models import Article  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
FIXTURES = REPO / "tests" / "fixtures" / "news_time" / "articles.jsonl"
BOILER_TOP = "Sign up for our morning briefing. Advertisement."
BOILER_END = "Copyright 2026 The Example Times. All rights reserved. Share this story on social media."


def load(path: Path) -> list[Article]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return [Article(id=str(r["id"]), title=str(r.get("title", "")), text=str(r["text"])) for r in rows]


def copy_of(article: Article, kind: int, rng: random.Random) -> Article:
    paragraphs = article.text.split("\n\n")
    text = article.text
    if kind in (0, 3) and len(paragraphs) >= 3:
        text = "\n\n".join(paragraphs[: max(2, len(paragraphs) * 2 // 3)])
    if kind in (1, 3):
        text = f"{BOILER_TOP}\n\n{text}\n\n{BOILER_END}"
    if kind in (2, 3):
        words = text.split(" ")
        text = " ".join("edited" if rng.random() < 0.05 else w for w in words)
    return Article(id=f"copy:{article.id}", title=f"Copy: {article.title}", text=text)


def pairs_by_story(stories: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, list[str]] = {}
    for aid, story in stories.items():
        groups.setdefault(story, []).append(aid)
    return {frozenset(p) for ids in groups.values() for p in itertools.combinations(ids, 2)}


def score(articles: list[Article], truth: set[frozenset[str]], folder: Path) -> dict[str, float]:
    index = StoryIndex(folder / "stories.sqlite3")
    t0 = time.perf_counter()
    stored = index.assign(articles)
    seconds = time.perf_counter() - t0
    index.close()
    found = pairs_by_story({a.id: a.story_id or a.id for a in stored})
    hits = len(found & truth)
    return {
        "articles": len(articles),
        "true_pairs": len(truth),
        "found_pairs": len(found),
        "precision": round(hits / len(found), 3) if found else 1.0,
        "recall": round(hits / len(truth), 3) if truth else 1.0,
        "ms_per_article": round(1000 * seconds / len(articles), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="append", type=Path)
    args = parser.parse_args()
    corpus = args.corpus or [EVAL / "wikinews" / "articles.jsonl", EVAL / "squad-dev" / "articles.jsonl"]
    originals = [a for path in corpus for a in load(path)]
    rng = random.Random(12)
    news = [a for a in originals if "squad" not in a.id][:89]
    copies = [copy_of(a, i % 4, rng) for i, a in enumerate(news)]
    truth = {frozenset((a.id, c.id)) for a, c in zip(news, copies, strict=True)}
    fixtures = load(FIXTURES)
    wire = [a.id for a in fixtures if a.id.startswith("tessaly-") and a.id != "tessaly-plan-2025"]
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = score(originals + copies, truth, Path(tmp) / "a")
        own = score(fixtures, {frozenset(p) for p in itertools.combinations(wire, 2)}, Path(tmp) / "b")
    for name, figures in (("corpus + copies", synthetic), ("fixtures", own)):
        print(name, json.dumps(figures))


if __name__ == "__main__":
    main()
