"""The manifest's records mirrored in the host's rows file (rows.py), so that a process
answering from an embedded store can tell the replica is current, and read the records,
without opening Chroma (whose import alone took 0.76 s of a 2.7 s cold `ask`).

What keeps the mirror true, all in the rows' SQLite file:
- `record`: each article's manifest record (JSON), or a tombstone (hash NULL), with the
  number of the change that wrote it (`changed`), so a running reader reads only what
  changed since its snapshot.
- every writer of this version changes the manifest under the rows' guard: it marks the
  file `pending` (committed) before the change in Chroma, and its publish (the rows'
  visible versions) updates the mirror and clears the mark in one transaction. A writer
  killed between the two leaves the mark: readers then use Chroma, and the next one that
  does copies the manifest into the mirror again, under the guard (`replace_all`).
- triggers count every change of the rows' visible versions (`changes`), whoever makes
  it; the mirror records the count it is true for (`mirrored`). A publish that does not
  update the mirror (a process of an earlier version, a test) leaves the two apart, and
  readers use Chroma until the mirror is copied again.
- `store_meta`: the chunks collection's embedding model, dimension and format version,
  as of the last copy, for the checks a store makes when it opens.

The mirror counts as current when it was copied once (`mirror` = 1), nothing is pending
and `changes` = `mirrored`. What it cannot see: a process of an earlier version killed
between its flip and its publish (that article stays at its previous version in the
mirror, whole, until a writer of this version next copies the manifest).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from dataclasses import asdict, dataclass
from typing import TypeVar, overload

from vectorstore.models import ArticleRecord

_COUNT = "INSERT INTO meta(key, value) VALUES ('changes', 1) ON CONFLICT(key) DO UPDATE SET value = value + 1"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS record(article_id TEXT PRIMARY KEY, hash TEXT, data TEXT,"
    " changed INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS record_changed ON record(changed)",
    "CREATE TABLE IF NOT EXISTS store_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    *(
        f"CREATE TRIGGER IF NOT EXISTS article_{event.lower()} AFTER {event} ON article BEGIN {_COUNT}; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
)
TABLES = ("record", "store_meta")
_T = TypeVar("_T")
_KEYS = ("mirror", "pending", "changes", "mirrored", "version")


@dataclass(frozen=True)
class StoreMeta:
    """What the chunks collection records about the store."""

    model: str | None
    dimension: int | None
    format: int | None


@dataclass(frozen=True)
class MirrorState:
    current: bool  # the records are the manifest's
    version: int  # moves with every change of the records
    store: StoreMeta


def state(db: sqlite3.Connection) -> MirrorState:
    """Read in one statement: a writer's mark and publish are each one transaction."""
    marks = placeholders(_KEYS)
    values = dict(db.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", _KEYS).fetchall())
    store = dict(db.execute("SELECT key, value FROM store_meta").fetchall())
    current = values.get("mirror") == 1 and not values.get("pending")
    current = current and values.get("changes", 0) == values.get("mirrored", 0)
    dimension = store.get("dimension")
    fmt = store.get("format")
    meta = StoreMeta(store.get("model"), int(dimension) if dimension else None, int(fmt) if fmt else None)
    return MirrorState(current, int(values.get("version", 0)), meta)


def placeholders(values: tuple[object, ...] | list[object]) -> str:
    return ",".join("?" * len(values))


def _set(db: sqlite3.Connection, key: str, value: int) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _get(db: sqlite3.Connection, key: str) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else 0


def mark_pending(db: sqlite3.Connection) -> None:
    """Before a change of the manifest (in its own committed transaction)."""
    _set(db, "pending", 1)


def update(db: sqlite3.Connection, records: Mapping[str, ArticleRecord | None]) -> None:
    """In the publish's transaction, after its changes of the visible versions: these
    records (None: removed) mirrored, the mark cleared, the count of changes caught up."""
    version = _get(db, "version") + 1
    db.executemany(
        "INSERT OR REPLACE INTO record VALUES (?, ?, ?, ?)",
        [(a, r.hash if r else None, _encode(r), version) for a, r in records.items()],
    )
    _set(db, "version", version)
    _set(db, "pending", 0)
    _set(db, "mirrored", _get(db, "changes"))


def replace_all(db: sqlite3.Connection, records: Mapping[str, ArticleRecord], store: StoreMeta) -> None:
    """The whole manifest copied (under the rows' guard: no writer is changing it)."""
    version = _get(db, "version") + 1
    db.execute("DELETE FROM record")
    rows = [(a, r.hash, _encode(r), version) for a, r in records.items()]
    db.executemany("INSERT INTO record VALUES (?, ?, ?, ?)", rows)
    db.execute("DELETE FROM store_meta")
    for key, value in asdict(store).items():
        if value is not None:
            db.execute("INSERT INTO store_meta VALUES (?, ?)", (key, str(value)))
    marks = {"version": version, "pending": 0, "mirror": 1, "mirrored": _get(db, "changes")}
    for key, value in marks.items():
        _set(db, key, value)


def records_since(db: sqlite3.Connection, version: int) -> tuple[dict[str, str], list[str]]:
    """(the JSON of the records written after `version`, ids removed after it); all records
    for 0. Decoded on first read, by `Records`."""
    changed: dict[str, str] = {}
    removed: list[str] = []
    for article_id, data in db.execute("SELECT article_id, data FROM record WHERE changed > ?", (version,)):
        if data is None:
            removed.append(article_id)
        else:
            changed[article_id] = data
    return changed, removed


class Records(Mapping[str, ArticleRecord]):
    """The mirror's records by article id, each decoded from its JSON when first read (and
    kept decoded in its place): a question reads a few of them, and at 100k chunks (8,800
    articles) decoding them all took 0.1 s of a cold `newsdesk ask`. A walk over them all
    (`values`, `items`: a filter reads every record) decodes the rest once and walks a plain
    dict, as `get` reads one; Mapping's generic walks cost a call per record on every
    question. The same records whatever was read: `updated` makes the next snapshot's."""

    def __init__(self, items: Mapping[str, str | ArticleRecord]) -> None:
        self._items = dict(items)
        self._all: dict[str, ArticleRecord] | None = None  # every record, once all are decoded

    def __getitem__(self, article_id: str) -> ArticleRecord:
        return self._read(article_id, self._items[article_id])

    @overload
    def get(self, article_id: str, /) -> ArticleRecord | None: ...

    @overload
    def get(self, article_id: str, /, default: ArticleRecord | _T) -> ArticleRecord | _T: ...

    def get(self, article_id: str, /, default: ArticleRecord | _T | None = None) -> ArticleRecord | _T | None:
        item = self._items.get(article_id)
        return default if item is None else self._read(article_id, item)

    def _read(self, article_id: str, item: str | ArticleRecord) -> ArticleRecord:
        """The record, decoded in its place when it is still JSON."""
        if isinstance(item, str):
            item = self._items[article_id] = _decode(item)
        return item

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._items

    def values(self) -> ValuesView[ArticleRecord]:
        return self._decoded().values()

    def items(self) -> ItemsView[str, ArticleRecord]:
        return self._decoded().items()

    def _decoded(self) -> dict[str, ArticleRecord]:
        """Every record decoded, in the mirror's order."""
        if self._all is None:
            self._all = {a: self._read(a, i) for a, i in list(self._items.items())}
        return self._all

    def updated(self, changed: Mapping[str, str], removed: list[str]) -> Records:
        """These records with `changed` (JSON) written and `removed` gone; what was
        decoded and did not change stays decoded."""
        items = {**self._items, **changed}
        for article_id in removed:
            items.pop(article_id, None)
        return Records(items)


def _decode(data: str) -> ArticleRecord:
    return ArticleRecord(**json.loads(data))


def _encode(record: ArticleRecord | None) -> str | None:
    return None if record is None else json.dumps(asdict(record), separators=(",", ":"))
