"""The BM25 replica's segments (replica/bm25_files.py): a process maps them instead of
building an index at start, ranks exactly as an index built over the same rows, and a
process killed while writing one, or a damaged file, never makes a search wrong."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO
from vectorstore.replica import bm25_files
from vectorstore.replica.bm25 import LiveBM25
from vectorstore.replica.bm25_files import Bm25Files
from vectorstore.replica.passages import PassageRow
from vectorstore.replica.postings import Postings
from vectorstore.replica.rows import ChunkRows

WORDS = [
    "harbour",
    "bridge",
    "ferry",
    "tram",
    "council",
    "budget",
    "strike",
    "coral",
    "reef",
    "marathon",
    "library",
    "pier",
    "storm",
]
QUERIES = ["harbour bridge", "tram strike council", "coral reef storm", "marathon", "library budget budget"]
EVERY = lambda a, h: True  # noqa: E731


def text(i: int) -> str:
    """Distinct texts whose words and lengths vary with i."""
    return " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 3 + i % 7)) + f" item{i % 11}"


def fill(rows: ChunkRows, first: int, count: int, version: str = "v1") -> None:
    """`count` articles of one chunk each, published."""
    rows.add([PassageRow(f"a{i}:{version}", f"a{i}", version, text(i)) for i in range(first, first + count)])
    rows.publish([(f"a{i}", version) for i in range(first, first + count)])


def ranked(live: LiveBM25) -> list[list[tuple[str, float]]]:
    return [[(r.chunk_id, round(s, 5)) for r, s in live.search(q, 10, EVERY)] for q in QUERIES]


def in_memory(rows: ChunkRows) -> list[list[tuple[str, float]]]:
    """What an index built over the same rows ranks (all of them held as one tail)."""
    return ranked(unsegmented(rows))


def unsegmented(rows: ChunkRows) -> LiveBM25:
    live = LiveBM25(rows)
    live._files.bring_up = lambda wait=True: 0  # type: ignore[method-assign]  # never writes segments
    live._rows = _NoSegments(rows)  # type: ignore[assignment]
    live.refresh()
    return live


class _NoSegments:
    """The rows, their segment list hidden."""

    def __init__(self, rows: ChunkRows) -> None:
        self._rows = rows

    def segments(self) -> list[object]:
        return []

    def __getattr__(self, name: str) -> object:
        return getattr(self._rows, name)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bm25_files, "SEGMENT_ROWS", 8)
    monkeypatch.setattr(bm25_files, "MERGE", 3)


def test_segments_rank_as_an_index_over_the_same_rows(tmp_path: Path, small: None) -> None:
    rows = ChunkRows(tmp_path / "lexical.sqlite3")
    fill(rows, 0, 90)
    assert Bm25Files(rows).bring_up() > 0
    levels = [s.level for s in rows.segments()]
    assert bm25_files.TOP in levels, "full pages were merged, and merged segments merged again"
    assert sum(s.docs for s in rows.segments()) <= 90 and len(rows.segments()) < 90 // 8
    live = LiveBM25(rows)
    assert live.refresh() == 90 and live.refresh() == 0
    assert ranked(live) == in_memory(rows)
    assert [live.idf(w) for w in ("harbour", "item3", "absent")] == [
        unsegmented(rows).idf(w) for w in ("harbour", "item3", "absent")
    ]


def test_a_process_starting_reads_the_tail_only_whatever_the_store_holds(
    tmp_path: Path, small: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = counted_builds(monkeypatch)
    for size in (40, 400):
        rows = ChunkRows(tmp_path / f"{size}.sqlite3")
        fill(rows, 0, size)
        Bm25Files(rows).bring_up()  # what the writer does after adding rows
        built.clear()
        live = LiveBM25(rows)
        assert live.refresh() == size
        assert sum(built) < bm25_files.SEGMENT_ROWS, f"at {size} rows a start built only the tail: {built}"
        assert ranked(live) == in_memory(rows)


def counted_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rows of every postings built from now on (Postings.build)."""
    built: list[int] = []
    original = Postings.build.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Postings], rows: object) -> Postings:
        made: Postings = original(cls, rows)
        built.append(len(made))
        return made

    monkeypatch.setattr(Postings, "build", classmethod(counting))
    return built


def test_levels_keep_the_segments_few_and_each_upkeep_small(
    tmp_path: Path, small: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows added a few at a time, as feeds do, upkeep after each write: the segments a
    word is looked up in stay about (MERGE - 1) per level plus one per top-level run of
    rows, and no upkeep reads more than a top-level segment's rows."""
    built = counted_builds(monkeypatch)
    rows = ChunkRows(tmp_path / "lexical.sqlite3")
    files = Bm25Files(rows)
    page, merge, top = bm25_files.SEGMENT_ROWS, bm25_files.MERGE, bm25_files.TOP
    for first in range(0, 400, 5):
        fill(rows, first, 5)
        files.bring_up()
    segments = rows.segments()
    assert len(segments) <= (merge - 1) * top + 400 // (page * merge**top), [s.level for s in segments]
    assert max(built) <= page * merge**top
    assert rows.count_between(segments[-1].hi, 1 << 62) < page, "the tail is less than a page"
    live = LiveBM25(rows)
    live.refresh()
    assert ranked(live) == in_memory(rows)


def test_segments_of_larger_pages_count_at_the_level_their_rows_reach(
    tmp_path: Path, small: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store whose segments were written with pages three times larger and one level
    (as before levels): upkeep goes on from them without ever merging more than a
    top-level segment's rows, and ranks as before."""
    rows = ChunkRows(tmp_path / "lexical.sqlite3")
    monkeypatch.setattr(bm25_files, "SEGMENT_ROWS", 24)
    monkeypatch.setattr(bm25_files, "TOP", 1)
    for first, count in ((0, 300), (300, 40)):
        fill(rows, first, count)
        Bm25Files(rows).bring_up()
    assert {s.level for s in rows.segments()} == {0, 1}
    monkeypatch.setattr(bm25_files, "SEGMENT_ROWS", 8)
    monkeypatch.setattr(bm25_files, "TOP", 2)
    assert {bm25_files.level_of(s) for s in rows.segments()} == {1, 2}, "counted at their rows' level"
    built = counted_builds(monkeypatch)
    for first in range(340, 540, 10):
        fill(rows, first, 10)
        Bm25Files(rows).bring_up()
    assert built and max(built) <= 8 * 3**2, built
    segments = rows.segments()
    assert rows.count_between(segments[-1].hi, 1 << 62) < 8
    live = LiveBM25(rows)
    live.refresh()
    assert ranked(live) == in_memory(rows)


def test_rows_deleted_since_a_segment_was_written_are_never_found(tmp_path: Path, small: None) -> None:
    rows = ChunkRows(tmp_path / "lexical.sqlite3")
    fill(rows, 0, 40)
    Bm25Files(rows).bring_up()
    fill(rows, 0, 5, "v2")  # a new version of five articles: their v1 rows are deleted
    fill(rows, 0, 5, "v1")  # and back: the v1 rows again, under new sequence numbers
    live = LiveBM25(rows)
    live.refresh()
    existing = {seq for seq, _, _ in rows.owners(list(range(1, rows.last_seq() + 1)))}
    for query in QUERIES:
        hits = [r for r, _ in live.search(query, 40, EVERY)]
        assert {r.seq for r in hits} <= existing, "no row deleted since its segment was written"
        found = [r.chunk_id for r in hits]
        assert len(found) == len(set(found)), "a row is found once, not once per copy"
        assert not [c for c in found if c.endswith(":v2")], "the rows of v2 are gone"


def test_a_merged_segment_with_many_rows_gone_is_rebuilt(tmp_path: Path, small: None) -> None:
    rows = ChunkRows(tmp_path / "lexical.sqlite3")
    fill(rows, 0, 30)
    Bm25Files(rows).bring_up()
    [merged] = [s for s in rows.segments() if s.level == 1]
    with rows.guard():
        rows.publish([(f"a{i}", None) for i in range(merged.docs // 2)])
    Bm25Files(rows).bring_up()
    [again] = [s for s in rows.segments() if s.level == 1]
    assert again.name != merged.name and again.docs == merged.docs - merged.docs // 2
    assert not (tmp_path / "lexical.bm25" / merged.name).exists()
    live = LiveBM25(rows)
    live.refresh()
    assert ranked(live) == in_memory(rows)


KILLED = """
import os, signal, sys
from pathlib import Path
from vectorstore.replica import bm25_files
from vectorstore.replica.bm25_files import Bm25Files
from vectorstore.replica.rows import ChunkRows
bm25_files.SEGMENT_ROWS = 8
step = sys.argv[2]
if step == "rename":  # the file written, not yet in place
    os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
else:  # in place, not yet listed
    ChunkRows.replace_segments = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
Bm25Files(ChunkRows(Path(sys.argv[1]))).bring_up()
"""


@pytest.mark.parametrize("step", ["rename", "list"])
def test_a_process_killed_writing_a_segment_leaves_searches_right(
    tmp_path: Path, step: str, small: None
) -> None:
    path = tmp_path / "lexical.sqlite3"
    rows = ChunkRows(path)
    fill(rows, 0, 30)
    before = in_memory(rows)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED, str(path), step],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert list((tmp_path / "lexical.bm25").glob("seg-*")), "it died with a file written"
    assert rows.segments() == [], "nothing was listed"
    live = LiveBM25(rows)
    live.refresh()
    assert ranked(live) == before
    Bm25Files(rows).bring_up()
    listed = {s.name for s in rows.segments()}
    assert listed and {p.name for p in (tmp_path / "lexical.bm25").glob("seg-*")} == listed, (
        "left-overs swept"
    )


def test_a_damaged_segment_is_read_from_the_rows_then_rebuilt(tmp_path: Path, small: None) -> None:
    rows = ChunkRows(tmp_path / "lexical.sqlite3")
    fill(rows, 0, 30)
    Bm25Files(rows).bring_up()
    first = rows.segments()[0]
    damaged = tmp_path / "lexical.bm25" / first.name
    damaged.write_bytes(damaged.read_bytes()[:100])  # cut short (a disk error, a bad copy)
    live = LiveBM25(rows)
    live.refresh()
    assert ranked(live) == in_memory(rows)
    Bm25Files(rows).bring_up()
    assert first.name not in {s.name for s in rows.segments()}, "rebuilt under a new name"
    fresh = LiveBM25(rows)
    fresh.refresh()
    assert json.dumps(ranked(fresh)) == json.dumps(in_memory(rows))


def test_a_word_is_found_by_its_text_not_only_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vectorstore.replica import postings

    monkeypatch.setattr(postings, "word_hash", lambda word: 7)  # every word shares one hash
    rows = ChunkRows(tmp_path / "lexical.sqlite3")
    fill(rows, 0, 12)
    built = Postings.build(rows.rows_since(0))
    built.save(tmp_path / "all.bm25")
    for made in (built, Postings.open(tmp_path / "all.bm25")):
        found = made.lookup("harbour")
        assert found is not None and len(found[0]) == sum("harbour" in text(i) for i in range(12))
        assert made.lookup("submarine") is None


def test_a_build_in_blocks_writes_the_file_a_build_at_once_writes(tmp_path: Path) -> None:
    """Postings.build counts BLOCK_ROWS rows at a time: whatever the block, the same file,
    and in it each word's rows (ascending) with its count in each row."""
    rows = ChunkRows(tmp_path / "lexical.sqlite3")
    fill(rows, 0, 40)
    stored = list(rows.rows_since(0))
    Postings.build(iter(stored), block=len(stored) + 1).save(tmp_path / "at-once.bm25")
    at_once = (tmp_path / "at-once.bm25").read_bytes()
    for block in (1, 3, 7, 40):
        Postings.build(iter(stored), block=block).save(tmp_path / f"by-{block}.bm25")
        assert (tmp_path / f"by-{block}.bm25").read_bytes() == at_once, f"blocks of {block}"
    made = Postings.open(tmp_path / "at-once.bm25")
    assert [int(s) for s in made.seq] == [row.seq for row in stored]
    assert [float(n) for n in made.doc_len] == [len(row.tokens) for row in stored]
    counted = [Counter(row.tokens) for row in stored]
    for word in {w for row in stored for w in row.tokens}:
        found = made.lookup(word)
        assert found is not None
        expected = [(i, c[word]) for i, c in enumerate(counted) if word in c]
        assert [(int(d), float(t)) for d, t in zip(*found, strict=True)] == expected, word
    empty = Postings.build(iter([]))
    assert len(empty) == 0 and empty.lookup("harbour") is None


def test_the_stop_words_are_bm25s_english_list() -> None:
    import bm25s.stopwords

    from vectorstore.lexical import STOPWORDS

    assert frozenset(bm25s.stopwords.STOPWORDS_EN) == STOPWORDS
