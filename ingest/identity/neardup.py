"""Wire copies and reposts: one story id for the same text on several sites.

Each article's text (not its headline, which outlets rewrite) becomes a set of word
3-grams, summarised by a 128-permutation MinHash: datasketch's (MIT, the standard library
for it; its "affine32" scheme, seed 1), computed here with numpy in the same way, because
importing datasketch imports scipy (for MinHashLSH's choice of bands), which added 54 MB
to every process that ingests: the bot, `newsdesk watch`, `newsdesk ingest`. A test
checks that the values are datasketch's, and the bands too. Candidates come from
locality-sensitive hashing: the signature cut into bands whose parameters datasketch's
MinHashLSH picks for a Jaccard of 0.4 (32 bands of 4: BANDS, ROWS); a
candidate is a copy when its estimated Jaccard reaches MIN_JACCARD and the shorter text
is mostly contained in the longer one (MIN_CONTAINMENT), so a copy with a trimmed ending
or added boilerplate still counts while an update of a developing story (new text about
the same event) does not.

Signatures and band keys are kept in a SQLite file in the data dir, so a later ingest run
(or another process on this machine) finds copies of articles stored before. A copy's
story id is the story id of the article it copies; the first article of a story has its
own id. Every copy is still stored as its own article (it has its own url); retrieval
collapses a story to one slot (bot/answering/news_time/stories.py).

Measured (bench/neardup.py): on the eval corpus plus one synthetic wire copy of each
Wikinews article (trimmed ending, boilerplate, 1 word in 20 edited, or all three),
precision 1.0 and recall 0.955 (the misses: short articles with all three edits); on the
fixtures 1.0/1.0; about 7 ms an article (SQLite included), under 0.5% of an ingest.
Known limits: a deleted article's signature stays (a later copy still gets its story id,
which is only a label); with a Chroma server the file is per ingesting machine.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from common import sqlite
from vectorstore import Article

NUM_PERM = 128
SEED = 1
LSH_THRESHOLD = 0.4
BANDS, ROWS = 32, 4  # what MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM) picks
MIN_JACCARD = 0.25
MIN_CONTAINMENT = 0.6
MIN_SHINGLES = 8  # texts shorter than this are never called copies
SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (
    article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, shingles INTEGER NOT NULL, minhash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS bands (band INTEGER NOT NULL, key BLOB NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bands_key ON bands (band, key);
CREATE INDEX IF NOT EXISTS bands_article ON bands (article_id);
"""


@dataclass(frozen=True)
class Signature:
    hashes: np.ndarray  # uint64, NUM_PERM values
    shingles: int


def shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    n = SHINGLE_WORDS
    return {" ".join(words[i : i + n]).encode("utf-8") for i in range(max(1, len(words) - n + 1))}


def signature(text: str) -> Signature:
    grams = shingles(text)
    return Signature(minhash(grams).astype(np.uint64), len(grams))


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations h -> a * h + b (mod 2^32), a odd, from its seed."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()


def minhash(grams: set[bytes]) -> np.ndarray:
    """datasketch's MinHash(num_perm=NUM_PERM, seed=SEED).update_batch(grams).hashvalues:
    each gram's first 4 bytes of SHA-1 (little-endian), mixed by MurmurHash3's finaliser,
    permuted, and the least value of each permutation (uint32 arithmetic wraps)."""
    out = np.full(NUM_PERM, np.uint32(0xFFFFFFFF), dtype=np.uint32)
    if not grams:
        return out
    digests = b"".join(hashlib.sha1(g).digest()[:4] for g in grams)
    hv = np.frombuffer(digests, dtype="<u4").astype(np.uint32).reshape(-1, 1)
    with np.errstate(over="ignore"):
        hv = hv ^ (hv >> np.uint32(16))
        hv = hv * np.uint32(0x85EBCA6B)
        hv = hv ^ (hv >> np.uint32(13))
        hv = hv * np.uint32(0xC2B2AE35)
        hv = hv ^ (hv >> np.uint32(16))
        permuted = hv * _A + _B
    least: np.ndarray = np.minimum(out, permuted.min(axis=0))
    return least


def is_copy(a: Signature, b: Signature) -> bool:
    """Near-duplicate texts: estimated Jaccard and containment of the shorter in the longer."""
    if min(a.shingles, b.shingles) < MIN_SHINGLES:
        return False
    jaccard = similarity(a, b)
    shared = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    return jaccard >= MIN_JACCARD and shared / min(a.shingles, b.shingles) >= MIN_CONTAINMENT


def similarity(a: Signature, b: Signature) -> float:
    return float(np.mean(a.hashes == b.hashes))


class StoryIndex:
    """Story ids for articles, from the signatures of every article ingested here."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._b, self._r = BANDS, ROWS

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite.connect(self._path, synchronous_normal=True, any_thread=True)
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def assign(self, articles: list[Article]) -> list[Article]:
        """The articles with their story ids, their signatures recorded (one transaction)."""
        with self._lock, self._db() as conn:
            return [replace(a, story_id=self._story(conn, a)) for a in articles]

    def _story(self, conn: sqlite3.Connection, article: Article) -> str:
        sig = signature(article.text)
        keys = self._keys(sig)
        story = self._copied_story(conn, article.id, sig, keys) or article.id
        conn.execute("DELETE FROM bands WHERE article_id = ?", (article.id,))
        conn.executemany(
            "INSERT INTO bands (band, key, article_id) VALUES (?, ?, ?)",
            [(band, key, article.id) for band, key in enumerate(keys)],
        )
        conn.execute(
            "INSERT OR REPLACE INTO signatures VALUES (?, ?, ?, ?)",
            (article.id, story, sig.shingles, sig.hashes.tobytes()),
        )
        return story

    def _keys(self, sig: Signature) -> list[bytes]:
        return [sig.hashes[i * self._r : (i + 1) * self._r].tobytes() for i in range(self._b)]

    def _copied_story(
        self, conn: sqlite3.Connection, article_id: str, sig: Signature, keys: list[bytes]
    ) -> str | None:
        """The story of the most similar stored copy, if any."""
        pairs = ",".join("(?, ?)" for _ in keys)
        params = [v for band, key in enumerate(keys) for v in (band, key)]
        rows = conn.execute(
            "SELECT s.article_id, s.story_id, s.shingles, s.minhash FROM signatures s WHERE s.article_id IN "
            f"(SELECT DISTINCT article_id FROM bands WHERE (band, key) IN (VALUES {pairs}))",
            params,
        ).fetchall()
        best: tuple[float, str] | None = None
        for other_id, story, count, blob in rows:
            if other_id == article_id:
                continue
            other = Signature(np.frombuffer(blob, dtype=np.uint64), int(count))
            if is_copy(sig, other) and (best is None or similarity(sig, other) > best[0]):
                best = (similarity(sig, other), str(story))
        if best is None or best[1] == article_id:
            return None
        return best[1]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
