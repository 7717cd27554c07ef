"""The lease protocol (lease.py) on a fake collection with last-writer-wins upserts, as a
Chroma server's are: two takers whose writes cross, a renewal that lands but fails in the
client, a release past the deadline, the clock, the fence; and the fence read before every
chunk batch. The races are driven by hooks instead of sleeps; the lease clock is moved by
hand where a state needs time to pass, and renewals are made by hand (`renew()`: no
renewer thread)."""

from __future__ import annotations

import ast
import inspect
import sys
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from vectorstore.chroma import lease as lease_module
from vectorstore.chroma.chunks import Chunks
from vectorstore.chroma.lease import Holder, Lease, LeaseLostError, check_fence

SETTLE = 0.5  # the product's: a taking write answered later than this gives up, on a busy machine too


class Clock:
    """The lease clock, moved ahead by hand (the real one underneath: sleeps count)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class Collection:
    """One record per id; an upsert replaces it whole. `before_landing[holder]` runs before
    that holder's write lands (block it, move the clock); `fail_after_landing` holds the
    (holder, beat) writes that land and then raise in the client, as a timed-out request."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.upserts = 0
        self.before_landing: dict[str, Callable[[], None]] = {}
        self.fail_after_landing: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def get(self, ids: list[str], include: list[str]) -> dict[str, Any]:
        with self._lock:
            meta = self.records.get(ids[0])
        return {"metadatas": [dict(meta)] if meta else []}

    def upsert(self, ids: list[str], embeddings: Any, metadatas: list[dict[str, Any]]) -> None:
        meta = metadatas[0]
        who = str(meta.get("holder"))
        if who in self.before_landing:
            self.before_landing[who]()
        with self._lock:
            self.records[ids[0]] = dict(meta)
            self.upserts += 1
        if (who, meta.get("beat")) in self.fail_after_landing:
            self.fail_after_landing.discard((who, int(meta["beat"])))
            raise TimeoutError("the client timed out; the server applied it")

    def token(self) -> Any:
        return self.records.get("L", {}).get("token")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(lease_module, "now", c)
    return c


def _lease(coll: Collection, seconds: float = 30.0) -> Lease:
    return Lease(coll, "L", seconds, settle=SETTLE, renewing=False)  # type: ignore[arg-type]


def test_a_taker_whose_write_lands_after_the_others_read_back_gives_up() -> None:
    """The reviewer's race 1: both read the record free; B's write lands after A read its own
    token back. B measured more than `settle` from its read to its write's answer: it gives up,
    and A finds B's token at its next write's check. Never two holders."""
    coll = Collection()
    writing, go = threading.Event(), threading.Event()

    def held_back() -> None:
        writing.set()
        go.wait(10)

    coll.before_landing["b"] = held_back
    a, b = _lease(coll), _lease(coll)
    got: dict[str, bool] = {}
    taker = threading.Thread(target=lambda: got.setdefault("b", b.try_acquire(Holder.me("b"))))
    taker.start()
    assert writing.wait(10), "b read the record free and sent its write"
    assert a.try_acquire(Holder.me("a")), "a wrote and read its own token back"
    go.set()
    taker.join(10)
    assert got == {"b": False}, "b's write took longer than settle: b does not hold it"
    assert coll.records["L"]["holder"] == "b", "b's late write is the record: b gave up, it expires"
    with pytest.raises(LeaseLostError, match="taken over"):
        a.check(verify=True)  # a's next write batch stops here


class FencedCoordinator:
    """What Chunks asks of its coordinator: `fence` (reading the lease back), recorded in
    one log with the collection's writes; the lease is found lost at check `lost_at`."""

    def __init__(self, lost_at: int) -> None:
        self.log: list[str] = []
        self.lost_at = lost_at
        collection = SimpleNamespace(
            upsert=lambda ids, **_: self.log.append(f"upsert {','.join(ids)}"),
            delete=lambda ids: self.log.append(f"delete {','.join(ids)}"),
        )
        self.conn = SimpleNamespace(chunks=collection, sentences=None)

    def fence(self, verify: bool = False) -> None:
        self.log.append(f"fence verify={verify}")
        if sum(e.startswith("fence") for e in self.log) == self.lost_at:
            raise LeaseLostError("taken over")


@pytest.mark.parametrize("op", ["upsert", "delete"])
def test_every_chunk_batch_reads_the_lease_back_first_and_none_goes_after_it_is_lost(op: str) -> None:
    """A write of five chunks in batches of two: the lease read back (verify) before each
    batch; found lost before the third, the third is never sent (a writer whose lease was
    taken over sends nothing more)."""
    coord = FencedCoordinator(lost_at=3)
    chunks = Chunks(coord, max_batch=2)  # type: ignore[arg-type]
    rows: list[Any] = [(f"c{i}", np.ones(3, np.float32), "text", {}) for i in range(5)]
    with pytest.raises(LeaseLostError):
        if op == "upsert":
            chunks.upsert(rows)
        else:
            chunks.delete([r[0] for r in rows])
    assert coord.log == [
        "fence verify=True",
        f"{op} c0,c1",
        "fence verify=True",
        f"{op} c2,c3",
        "fence verify=True",
    ]


def test_a_renewal_that_lands_but_fails_in_the_client_takes_a_new_beat(clock: Clock) -> None:
    """Renewal beat 1 lands, the client sees a timeout. The retry is beat 2, so a taker's
    watch restarts at it; the holder's deadline moves only with the answered renewal. At no
    moment do both hold it."""
    coll = Collection()
    a, b = _lease(coll), _lease(coll)
    assert a.try_acquire(Holder.me("a"))
    clock.advance(10)
    coll.fail_after_landing.add(("a", 1))
    assert a.renew() and coll.records["L"]["beat"] == 1, "landed, and failed here: a keeps renewing"
    assert not b.try_acquire(Holder.me("b"))  # b starts watching beat 1
    clock.advance(10)
    assert a.renew() and coll.records["L"]["beat"] == 2, "a new beat, not beat 1 again"
    assert not b.try_acquire(Holder.me("b"))  # beat 2: b's watch restarts
    clock.advance(20.5)  # 30.5 s after beat 1 landed: a taker watching beat 1 would take it now
    assert not b.try_acquire(Holder.me("b")), "beat 2 has not gone unrenewed for the lease"
    a.check()  # held: beat 2 was answered, its deadline is 20 s + 30 s less the margin
    clock.advance(4)  # 44.5 s: a's deadline (beat 2 sent at 20 s, + 30 s less the margin) passed
    assert a.lost is not None
    assert not b.try_acquire(Holder.me("b")), "b takes it only 30 s after beat 2 landed"
    clock.advance(6)
    assert b.try_acquire(Holder.me("b"))
    with pytest.raises(LeaseLostError):
        a.check()


def test_a_renewal_that_failed_in_the_client_does_not_move_the_deadline(clock: Clock) -> None:
    coll = Collection()
    a = _lease(coll)
    assert a.try_acquire(Holder.me("a"))  # deadline: 30 s less the margin, 24 s
    clock.advance(10)
    coll.fail_after_landing.add(("a", 1))
    assert a.renew()
    clock.advance(14.5)  # 24.5 s: past the deadline of the taking write (34 s, had beat 1 moved it)
    assert a.lost is not None
    with pytest.raises(LeaseLostError, match="ran out"):
        a.check()


def test_a_renewal_answered_past_the_deadline_loses_the_lease(clock: Clock) -> None:
    coll = Collection()
    a = _lease(coll)
    assert a.try_acquire(Holder.me("a"))
    clock.advance(10)
    coll.before_landing["a"] = lambda: clock.advance(20)  # the request hung: it may land after a takeover
    assert not a.renew()
    with pytest.raises(LeaseLostError, match="ran out"):
        a.check()


def test_release_past_the_deadline_or_of_a_taken_lease_writes_nothing(clock: Clock) -> None:
    coll = Collection()
    a = _lease(coll)
    assert a.try_acquire(Holder.me("a"))
    clock.advance(25)  # past valid_until (30 s less the margin): a taker may hold it now
    writes = coll.upserts
    a.release()
    assert coll.upserts == writes and coll.records["L"]["holder"] == "a", "not freed"

    coll = Collection()
    a = _lease(coll)
    assert a.try_acquire(Holder.me("a"))
    coll.records["L"] = {**coll.records["L"], "holder": "b", "token": "b-token"}  # taken over
    writes = coll.upserts
    a.release()
    assert coll.upserts == writes and coll.token() == "b-token"

    coll = Collection()
    a = _lease(coll)
    assert a.try_acquire(Holder.me("a"))
    a.release()
    assert coll.token() is None and coll.records["L"]["fence"] == 1, "held and in time: freed"


def test_the_lease_clock_counts_suspend_and_is_the_only_clock_of_the_module() -> None:
    if sys.platform.startswith("linux"):
        assert lease_module._CLOCK == time.CLOCK_BOOTTIME
        assert abs(lease_module.now() - time.clock_gettime(time.CLOCK_BOOTTIME)) < 1
    tree = ast.parse(inspect.getsource(lease_module))
    reads = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("monotonic", "time", "perf_counter")
    ]
    assert len(reads) == 1, "time.monotonic only in now()'s fallback"


def test_the_fence_is_unique_to_a_hold() -> None:
    check_fence(3, "mine", {})  # nothing written under a lease yet
    check_fence(3, "mine", {"fence": 2, "fence_token": "older"})
    check_fence(3, "mine", {"fence": 3, "fence_token": "mine"})
    check_fence(0, "", {"fence": 9, "fence_token": "x"})  # the file lock has no fence
    with pytest.raises(LeaseLostError, match="overtaken"):
        check_fence(3, "mine", {"fence": 3, "fence_token": "theirs"})
    with pytest.raises(LeaseLostError, match="overtaken"):
        check_fence(3, "mine", {"fence": 4, "fence_token": "later"})
