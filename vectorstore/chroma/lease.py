"""Leases on a Chroma server: records in the manifest collection that one process of a fleet
holds at a time. The writer lease (`__writer_lease__`: one writer per store across hosts,
locks.py) and the poller lease (`__poller_lease__`: the one process of a fleet that polls
the feeds and plans the newsroom's deliveries, `Seat`).

Chroma has no conditional write, so the protocol is built from reads and writes whose
timing is on each process's own clock, `now()` (CLOCK_BOOTTIME on Linux: it counts a system
suspend, which CLOCK_MONOTONIC does not; time.monotonic elsewhere). No two hosts' clocks are
compared, only durations each measured on its own clock.

- **Taking it.** A record without a token is free. A record with a token is expired when
  the taker has watched it (its token and `beat`) stay the same for `seconds` of the
  taker's clock: its holder stopped renewing (dead, paused, cut off). The taker writes a
  new token with `fence` one higher than the record's (fence numbers only grow, a
  release keeps them). If more than `settle` passed from sending its read to its write's
  answer, it gives up (the record expires by itself): a competing taker may already have
  read its own token back. Otherwise it waits `settle` and reads the record back: its
  token there, it holds the lease. Of two takers A and B that both read the record free,
  each read went out before the other's write landed; B's write landed less than `settle`
  after B's read, so before A's read-back, which went out at least `settle` after A's
  write was answered: the later write is seen by the other's read-back, and one of them
  at most holds it. (Chroma's HTTP client has no request timeout to set: chromadb 1.5
  makes its httpx client with `timeout=None`, so a slow write is bounded by measuring it.)
- **Holding it.** A thread renews it every `seconds`/3: it reads the record (another
  token there: lost) and writes the next `beat`, a new one for every attempt (an attempt
  that reached the server but failed in the client restarts a taker's watch too). The
  holder counts the lease as its own until `valid_until`: the moment it sent its last
  successful renewal (or the taking write) plus `seconds` less a margin; a renewal
  answered only after `valid_until` loses it (it may have landed after a takeover). A
  taker waits at least `seconds` after seeing the last renewal land, so a holder that
  respects `valid_until` never overlaps with the next one.
- **Fencing.** Every write batch of the holder calls `check(verify=True)` first (one read
  of the record): past `valid_until` (the process was paused by SIGSTOP, a long GC, a
  suspended host, or could not renew), or with another token in the record, the lease is
  lost for good: `LeaseLostError`, and nothing more is written. Each hold's fence is
  unique, its number and its token (`fence_token`); the writes record it on the write
  epoch marker, and a new holder's first write refuses to go on when the marker names a
  later hold or another hold with its number (`check_fence`, coordination.py).
- **Letting go.** `release` frees the record only if it still holds the holder's token
  and `valid_until` has not passed just before the write.

The window left (Chroma could close it only with a conditional write): a write batch
whose request leaves the process before `valid_until` but reaches the server only after a
taker took over, that is more than `seconds` after the holder's last renewal landed (at
least `MARGIN` x `seconds`, 6 s of a 30 s lease, after its check); and a host whose clock
does not count the time its VM was frozen (the hypervisor's choice), whose holder then
writes on until its next check's read-back finds the new holder's token (one batch).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from vectorstore.errors import StoreBusyError

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

MARGIN = 0.2  # share of the lease a holder keeps in reserve before it could expire
_VECTOR = np.ones((1, 1), np.float32)  # Chroma needs a vector for every record
_CLOCK: int | None = getattr(time, "CLOCK_BOOTTIME", None)  # Linux


def now() -> float:
    """The lease clock, in seconds: CLOCK_BOOTTIME on Linux (it keeps counting while the
    system is suspended, CLOCK_MONOTONIC stops), time.monotonic elsewhere. Every lease
    time (takeover watch, `valid_until`, the taker's measured write) is on it."""
    return time.clock_gettime(_CLOCK) if _CLOCK is not None else time.monotonic()


@dataclass(frozen=True)
class Holder:
    """Who holds the writer lock, as shown to a writer that has to wait."""

    holder: str
    pid: int
    host: str
    since: str

    @classmethod
    def me(cls, holder: str) -> Holder:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(holder, os.getpid(), socket.gethostname(), now)

    def describe(self) -> str:
        return f"{self.holder} (pid {self.pid} on {self.host}, since {self.since})"


class LeaseLostError(StoreBusyError):
    """This process's lease was taken over (or could not be renewed in time): it stopped
    writing; the text says who holds it now and what to do."""


@dataclass
class _Held:
    token: str
    fence: int
    me: Holder
    valid_until: float  # now()
    beat: int = 0
    lost: str | None = None  # why it was lost, once it was


class Lease:
    """One lease record; `try_acquire`, `release`, `current` as a lock (locks.py), and
    `check` before every write of its holder."""

    def __init__(
        self,
        collection: Collection,
        record_id: str,
        seconds: float,
        settle: float = 0.5,
        what: str = "writer lease",
        renewing: bool = True,
    ) -> None:
        """`renewing` False: no renewer thread; a hold is renewed only by `renew()` (tests
        drive the renewals by hand)."""
        self._renewing = renewing
        self._collection = collection
        self._id = record_id
        self._seconds = seconds
        self._settle = settle
        self._what = what
        self._held: _Held | None = None
        self._seen: tuple[tuple[str, int], float] | None = None  # a holder's (token, beat), first seen at
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    # -- the record ------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        got = self._collection.get(ids=[self._id], include=["metadatas"])
        metas = got["metadatas"] or []
        return dict(metas[0]) if metas and metas[0] else {}

    def _write(self, held: _Held, beat: int) -> None:
        meta = {**asdict(held.me), "token": held.token, "fence": held.fence, "beat": beat, "kind": "lease"}
        self._collection.upsert(ids=[self._id], embeddings=_VECTOR, metadatas=[meta])

    @staticmethod
    def _holder(meta: dict[str, Any]) -> Holder | None:
        if not meta.get("token"):
            return None
        pid = int(meta.get("pid") or 0)
        return Holder(str(meta.get("holder")), pid, str(meta.get("host")), str(meta.get("since")))

    # -- taking and letting go -------------------------------------------------------------

    def try_acquire(self, me: Holder) -> bool:
        asked = now()
        meta = self._read()
        if meta.get("token") and not self._expired(meta):
            return False
        held = _Held(uuid.uuid4().hex, int(meta.get("fence") or 0) + 1, me, 0.0)
        sent = now()
        self._write(held, 0)
        took = now() - asked
        if took >= self._settle:  # another taker may have read its own token back by now
            log.warning("the %s took %.1f s to take: given up, it expires by itself", self._what, took)
            return False
        time.sleep(self._settle)
        if self._read().get("token") != held.token:
            return False  # another taker wrote after us
        held.valid_until = sent + self._seconds * (1 - MARGIN)
        if meta.get("token"):
            other, quiet = self._holder(meta), self._seconds
            log.warning("the %s of %s was not renewed for %.0f s: taken over", self._what, other, quiet)
        self._held, self._seen = held, None
        self._stop.clear()
        if self._renewing:
            name = f"{self._id}-renewer"
            self._renewer = threading.Thread(target=self._renew, args=(held,), daemon=True, name=name)
            self._renewer.start()
        return True

    def _expired(self, meta: dict[str, Any]) -> bool:
        """True once this process has watched the same (token, beat) for `seconds`."""
        t = now()
        key = (str(meta.get("token")), int(meta.get("beat") or 0))
        if self._seen is None or self._seen[0] != key:
            self._seen = (key, t)
            return False
        return t - self._seen[1] >= self._seconds

    def release(self) -> None:
        held, self._held = self._held, None
        self._stop.set()
        if self._renewer is not None and self._renewer is not threading.current_thread():
            self._renewer.join()
        self._renewer = None
        if held is None or held.lost is not None:
            return  # never let go of what another process holds now
        try:
            if self._read().get("token") != held.token or now() >= held.valid_until:
                return  # another's now, or may be: its new holder may have taken it since
            free = {"kind": "lease", "fence": held.fence, "token": None, "beat": None}
            self._collection.upsert(ids=[self._id], embeddings=_VECTOR, metadatas=[free])  # type: ignore[list-item]
        except Exception as exc:  # the server is gone: the lease expires by itself
            log.warning("cannot release the %s: %s", self._what, exc)

    def current(self) -> Holder | None:
        """Who holds it, as its record says (a dead holder's name stays until it expires)."""
        return self._holder(self._read())

    # -- holding ---------------------------------------------------------------------------

    def renew(self) -> bool:
        """One renewal now, as the renewer thread makes one every `seconds`/3: False once
        the hold is lost (or there is none)."""
        held = self._held
        return held is not None and held.lost is None and self._beat(held)

    def _renew(self, held: _Held) -> None:
        while not self._stop.wait(self._seconds / 3):
            if not self._beat(held):
                return

    def _beat(self, held: _Held) -> bool:
        try:
            meta = self._read()
        except Exception as exc:  # a server hiccup: the next beat tries again, the deadline stays
            log.warning("cannot renew the %s: %s", self._what, exc)
            return True
        if meta.get("token") != held.token:
            held.lost = self._taken_text(self._holder(meta))
            return False
        sent = now()
        if sent > held.valid_until:
            held.lost = self._late_text(sent - held.valid_until)
            return False
        held.beat += 1  # a new beat every attempt: one that landed but failed here restarts a taker's watch
        try:
            self._write(held, held.beat)
        except Exception as exc:  # the deadline stays where the last answered renewal put it
            log.warning("cannot renew the %s: %s", self._what, exc)
            return True
        answered = now()
        if answered > held.valid_until:  # it may have landed after a takeover
            held.lost = self._late_text(answered - held.valid_until)
            return False
        held.valid_until = sent + self._seconds * (1 - MARGIN)
        return True

    @property
    def fence(self) -> int:
        """The fencing number of this process's hold (0 when it holds none)."""
        held = self._held
        return held.fence if held is not None else 0

    @property
    def fence_token(self) -> str:
        """This hold's token: with `fence`, unique to the hold ("" when it holds none)."""
        held = self._held
        return held.token if held is not None else ""

    @property
    def lost(self) -> str | None:
        """Why this process's hold is lost (None while it holds it, or holds nothing)."""
        held = self._held
        t = now()
        if held is not None and held.lost is None and t > held.valid_until:
            held.lost = self._late_text(t - held.valid_until)
        return held.lost if held is not None else None

    def check(self, verify: bool = False) -> None:
        """Before a write: raise LeaseLostError when this process may no longer hold the
        lease (its deadline passed; with `verify`, another token in the record)."""
        held = self._held
        if held is None:
            raise LeaseLostError(f"This process does not hold the {self._what}.")
        why = self.lost
        if why is None and verify:
            meta = self._read()
            if meta.get("token") != held.token:
                why = held.lost = self._taken_text(self._holder(meta))
        if why is not None:
            raise LeaseLostError(why)

    def _late_text(self, late: float) -> str:
        return (
            f"The {self._what} ran out {late:.0f} s ago without being renewed (this process was "
            f"paused or cut off from the Chroma server): it stopped writing. What it wrote before "
            f"is whole; run it again to finish."
        )

    def _taken_text(self, other: Holder | None) -> str:
        who = other.describe() if other else "another process"
        return (
            f"The {self._what} was taken over by {who} while this process was paused or cut off: "
            f"it stopped writing. What it wrote before is whole; run it again to finish."
        )


def check_fence(fence: int, token: str, recorded: dict[str, Any]) -> None:
    """A new hold's first write: LeaseLostError when the store's last write (`recorded`: the
    write epoch marker's metadata) was made by a later hold (a higher fence number) or by
    another hold with this number (two takers that both read their token back)."""
    theirs = int(recorded.get("fence") or 0)
    their_token = str(recorded.get("fence_token") or "")
    if not fence or theirs < fence or (theirs == fence and their_token in ("", token)):
        return
    raise LeaseLostError(
        f"The writer lease's hold {fence} was overtaken: the store was last written under hold "
        f"{theirs} of another process. This process stopped writing; run it again to finish."
    )


class _Takeable(Protocol):
    def try_acquire(self, me: Holder) -> bool: ...
    def release(self) -> None: ...
    def current(self) -> Holder | None: ...


class Seat:
    """A place one process of a fleet holds at a time: the feed poller (`__poller_lease__`
    on a Chroma server; `poller.lock`, a flock, beside an embedded store). `held()` takes
    it when it is free and says whether this process has it now; a lease lost (paused past
    it, taken over) is let go, and taken again only once free."""

    def __init__(self, inner: _Takeable, name: str, lost: Callable[[], str | None] = lambda: None) -> None:
        self._inner = inner
        self._name = name
        self._lost = lost
        self._mine = False
        self._lock = threading.Lock()

    def held(self) -> bool:
        with self._lock:
            if self._mine:
                why = self._lost()
                if why is None:
                    return True
                log.warning("no longer the %s: %s", self._name, why)
                self._mine = False
                self._inner.release()
            try:
                self._mine = self._inner.try_acquire(Holder.me(self._name))
            except Exception as exc:  # the server is away: not this round
                log.warning("cannot take the %s: %s", self._name, exc)
                return False
            if self._mine:
                log.info("this process is now the %s", self._name)
            return self._mine

    def holder(self) -> Holder | None:
        return self._inner.current()

    def release(self) -> None:
        with self._lock:
            if self._mine:
                self._mine = False
                self._inner.release()
