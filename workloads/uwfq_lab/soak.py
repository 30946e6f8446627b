"""A soak: many small jobs from many users through one session with the plugin.

Threads submit tiny jobs, each in its own ``uwfq.job`` block of one of ``users`` users, a third
with a cost hint: a JVM RDD count of two tasks (no Python worker, so the driver and the
scheduler, not the job, are what is exercised), and every 20th a SQL query. At checkpoints the driver's heap is measured
after a full GC, with the policy's state (users, jobs, task sets, lingering jobs) and failure
counts from the status document. After the last job, the policy's state must drain to nothing
once ended jobs stopped lingering and idle users were released (an idle application's offer
rounds run the policy's housekeeping). Used by benchmarks/soak.py and tests/test_soak.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

import spark_uwfq as uwfq

ROWS = 64


@dataclass
class Checkpoint:
    jobs_done: int
    elapsed_s: float
    heap_mb: float  # driver heap in use after a full GC
    users: int
    jobs: int
    task_sets: int
    lingering_jobs: int
    policy_failures: int
    fallback_rounds: int


def heap_after_gc_mb(spark) -> float:
    jvm = spark.sparkContext._jvm
    for _ in range(2):  # a second pass collects what the first one's finalisation freed
        jvm.System.gc()
    usage = jvm.java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
    return usage.getUsed() / 2**20


def checkpoint(spark, done: int, started: float) -> Checkpoint:
    heap = heap_after_gc_mb(spark)
    raw = uwfq.status(spark).raw
    return Checkpoint(done, round(time.monotonic() - started, 1), round(heap, 1),
                      len(raw.get("users", [])), len(raw.get("jobs", [])),
                      int(raw.get("task_sets", 0)), int(raw.get("lingering_jobs", 0)),
                      int(raw.get("policy_failures", 0)), int(raw.get("fallback_rounds", 0)))


def run(spark, jobs: int = 20_000, users: int = 50, threads: int = 8, checkpoints: int = 10,
        release_timeout_s: float = 120, progress=None) -> dict:
    """Runs the soak; returns {"checkpoints": [...], "released": Checkpoint, "ended": n,
    "errors": [...]}. ``progress`` is called with each checkpoint as it is taken."""
    lock = threading.Lock()
    state = {"next": 0, "done": 0}
    errors: list[str] = []
    wrong: list[int] = []

    sc = spark.sparkContext
    rows = sc._jvm.java.util.ArrayList()
    for r in range(ROWS):
        rows.add(r)

    def one_job(i: int) -> int:
        if i % 20 == 0:
            return len(spark.range(ROWS, numPartitions=2).collect())
        return sc._jsc.parallelize(rows, 2).count()

    def worker():
        while True:
            with lock:
                i = state["next"]
                if i >= jobs or len(errors) > 10:
                    return
                state["next"] += 1
            hint = 200 if i % 3 == 0 else None
            try:
                with uwfq.user(spark, f"user{i % users:02d}"), \
                        uwfq.job(spark, key=f"query{i % 5}", cost_hint_ms=hint):
                    n = one_job(i)
                if n != ROWS:
                    wrong.append(i)
            except Exception as exc:  # noqa: BLE001 - reported in the result
                with lock:
                    errors.append(f"job {i}: {exc!r}"[:500])
            with lock:
                state["done"] += 1

    started = time.monotonic()
    pool = [threading.Thread(target=worker, daemon=True, name=f"soak-{t}") for t in range(threads)]
    for t in pool:
        t.start()
    marks = [jobs * (k + 1) // checkpoints for k in range(checkpoints)]
    taken: list[Checkpoint] = []
    while any(t.is_alive() for t in pool):
        with lock:
            done = state["done"]
        if marks and done >= marks[0]:
            marks.pop(0)
            taken.append(checkpoint(spark, done, started))
            if progress:
                progress(taken[-1])
        time.sleep(0.2)
    for t in pool:
        t.join()
    if not taken or taken[-1].jobs_done != state["done"]:
        taken.append(checkpoint(spark, state["done"], started))
        if progress:
            progress(taken[-1])
    # Ended jobs linger (spark.uwfq.jobLingerMs) and idle users are kept a grace time; then the
    # idle application's offer rounds release them.
    deadline = time.monotonic() + release_timeout_s
    released = checkpoint(spark, state["done"], started)
    while (released.users or released.jobs or released.task_sets or released.lingering_jobs) \
            and time.monotonic() < deadline:
        time.sleep(1)
        released = checkpoint(spark, state["done"], started)
    if progress:
        progress(released)
    return {"checkpoints": [asdict(c) for c in taken], "released": asdict(released),
            "ended": state["done"] - len(errors), "wrong_counts": wrong, "errors": errors,
            "wall_s": round(time.monotonic() - started, 1)}
