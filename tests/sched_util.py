"""Helpers for scheduler tests: sleep-task jobs run from threads, waits, event slices.

Order and fairness are judged from the events Spark recorded (spark_uwfq.events), never from
wall-clock thresholds; time here only bounds how long a test may wait.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import pandas as pd

import spark_uwfq as uwfq
from spark_uwfq.events import EventLog


def run_job(spark, user: str, durations: list[float], key: str | None = None,
            hint_ms: float | None = None, ids: dict | None = None, name: str | None = None) -> int:
    """One logical job of ``len(durations)`` tasks, task i sleeping durations[i] seconds."""
    with uwfq.user(spark, user), uwfq.job(spark, key=key, cost_hint_ms=hint_ms) as job_id:
        if ids is not None:
            ids[name or key or job_id] = job_id
        rdd = spark.sparkContext.parallelize(list(durations), len(durations))
        # A lambda is pickled by value: executors cannot import this test helper module.
        return rdd.map(lambda s: __import__("time").sleep(s) or s).count()


class Jobs:
    """Runs jobs in threads and re-raises the first error at join()."""

    def __init__(self):
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def start(self, fn: Callable, *args, **kwargs) -> threading.Thread:
        def body():
            try:
                fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - reported at join
                self.errors.append(exc)

        t = threading.Thread(target=body, daemon=True)
        t.start()
        self.threads.append(t)
        return t

    def join(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in self.threads if t.is_alive()]
        assert not alive, f"{len(alive)} job threads still running after {timeout} s"
        if self.errors:
            raise self.errors[0]


def wait_until(predicate: Callable[[], bool], timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


class RecordedEvents:
    """Accumulates what an EventLog drains, for waiting on events while jobs still run."""

    def __init__(self, log):
        self.log = log
        self.frames: list[pd.DataFrame] = []

    def all(self) -> pd.DataFrame:
        self.frames.append(self.log.drain())
        return pd.concat(self.frames, ignore_index=True)

    def count(self, kind: str, logical_jobs: set[str]) -> int:
        self.frames.append(self.log.drain(flush=False))
        n = 0
        for f in self.frames:
            n += int(((f.kind == kind) & f.logical_job.isin(logical_jobs)).sum())
        return n


def task_starts(events: pd.DataFrame) -> pd.DataFrame:
    """TASK_START events in the order Spark's listener bus delivered them."""
    return events[events.kind == "TASK_START"].reset_index(drop=True)


def core_ms_by_user(events: pd.DataFrame, start_ms: int, end_ms: int) -> dict[str, float]:
    """Core-milliseconds each user's tasks ran inside [start_ms, end_ms] (clipped)."""
    ends = events[events.kind == "TASK_END"]
    out: dict[str, float] = {}
    for row in ends.itertuples():
        lo, hi = max(row.launch_ms, start_ms), min(row.time_ms, end_ms)
        if hi > lo:
            out[row.user] = out.get(row.user, 0.0) + (hi - lo)
    return out


def launches_between(events, job_id: str, other_jobs: set[str]) -> int:
    """Tasks of ``other_jobs`` launched after ``job_id`` started and before its last launch."""
    start = events.index[(events.kind == "JOB_START") & (events.logical_job == job_id)].min()
    later = task_starts(events.loc[start:])
    mine = later.index[later.logical_job == job_id]
    assert len(mine) > 0, f"no task of {job_id} launched"
    return int(later.loc[: mine.max()].logical_job.isin(other_jobs).sum())


def flood_then_short(spark, flood_user, short_user, flood_jobs=2, on_flood_running=None):
    """``flood_user`` floods long jobs; once they run, ``short_user`` submits a short one.

    ``on_flood_running(seen)``, if given, is called once the flood holds the cores, before the
    short job is submitted (to inject a fault then).
    """
    log = EventLog(spark)
    log.clear()
    ids: dict[str, str] = {}
    jobs = Jobs()
    for i in range(flood_jobs):
        jobs.start(run_job, spark, flood_user, [0.25] * 16, key="flood", hint_ms=4000, ids=ids,
                   name=f"flood{i}")
    floods = lambda: {ids[f"flood{i}"] for i in range(flood_jobs) if f"flood{i}" in ids}  # noqa: E731
    seen = RecordedEvents(log)
    # Every flood job submitted, and both cores busy with flood tasks (from recorded events, so
    # this works whatever the policy's state).
    wait_until(lambda: seen.count("JOB_START", floods()) == flood_jobs
               and seen.count("TASK_START", floods()) >= 2, what="the flood to run")
    if on_flood_running is not None:
        on_flood_running(seen)
    jobs.start(run_job, spark, short_user, [0.1, 0.1], key="short", hint_ms=200, ids=ids,
               name="short")
    jobs.join()
    return seen.all(), ids, floods()


def order_stages(jvm, order, infos: dict, running: dict | None, now_ms: int) -> list[int]:
    """Stage ids of ``infos`` (stage -> TaskSetInfo) in the order ``order(views, now)`` gives,
    each view with its running tasks from ``running`` (stage -> count)."""
    from py4j.java_gateway import get_field

    running = running or {}
    views = jvm.java.util.ArrayList()
    view_class = getattr(jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetView")
    for stage, info in infos.items():
        views.add(view_class(info, running.get(stage, 0), 1, None))
    order(views, now_ms)
    return [get_field(v, "info").stageId() for v in views]
