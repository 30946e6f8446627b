"""When each job of a workload entry arrives: SEQ/PARA semantics and seeded Poisson gaps.

The paper's harness (reference README; notes/uwfq-algorithm.md): the first job of an entry
arrives at ``startTimeMs``; then gaps are exponential with ``poissonRateInMinutes`` arrivals
per minute (0 = all at once), drawn from a generator seeded per user and entry.

- ``PARA`` is an open loop: job i arrives at arrival(i-1) + gap(i), whether or not earlier
  jobs have finished.
- ``SEQ`` is a closed loop: job i starts at max(start(i-1) + gap(i), end(i-1)).

``time_scale`` stretches every offset and gap (a scaled replay keeps load relative to capacity
by shrinking job sizes and time together). The same functions drive the live replay (a real
clock) and the simulator and the tests (a virtual clock).
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from typing import Callable, Protocol

from uwfq_lab.model import Entry


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the replay started."""

    def sleep_until(self, t: float) -> None:
        """Return at ``t`` (at once if ``t`` has passed)."""


class WallClock:
    """The real clock, zero at construction; sleeps can be cut short by ``stop``."""

    def __init__(self) -> None:
        self._t0 = time.monotonic()
        self._stopped = threading.Event()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def sleep_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            self._stopped.wait(delay)

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()


def entry_seed(seed: int, entry: Entry) -> int:
    """A stable seed per (run seed, user, entry): independent of thread timing and of hash()."""
    text = f"{seed}/{entry.user}/{entry.name}/{entry.index}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def first_arrival_s(entry: Entry, time_scale: float = 1.0) -> float:
    return entry.start_time_ms / 1000.0 * time_scale


def gaps_s(entry: Entry, seed: int = 0, time_scale: float = 1.0) -> list[float]:
    """The gap before each job after the first (``total_iterations - 1`` values), in seconds."""
    count = max(entry.total_iterations - 1, 0)
    if entry.poisson_rate_per_min <= 0:
        return [0.0] * count
    rng = random.Random(entry_seed(seed, entry))
    rate_per_s = entry.poisson_rate_per_min / 60.0 / time_scale
    return [rng.expovariate(rate_per_s) for _ in range(count)]


def open_loop_arrivals_s(entry: Entry, seed: int = 0, time_scale: float = 1.0) -> list[float]:
    """Arrival times of a PARA entry (for SEQ these are only lower bounds)."""
    t = first_arrival_s(entry, time_scale)
    times = [t] if entry.total_iterations else []
    for gap in gaps_s(entry, seed, time_scale):
        t += gap
        times.append(t)
    return times


def run_entry(entry: Entry, clock: Clock, start_job: Callable[[int], None], *,
              seed: int = 0, time_scale: float = 1.0,
              stopped: Callable[[], bool] = lambda: False) -> list[float]:
    """Start the entry's jobs on ``clock``; return the start time of each.

    ``start_job(i)`` must, for a SEQ entry, run job i and return when it has ended; for a
    PARA entry, start it (in its own thread) and return at once.
    """
    starts: list[float] = []
    due = first_arrival_s(entry, time_scale)
    gaps = gaps_s(entry, seed, time_scale)
    for i in range(entry.total_iterations):
        clock.sleep_until(due)
        if stopped():
            break
        # SEQ: a job that ended after its successor was due starts the successor late.
        start = max(due, clock.now()) if entry.sequential else due
        starts.append(start)
        start_job(i)
        if i < len(gaps):
            due = start + gaps[i]
    return starts
