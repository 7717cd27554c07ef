"""The layout of the host's rows file (rows.py): its tables, the checks that it is
current, and the changes that bring an older file up to it, run in the caller's
transaction. Layout 3 is the passage columns and `meta`; tables added since without a
new version (older code ignores them) are the BM25 segments (bm25_files.py) and the
manifest's mirror (mirror.py); rows written before sentences carried their furniture
flags are written again with them once (`FLAGS_KEY`)."""

from __future__ import annotations

import logging
import sqlite3

from vectorstore.replica import mirror
from vectorstore.replica.passages import blob_flagged, covered, decode_sentences, sentences_blob

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # 3: the passage columns and `meta`
FLAGS_KEY = "sentence_flags"  # in `meta`: every row's sentences carry their flags (passages.py)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL,
    hash TEXT NOT NULL, tokens TEXT NOT NULL, idx INTEGER NOT NULL, start INTEGER NOT NULL,
    end INTEGER NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL, sentences BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunk_article ON chunk(article_id);
CREATE TABLE IF NOT EXISTS article(article_id TEXT PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_ADDED = (
    """CREATE TABLE IF NOT EXISTS bm25_segment(name TEXT PRIMARY KEY, lo INTEGER NOT NULL,
    hi INTEGER NOT NULL, docs INTEGER NOT NULL, level INTEGER NOT NULL)""",
    *mirror.SCHEMA,
)
_ADDED_TABLES = ("bm25_segment", *mirror.TABLES)


def current(db: sqlite3.Connection) -> bool:
    """Whether the file has this layout, every table and its sentences' flags (a reader
    then opens it without taking the write lock)."""
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        return False
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    flags = tables >= set(_ADDED_TABLES) and db.execute("SELECT value FROM meta WHERE key = ?", (FLAGS_KEY,))
    return bool(flags and flags.fetchone() is not None)


def bring_up(db: sqlite3.Connection) -> None:
    """In a transaction: an older layout dropped (catch_up.py rebuilds it from the store),
    the tables added, the sentences flagged."""
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        for table in ("fts", "vocab", "chunk", "article", "meta", *_ADDED_TABLES):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _SCHEMA.split(";"):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    for statement in _ADDED:
        db.execute(statement)
    _flag_sentences(db)


def _flag_sentences(db: sqlite3.Connection) -> None:
    """Rows written before sentences carried their furniture flags (store format 5) are
    written again with them, read from their article's text (as its rows cover it), once
    (`FLAGS_KEY`)."""
    done = db.execute("SELECT value FROM meta WHERE key = ?", (FLAGS_KEY,)).fetchone()
    if done:
        return
    again = 0
    keys = db.execute("SELECT DISTINCT article_id, hash FROM chunk").fetchall()
    for article_id, version in keys:  # one article's rows in memory at a time
        query = "SELECT seq, start, text, sentences FROM chunk WHERE article_id = ? AND hash = ?"
        rows = db.execute(query, (article_id, version)).fetchall()
        stale = [(seq, start, text, blob) for seq, start, text, blob in rows if not blob_flagged(blob)]
        if not stale:
            continue
        key = (article_id, version)
        page = covered((key, start, text) for _, start, text, _ in stale)[key]
        db.executemany(
            "UPDATE chunk SET sentences = ? WHERE seq = ?",
            [(sentences_blob(decode_sentences(blob, *page)), seq) for seq, _, _, blob in stale],
        )
        again += len(stale)
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, 1)", (FLAGS_KEY,))
    if again:
        log.info("host rows: %d chunks' sentences given their furniture flags", again)
