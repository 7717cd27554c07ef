"""Leases on a Chroma server: records in the manifest collection that one process of a fleet
holds at a time. The writer lease (`__writer_lease__`: one writer per store across hosts,
locks.py) and the poller lease (`__poller_lease__`: the one process of a fleet that polls
the feeds and plans the newsroom's deliveries, `Seat`).

Chroma has no conditional write, so the protocol is built from reads and writes whose
timing is on each process's own monotonic clock (no two hosts' clocks are compared):

- **Taking it.** A record without a token is free. A record with a token is expired when
  the taker has watched it (its token and `beat`) stay the same for `seconds` of the
  taker's clock: its holder stopped renewing (dead, paused, cut off). The taker writes a
  new token with `fence` one higher than the record's (fence numbers only grow, a
  release keeps them), waits `settle` and reads it back: of two takers, the later write
  wins and the other sees it.
- **Holding it.** A thread renews it every `seconds`/3: it reads the record (another
  token there: lost) and writes the next `beat`. The holder counts the lease as its own
  until `valid_until`: the moment it sent its last successful renewal (or the taking
  write) plus `seconds` less a margin. A taker waits at least `seconds` after seeing that
  renewal land, so a holder that respects `valid_until` never overlaps with the next one.
- **Fencing.** Every write of the holder calls `check()` first: past `valid_until` (the
  process was paused by SIGSTOP, a long GC, a frozen VM, or could not renew), or with
  another token in the record (`verify`: read back from the server), the lease is lost
  for good: `LeaseLostError`, and nothing more is written. The window left is the time
  between a check and its request leaving the process (Chroma could close it only with a
  conditional write).
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
    valid_until: float  # time.monotonic()
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
    ) -> None:
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
        meta = self._read()
        if meta.get("token") and not self._expired(meta):
            return False
        held = _Held(uuid.uuid4().hex, int(meta.get("fence") or 0) + 1, me, 0.0)
        sent = time.monotonic()
        self._write(held, 0)
        time.sleep(self._settle)
        if self._read().get("token") != held.token:
            return False  # another taker wrote after us
        held.valid_until = sent + self._seconds * (1 - MARGIN)
        if meta.get("token"):
            other = self._holder(meta)
            quiet = self._seconds
            log.warning("the %s of %s was not renewed for %.0f s: taken over", self._what, other, quiet)
        self._held, self._seen = held, None
        self._stop.clear()
        name = f"{self._id}-renewer"
        self._renewer = threading.Thread(target=self._renew, args=(held,), daemon=True, name=name)
        self._renewer.start()
        return True

    def _expired(self, meta: dict[str, Any]) -> bool:
        """True once this process has watched the same (token, beat) for `seconds`."""
        now = time.monotonic()
        key = (str(meta.get("token")), int(meta.get("beat") or 0))
        if self._seen is None or self._seen[0] != key:
            self._seen = (key, now)
            return False
        return now - self._seen[1] >= self._seconds

    def release(self) -> None:
        held, self._held = self._held, None
        self._stop.set()
        if self._renewer is not None and self._renewer is not threading.current_thread():
            self._renewer.join()
        self._renewer = None
        if held is None or held.lost is not None:
            return  # never let go of what another process holds now
        try:
            if self._read().get("token") == held.token:
                free = {"kind": "lease", "fence": held.fence, "token": None, "beat": None}
                self._collection.upsert(ids=[self._id], embeddings=_VECTOR, metadatas=[free])  # type: ignore[list-item]
        except Exception as exc:  # the server is gone: the lease expires by itself
            log.warning("cannot release the %s: %s", self._what, exc)

    def current(self) -> Holder | None:
        """Who holds it, as its record says (a dead holder's name stays until it expires)."""
        return self._holder(self._read())

    # -- holding ---------------------------------------------------------------------------

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
        sent = time.monotonic()
        if sent > held.valid_until:
            held.lost = self._late_text(sent - held.valid_until)
            return False
        try:
            self._write(held, held.beat + 1)
        except Exception as exc:
            log.warning("cannot renew the %s: %s", self._what, exc)
            return True
        held.beat += 1
        held.valid_until = sent + self._seconds * (1 - MARGIN)
        return True

    @property
    def fence(self) -> int:
        """The fencing number of this process's hold (0 when it holds none)."""
        held = self._held
        return held.fence if held is not None else 0

    @property
    def lost(self) -> str | None:
        """Why this process's hold is lost (None while it holds it, or holds nothing)."""
        held = self._held
        if held is not None and held.lost is None and time.monotonic() > held.valid_until:
            held.lost = self._late_text(time.monotonic() - held.valid_until)
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
