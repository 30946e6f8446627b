"""The fluid ideal: weighted user-level processor sharing (GPS) over a workload.

C cores are shared among the users with unfinished work in proportion to their weights; a
user's share is split equally among its unfinished jobs (processor sharing nested in processor
sharing, the model UWFQ's virtual time follows). Work is a fluid: no tasks, no stage barriers,
no per-job parallelism limit. Each job's finish time under this sharing is the reference the
policies are measured against ("lag" = how much later a policy finishes a job than GPS would).

Arrivals follow the same rules as the simulator: an open-loop job arrives at its time; a job
chained after another (SEQ) arrives at max(previous start + gap, previous finish), with the
previous finish taken from this ideal schedule.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

# Work below this many core-ms counts as done (floating-point dust from rate * time).
_EPS = 1e-6


@dataclass(frozen=True)
class FluidJob:
    """One logical job as the fluid model sees it."""

    user: str
    work_ms: float
    """Total work in core-milliseconds."""
    arrival_ms: float = 0.0
    """Open-loop arrival time; ignored when ``after`` is set."""
    after: int = -1
    """Index of the job this one is chained after (SEQ), or -1."""
    gap_ms: float = 0.0
    """SEQ: the next job starts at max(previous start + gap, previous finish)."""
    weight: float = 1.0
    """The user's weight (every job of one user must carry the same weight)."""


@dataclass(frozen=True)
class FluidResult:
    start_ms: list[float]
    finish_ms: list[float]


def gps_schedule(jobs: list[FluidJob], cores: int) -> FluidResult:
    """Start and finish time of every job under weighted user-level processor sharing."""
    if cores <= 0:
        raise ValueError(f"cores must be positive, got {cores}")
    n = len(jobs)
    followers: dict[int, list[int]] = {}
    for i, job in enumerate(jobs):
        if job.work_ms < 0:
            raise ValueError(f"job {i} has negative work {job.work_ms}")
        if job.after >= 0:
            if job.after >= n or job.after == i:
                raise ValueError(f"job {i} is chained after job {job.after}, which does not exist")
            followers.setdefault(job.after, []).append(i)

    start = [float("nan")] * n
    finish = [float("nan")] * n
    # (time, index): jobs whose arrival time is known but not yet reached.
    pending: list[tuple[float, int]] = [(j.arrival_ms, i) for i, j in enumerate(jobs) if j.after < 0]
    heapq.heapify(pending)
    remaining: dict[int, float] = {}  # active job -> work left
    by_user: dict[str, set[int]] = {}
    now = 0.0

    def arrive(i: int, t: float) -> None:
        start[i] = t
        if jobs[i].work_ms <= _EPS:
            complete(i, t)
            return
        remaining[i] = jobs[i].work_ms
        by_user.setdefault(jobs[i].user, set()).add(i)

    def complete(i: int, t: float) -> None:
        finish[i] = t
        for k in followers.get(i, ()):
            heapq.heappush(pending, (max(start[i] + jobs[k].gap_ms, t), k))

    while pending or remaining:
        # The rate of each active job under the current sharing.
        total_weight = sum(jobs[next(iter(ids))].weight for ids in by_user.values())
        rates: dict[int, float] = {}
        for ids in by_user.values():
            user_rate = cores * jobs[next(iter(ids))].weight / total_weight
            for i in ids:
                rates[i] = user_rate / len(ids)
        next_finish = min((remaining[i] / rates[i] for i in remaining), default=float("inf"))
        next_arrival = pending[0][0] - now if pending else float("inf")
        step = max(0.0, min(next_finish, next_arrival))
        now += step
        done = []
        for i in remaining:
            remaining[i] -= rates[i] * step
            if remaining[i] <= _EPS * max(1.0, jobs[i].work_ms):
                done.append(i)
        for i in sorted(done):
            del remaining[i]
            ids = by_user[jobs[i].user]
            ids.discard(i)
            if not ids:
                del by_user[jobs[i].user]
            complete(i, now)
        while pending and pending[0][0] <= now:
            t, i = heapq.heappop(pending)
            arrive(i, max(t, now))
    return FluidResult(start_ms=start, finish_ms=finish)
