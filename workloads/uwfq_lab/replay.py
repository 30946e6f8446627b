"""Replay a workload on a live SparkSession: one thread per user, one per workload entry, one
per PARA job; each logical job tagged with its user, key and cost hint through the Python API;
its start and end read from Spark's job events afterwards (dev.uwfq.events), not polled.

Scaling: the paper ran on 32 cores. On ``cores`` cores with ``scale`` s, every job's size is
multiplied by ``cores / 32 * s`` and every arrival time by ``s``: the offered load relative to
capacity stays the paper's, and the run lasts about s times as long as the paper's.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

import spark_uwfq as uwfq
from spark_uwfq.events import EventLog
from uwfq_lab.metrics import JobOutcome
from uwfq_lab.arrivals import WallClock, run_entry
from uwfq_lab.estimates import cost_hints, parse_estimates
from uwfq_lab.model import Entry, LogicalJob, Workload
from uwfq_lab.spark_jobs import LoopJobs

PAPER_CORES = 32
DRAIN_EVERY_S = 5.0  # how often a run moves recorded events out of the driver's buffer


@dataclass(frozen=True)
class Scaling:
    scale: float = 1.0
    cores: int = 2
    cpu_time: bool = False  # burn by thread CPU time instead of wall time (see spark_jobs)

    @property
    def size_factor(self) -> float:
        """Job core-ms here = the paper's core-ms times this."""
        return self.cores / PAPER_CORES * self.scale

    @property
    def time_scale(self) -> float:
        return self.scale

    def core_ms(self, entry: Entry) -> float:
        return entry.core_ms * self.size_factor


@dataclass
class RunResult:
    policy: str
    run: int
    outcomes: list[JobOutcome]
    total_time_s: float
    cpu_time_s: float
    scheduler_delay_s: float | None = None  # mean wait from stage submission to its first task
    failures: list[str] = field(default_factory=list)
    measured_core_ms: dict[str, float] = field(default_factory=dict)  # mean per job class
    events: Any = None  # the recorder's DataFrame for this run, times relative to its start



class Isolated:
    """Response time of a job alone on this cluster, by size: measured, then interpolated."""

    def __init__(self, points: dict[float, float]):
        self.points = sorted(points.items())

    def __call__(self, core_ms: float) -> float:
        pts = self.points
        if len(pts) == 1 or core_ms <= pts[0][0]:
            return pts[0][1] * (core_ms / pts[0][0] if core_ms > pts[0][0] else 1.0)
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if core_ms <= x1:
                return y0 + (y1 - y0) * (core_ms - x0) / (x1 - x0)
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        return y1 + (y1 - y0) * (core_ms - x1) / (x1 - x0)


class Replayer:
    """Replays one workload, any number of times, in one SparkSession."""

    def __init__(self, spark: Any, workload: Workload, scaling: Scaling, *, seed: int = 0,
                 log: Callable[[str], None] = print, progress_every_s: float = 10.0,
                 estimates: str = "oracle"):
        self.spark = spark
        self.estimates = parse_estimates(estimates)
        self.workload = workload
        self.scaling = scaling
        self.seed = seed
        self.log = log
        self.progress_every_s = progress_every_s
        self.events = EventLog(spark)
        self.jobs = LoopJobs(spark, cpu_time=scaling.cpu_time)
        groups: dict[LogicalJob, list[Entry]] = defaultdict(list)
        for entry in workload.entries:
            for i in range(entry.total_iterations):
                groups[LogicalJob(entry.user, entry.name, i)].append(entry)
        self.groups = dict(groups)

    # -- set-up ---------------------------------------------------------------------------

    def calibrate(self) -> float:
        return self.jobs.calibrate(self.events)

    def measure_isolated(self, samples: int = 2) -> Isolated:
        """Run each distinct job size alone (the smallest and largest trace sizes for
        LoopCustom); the fastest of ``samples`` runs is its isolated response time."""
        sizes = {e.core_ms for e in self.workload.entries if e.job_class != "LoopCustom"}
        custom = [e.core_ms for e in self.workload.entries if e.job_class == "LoopCustom"]
        if custom:
            sizes |= {min(custom), max(custom)}
        points = {}
        for paper_ms in sorted(sizes):
            core_ms = paper_ms * self.scaling.size_factor
            best = float("inf")
            for _ in range(samples):
                self.events.clear()
                # The hint lets the partitioner (when on) shape the job as in the runs.
                with uwfq.user(self.spark, "isolated"), \
                        uwfq.job(self.spark, key="isolated", cost_hint_ms=core_ms) as job_id:
                    self.jobs.run(core_ms)
                start, end = _span(self.events.drain(), job_id)
                best = min(best, (end - start) / 1000.0)
            points[core_ms] = best
        return Isolated(points)

    # -- one run --------------------------------------------------------------------------

    def run(self, policy: str, run_index: int, isolated: Isolated | None = None) -> RunResult:
        from pyspark import InheritableThread

        ids = {group: uuid.uuid4().hex for group in self.groups}
        hints = cost_hints({g: sum(self.scaling.core_ms(e) for e in entries)
                            for g, entries in self.groups.items()}, self.estimates, self.seed)
        total = sum(len(entries) for entries in self.groups.values())
        done, failures, lock = [0], [], threading.Lock()
        clock = WallClock()

        def run_job(entry: Entry, iteration: int) -> None:
            group = LogicalJob(entry.user, entry.name, iteration)
            sc = self.spark.sparkContext
            try:
                sc.setJobGroup(group.key, f"{entry.job_class} of {entry.user}")
                with uwfq.user(self.spark, entry.user), \
                        uwfq.job(self.spark, key=entry.class_label, cost_hint_ms=hints[group],
                                 job_id=ids[group]):
                    self.jobs.run(self.scaling.core_ms(entry))
            except Exception as exc:  # noqa: BLE001 - one failed job must not end the run
                with lock:
                    failures.append(f"{group.key}: {type(exc).__name__}: {exc}"[:300])
            finally:
                with lock:
                    done[0] += 1

        def drive(entry: Entry) -> None:
            threads = []

            def start_job(i: int) -> None:
                if entry.sequential:
                    run_job(entry, i)
                else:
                    t = InheritableThread(target=run_job, args=(entry, i), daemon=True)
                    t.start()
                    threads.append(t)
                    _wait_until_submitted(self.spark.sparkContext,
                                          LogicalJob(entry.user, entry.name, i).key, t)

            run_entry(entry, clock, start_job, seed=self.seed, time_scale=self.scaling.time_scale,
                      stopped=lambda: clock.stopped)
            for t in threads:
                t.join()

        def user_thread(entries: tuple[Entry, ...]) -> None:
            threads = [InheritableThread(target=drive, args=(e,), daemon=True) for e in entries]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        self.events.clear()
        t0_ms = time.time() * 1000.0
        users = [InheritableThread(target=user_thread, args=(u.entries,), daemon=True)
                 for u in self.workload.users]
        for t in users:
            t.start()
        next_report = self.progress_every_s
        # Drained as the run goes: the driver keeps a bounded buffer (spark.uwfq.events.capacity)
        # and a long run with the partitioner records more events than it holds.
        chunks, next_drain = [], DRAIN_EVERY_S
        dropped_before = self.events.dropped
        try:
            while any(t.is_alive() for t in users):
                time.sleep(0.25)
                if clock.now() >= next_drain:
                    next_drain += DRAIN_EVERY_S
                    chunks.append(self.events.drain(flush=False))
                if clock.now() >= next_report:
                    next_report += self.progress_every_s
                    self.log(f"  [{policy} run {run_index + 1}] {done[0]}/{total} jobs done "
                             f"at {clock.now():.0f} s")
        except KeyboardInterrupt:
            clock.stop()
            raise
        chunks.append(self.events.drain())
        events = pd.concat(chunks, ignore_index=True)
        outcomes = self._outcomes(events, ids, t0_ms, isolated)
        missing = len(self.groups) - len(outcomes)
        if missing:
            failures.append(f"{missing} logical jobs left no job events")
        if self.events.dropped > dropped_before:
            failures.append(f"{self.events.dropped - dropped_before} events were dropped: raise "
                            "spark.uwfq.events.capacity")
        tasks = events[events.kind == "TASK_END"]
        return RunResult(policy=policy, run=run_index, outcomes=outcomes,
                         total_time_s=max((o.finish_s for o in outcomes), default=0.0),
                         cpu_time_s=float(tasks.run_ms.sum()) / 1000.0,
                         scheduler_delay_s=_first_task_delay_s(events), failures=failures,
                         measured_core_ms=self._measured_sizes(tasks, ids),
                         events=_relative(events, t0_ms, ids))

    def _measured_sizes(self, tasks, ids: dict[LogicalJob, str]) -> dict[str, float]:
        """Mean executor time per logical job of each class: the sizes Spark actually ran."""
        per_job = tasks.groupby("logical_job").run_ms.sum()
        by_class: dict[str, list[float]] = defaultdict(list)
        for group, job_id in ids.items():
            if job_id in per_job.index:
                by_class[self.groups[group][0].class_label].append(float(per_job[job_id]))
        return {label: sum(v) / len(v) for label, v in by_class.items()}

    def _outcomes(self, events, ids: dict[LogicalJob, str], t0_ms: float,
                  isolated: Isolated | None) -> list[JobOutcome]:
        jobs = events[events.kind.isin(["JOB_START", "JOB_END"])]
        starts = jobs[jobs.kind == "JOB_START"].groupby("logical_job").time_ms.min()
        ends = jobs[jobs.kind == "JOB_END"].groupby("logical_job").time_ms.max()
        outcomes = []
        for group, job_id in ids.items():
            if job_id not in starts.index or job_id not in ends.index:
                continue
            entries = self.groups[group]
            size = sum(self.scaling.core_ms(e) for e in entries)
            outcomes.append(JobOutcome(
                user=group.user, workload=group.workload, iteration=group.iteration,
                job_class=entries[0].class_label,
                start_s=(starts[job_id] - t0_ms) / 1000.0,
                finish_s=(ends[job_id] - t0_ms) / 1000.0,
                isolated_s=isolated(size) if isolated else None))
        return outcomes


def _wait_until_submitted(sc, group_key: str, thread, timeout_s: float = 30.0) -> None:
    """Returns once the job group has a Spark job (or its thread ended, or after a timeout).

    Jobs due at the same instant then reach Spark in their iteration order under every policy.
    Raced threads would enter in a random order, and DVR, which compares each job with itself
    under ujf, would then measure that shuffle rather than the policy.
    """
    tracker = sc.statusTracker()
    deadline = time.monotonic() + timeout_s
    while thread.is_alive() and time.monotonic() < deadline:
        if len(tracker.getJobIdsForGroup(group_key)) > 0:
            return
        time.sleep(0.005)


def _first_task_delay_s(events) -> float | None:
    submitted = events[events.kind == "STAGE_SUBMITTED"].groupby("stage_id").time_ms.min()
    first = events[events.kind == "TASK_START"].groupby("stage_id").time_ms.min()
    delays = (first - submitted).dropna()
    return float(delays.mean()) / 1000.0 if len(delays) else None


def _relative(events, t0_ms: float, ids: dict[LogicalJob, str]):
    """The run's events with times in ms from its start and each logical job's name."""
    events = events.copy()
    for column in ("time_ms", "launch_ms"):
        events[column] = (events[column] - t0_ms).where(events[column] > 0, -1).round(0)
    names = {job_id: group.key for group, job_id in ids.items()}
    events["logical_job"] = events.logical_job.map(lambda j: names.get(j, j))
    return events


def _span(events, job_id: str) -> tuple[float, float]:
    mine = events[events.logical_job == job_id]
    return (float(mine[mine.kind == "JOB_START"].time_ms.min()),
            float(mine[mine.kind == "JOB_END"].time_ms.max()))
