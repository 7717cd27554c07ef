"""The BM25 replica's files: the postings of the host's rows (replica/rows.py), in
segments that answering processes memory-map instead of building an index at start.

Each segment holds the rows of one range of sequence numbers (postings.py) and is never
changed: rows only ever get higher numbers, so a segment of (lo, hi] stays complete. The
segments that count are those listed in the rows' own SQLite file (`bm25_segment`),
replaced in one transaction: a file is written and synced before it is listed, and a
process killed at any point leaves either the old list or the new one (a file written but
never listed is removed by the next upkeep). A process reads the list, maps what it
lists, and reads the rows after the last segment from SQLite (the tail, fewer than
SEGMENT_ROWS when upkeep keeps up).

Upkeep (`bring_up`, one process at a time: a flock beside the files) is done by writers
after they add rows, and by a reader whose tail has grown past twice SEGMENT_ROWS: each
full page of SEGMENT_ROWS rows after the last segment becomes a segment of level 0; MERGE
neighbouring segments of one level below TOP are rebuilt as one of the next level (from
the rows, which drops the rows deleted since), and MERGE pages at once are written as one
of level 1; a merged segment is rebuilt when DEAD_SHARE of its rows are gone. So a start
reads fewer than twice SEGMENT_ROWS rows into memory (after a writer's upkeep, fewer than
SEGMENT_ROWS; the tail: at 100k chunks 2,048-row pages
left a 1,788-row tail that took 0.09 s of a cold `newsdesk ask`), a search looks a word
up in about (MERGE - 1) x TOP + rows / (SEGMENT_ROWS x MERGE^TOP) segments, and no
upkeep reads more than SEGMENT_ROWS x MERGE^TOP rows at once (memory bounded, whatever
the store). A segment counts at the level its rows say when that is higher than the one
it was written at (pages of an earlier, larger SEGMENT_ROWS).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common.lock_order import LockRank, ranked
from vectorstore.replica.postings import Postings
from vectorstore.replica.rows import ChunkRows, SegmentInfo
from vectorstore.system import flocked

log = logging.getLogger(__name__)

SEGMENT_ROWS = 256  # rows of a level-0 segment (a page); the tail stays below it
MERGE = 8  # segments of one level merged into one of the next
TOP = 2  # the highest level: its segments (SEGMENT_ROWS x MERGE^TOP rows) are not merged
DEAD_SHARE = 0.25  # of a merged segment's rows deleted since it was written: rebuilt


def folder_of(rows: ChunkRows) -> Path:
    """The segments' folder, beside the rows' file (lexical.sqlite3 -> lexical.bm25/)."""
    return rows.path.with_suffix(".bm25")


class Bm25Files:
    def __init__(self, rows: ChunkRows) -> None:
        self.rows = rows
        self.folder = folder_of(rows)

    def path(self, name: str) -> Path:
        return self.folder / name

    @contextmanager
    def upkeep(self, wait: bool) -> Iterator[bool]:
        """One process's upkeep at a time; without `wait`, yields False when another has it."""
        with ranked(LockRank.BM25_UPKEEP, waits=wait), flocked(self.folder / ".lock", wait=wait) as taken:
            yield taken

    def bring_up(self, wait: bool = True) -> int:
        """Segments for the full pages of rows after the last one, merges and rebuilds
        due; the number of segments written (0 without `wait` when another process is
        at it)."""
        with self.upkeep(wait) as mine:
            if not mine:
                return 0
            written = self._repair() + self._append()
            written += self._merge() + self._compact()
            self._sweep()
            return written

    def _append(self) -> int:
        """A segment for each full page of rows after the last segment: MERGE pages at
        once when no first-size segment waits to be merged (a catch-up, a first upkeep)."""
        written = 0
        while True:
            segments = self.rows.segments()
            last = segments[-1].hi if segments else 0
            level = 0 if any(level_of(s) == 0 for s in segments) else 1
            hi = self.rows.seq_after(last, SEGMENT_ROWS * MERGE) if level else None
            if hi is None:
                level, hi = 0, self.rows.seq_after(last, SEGMENT_ROWS)
            if hi is None:
                return written
            self._replace([], hi, last, level, Postings.build(self.rows.rows_between(last, hi)))
            written += 1

    def _merge(self) -> int:
        """Each run of MERGE neighbouring segments of one level below TOP, as one of the
        next level, until none is left."""
        written = 0
        while (run := _mergeable(self.rows.segments())) is not None:
            self._rebuild(run, level_of(run[0]) + 1)
            written += 1
        return written

    def _compact(self) -> int:
        written = 0
        for segment in [s for s in self.rows.segments() if level_of(s) > 0]:
            if self.rows.count_between(segment.lo, segment.hi) < segment.docs * (1 - DEAD_SHARE):
                self._rebuild([segment], level_of(segment))
                written += 1
        return written

    def _repair(self) -> int:
        """A listed segment whose file is gone or damaged is rebuilt from its rows."""
        written = 0
        for segment in self.rows.segments():
            try:
                Postings.open(self.path(segment.name))
            except (OSError, ValueError):
                log.warning("BM25 segment %s is unreadable: rebuilding it", segment.name)
                self._rebuild([segment], level_of(segment))
                written += 1
        return written

    def _rebuild(self, segments: list[SegmentInfo], level: int) -> None:
        lo, hi = segments[0].lo, segments[-1].hi
        postings = Postings.build(self.rows.rows_between(lo, hi))
        self._replace([s.name for s in segments], hi, lo, level, postings)

    def _replace(self, old: list[str], hi: int, lo: int, level: int, postings: Postings) -> None:
        """Write the new segment's file, then list it in place of `old` (one transaction),
        then remove the old files (processes that mapped them keep their mapping)."""
        name = f"seg-{lo}-{hi}-{uuid.uuid4().hex[:8]}.bm25"
        postings.save(self.path(name))
        self.rows.replace_segments(old, SegmentInfo(name, lo, hi, len(postings), level))
        for gone in old:
            self.path(gone).unlink(missing_ok=True)

    def _sweep(self) -> None:
        """Files no list names: left by a process killed before it listed them, or
        replaced while a reader still mapped them."""
        listed = {s.name for s in self.rows.segments()}
        for path in self.folder.glob("seg-*"):
            if path.name not in listed:
                path.unlink(missing_ok=True)


def level_of(segment: SegmentInfo) -> int:
    """The level a segment counts at: the one it was written at, or the one its rows
    reach (SEGMENT_ROWS x MERGE^level) when higher."""
    level, size = 0, SEGMENT_ROWS
    while segment.docs > size and level < TOP:
        level, size = level + 1, size * MERGE
    return max(segment.level, level)


def _mergeable(segments: list[SegmentInfo]) -> list[SegmentInfo] | None:
    """The first MERGE neighbouring segments of one level below TOP, if any."""
    run: list[SegmentInfo] = []
    for segment in segments:
        if run and level_of(run[-1]) != level_of(segment):
            run = []
        if level_of(segment) < TOP:
            run.append(segment)
            if len(run) == MERGE:
                return run
    return None
