"""A job's input bytes reach the scheduling policy: from the SQL extension, which notes what each
query's file scans read while Spark plans it, to the task sets the scheduler sees (status'
``input_bytes``) and the estimator's history ("-bytes" estimates), on real local Spark.

Each job under test blocks in a Python UDF until the test releases it, so the scheduler's status
is read while the job is certainly live.
"""

from __future__ import annotations

import gc
import glob
import os
import threading

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import LongType
from sched_util import Jobs, wait_until

import spark_uwfq as uwfq
from spark_uwfq import partitioner
from spark_uwfq.events import EventLog
from spark_uwfq.session import local_session

LINGER_MS = 500


@pytest.fixture(scope="module")
def spark():
    session = local_session("local[2]", app_name="uwfq-input-bytes-tests",
                            job_linger_ms=LINGER_MS)
    yield session
    session.stop()


def _parquet(spark, path: str, rows: int) -> int:
    """Writes ``rows`` ids as one parquet file; returns the bytes a scan of it reads."""
    spark.range(0, rows, numPartitions=1).selectExpr("id", "id * 7 AS v").write.parquet(path)
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(path, "*.parquet")))


@pytest.fixture(scope="module")
def files(spark, tmp_path_factory):
    """Two parquet inputs, the large one several times the small one."""
    root = tmp_path_factory.mktemp("input_bytes")
    small = str(root / "small")
    large = str(root / "large")
    sizes = {small: _parquet(spark, small, 2_000), large: _parquet(spark, large, 60_000)}
    assert sizes[large] > 3 * sizes[small]
    return small, large, sizes


class Gate:
    """A Python UDF (and RDD function) whose tasks wait until the test opens the gate."""

    def __init__(self, tmp_path):
        self.path = str(tmp_path / "open")

    def wait_fn(self):
        path = self.path

        def wait(x):
            import os
            import time
            while not os.path.exists(path):
                time.sleep(0.02)
            return x

        return wait

    def udf(self):
        return F.udf(self.wait_fn(), LongType())

    def open(self):
        open(self.path, "w").close()


def _live_job(spark, job_id: str) -> dict | None:
    jobs = uwfq.status(spark).raw["jobs"]
    return next((j for j in jobs if j["job"] == job_id), None)


def _run_blocked(spark, gate, jobs: Jobs, fn, user="alice", key=None, before=None) -> dict:
    """Starts ``fn()`` in its own thread in a logical job (after ``before()``, if given, on the
    same thread); returns the job's status while it is live."""
    ids: list[str] = []

    def body():
        if before is not None:
            before()
        with uwfq.user(spark, user), uwfq.job(spark, key=key) as job_id:
            ids.append(job_id)
            fn()

    jobs.start(body)
    seen: list[dict] = []

    def live():
        # Kept as seen: a query's unblocked Spark job (a broadcast) may end just after, and
        # the logical job is out of the queue until its next Spark job comes.
        job = _live_job(spark, ids[0]) if ids else None
        seen.append(job)
        return job is not None

    wait_until(live, timeout=60, what="the blocked job to be submitted")
    return seen[-1]


def _scan(spark, path, gate):
    return spark.read.parquet(path).select(gate.udf()("id").alias("id"))


def _aggregate(spark, path, gate):
    return _scan(spark, path, gate).groupBy((F.col("id") % 3).alias("k")).count()


@pytest.mark.parametrize("shape,partitioned,adaptive", [
    ("scan", False, True),  # no exchange: Spark plans it without AQE
    ("aggregate", False, True),  # AQE: its preparation, then each stage's plan
    ("aggregate", False, False),
    ("aggregate", True, True),  # the partitioner rewrites the scan: counted once all the same
])
def test_a_dataframe_job_carries_its_scans_input_bytes(spark, files, tmp_path, shape,
                                                       partitioned, adaptive):
    small, large, sizes = files
    gate = Gate(tmp_path)
    df = (_scan if shape == "scan" else _aggregate)(spark, large, gate)
    spark.conf.set("spark.sql.adaptive.enabled", str(adaptive).lower())
    partitioner.set_enabled(spark, partitioned)
    jobs = Jobs()
    try:
        def run():
            with partitioner.target_tasks(spark, 3):
                df.collect()

        job = _run_blocked(spark, gate, jobs, run)
    finally:
        gate.open()
        jobs.join()
        partitioner.set_enabled(spark, False)
        spark.conf.set("spark.sql.adaptive.enabled", "true")
    assert job["input_bytes"] == sizes[large]
    if partitioned:
        assert not partitioner.decisions(spark).empty


def test_a_join_reads_both_inputs(spark, files, tmp_path):
    small, large, sizes = files
    gate = Gate(tmp_path)
    other = spark.read.parquet(small).withColumnRenamed("v", "w")
    df = _scan(spark, large, gate).join(other, "id")
    jobs = Jobs()
    try:
        job = _run_blocked(spark, gate, jobs, df.collect)
    finally:
        gate.open()
        jobs.join()
    assert job["input_bytes"] == sizes[large] + sizes[small]


def test_concurrent_queries_of_one_session_each_get_their_own_bytes(spark, files, tmp_path):
    small, large, sizes = files
    gate = Gate(tmp_path)
    jobs = Jobs()
    try:
        # Both are planned and submitted while the other is live, on two threads of one session.
        first = _run_blocked(spark, gate, jobs, _scan(spark, large, gate).collect, user="alice")
        second = _run_blocked(spark, gate, jobs, _scan(spark, small, gate).collect, user="bob")
        first = _live_job(spark, first["job"])
    finally:
        gate.open()
        jobs.join()
    assert (first["user"], first["input_bytes"]) == ("alice", sizes[large])
    assert (second["user"], second["input_bytes"]) == ("bob", sizes[small])


def test_an_rdd_job_after_a_query_on_the_same_thread_has_no_input_bytes(spark, files, tmp_path):
    small, large, sizes = files
    gate = Gate(tmp_path)
    wait = gate.wait_fn()
    jobs = Jobs()

    def query():  # its own logical job, just before the RDD job's, on the same thread
        assert spark.read.parquet(large).selectExpr("sum(v)").collect()

    try:
        job = _run_blocked(spark, gate, jobs,
                           lambda: spark.sparkContext.parallelize([1, 2], 2).map(wait).count(),
                           before=query)
    finally:
        gate.open()
        jobs.join()
    assert job["input_bytes"] is None


def test_the_same_dataframe_run_again_keeps_its_bytes(spark, files, tmp_path):
    # The second run is a new SQL execution of a plan Spark does not prepare again.
    small, large, sizes = files
    gate = Gate(tmp_path)
    df = _scan(spark, small, gate)
    gate.open()
    df.collect()
    jobs = Jobs()
    os.remove(gate.path)
    try:
        job = _run_blocked(spark, gate, jobs, df.collect)
    finally:
        gate.open()
        jobs.join()
    assert job["input_bytes"] == sizes[small]


def test_the_next_run_of_a_key_is_estimated_from_its_cost_per_input_byte(spark, files, tmp_path):
    small, large, sizes = files
    gate = Gate(tmp_path)
    log = EventLog(spark)
    log.clear()
    gate.open()  # the first run is not held back
    with uwfq.user(spark, "carol"), uwfq.job(spark, key="per-byte") as first_id:
        _scan(spark, small, gate).collect()
    # Its cost becomes history once it stops lingering. Reading status changes nothing, so a
    # small job of another user lets the policy see the time (housekeeping runs on events).
    def first_run_is_history():
        with uwfq.user(spark, "tick"):
            spark.sparkContext.parallelize([0], 1).count()
        return first_id not in [j["job"] for j in uwfq.status(spark).raw["ended_jobs"]]

    wait_until(first_run_is_history, timeout=30, what="the first run to become history")
    events = log.drain()
    cost_ms = events[(events.logical_job == first_id) & (events.kind == "TASK_END")].run_ms.sum()
    os.remove(gate.path)
    jobs = Jobs()
    try:
        job = _run_blocked(spark, gate, jobs, _scan(spark, large, gate).collect, user="carol",
                           key="per-byte")
    finally:
        gate.open()
        jobs.join()
    assert job["source"] == "user-key-bytes"
    # Scaled by the bytes from the first run's cost; the scheduler may only have raised it since,
    # from the tasks it saw running.
    expected = max(1.0, cost_ms) * sizes[large] / sizes[small]
    assert job["estimate_ms"] >= 0.99 * expected


def test_a_job_group_of_several_queries_adds_up_their_bytes(spark, files, tmp_path):
    small, large, sizes = files
    gate = Gate(tmp_path)
    # Planned outside the block: no schema-inference job, only the two queries' Spark jobs.
    first = spark.read.parquet(small).selectExpr("sum(v)")
    second = _scan(spark, large, gate)
    jobs = Jobs()
    try:
        job = _run_blocked(spark, gate, jobs, lambda: first.collect() and second.collect(),
                           key="group")
        # The block's first query may be all the scheduler has seen yet; the second one blocks.
        wait_until(lambda: (_live_job(spark, job["job"]) or job)["input_bytes"] != sizes[small],
                   timeout=60, what="the group's second query")
        job = _live_job(spark, job["job"])
    finally:
        gate.open()
        jobs.join()
    assert job["input_bytes"] == sizes[small] + sizes[large]


def test_what_a_query_read_is_forgotten_with_the_query(spark, files):
    small, large, sizes = files
    jvm = spark.sparkContext._jvm
    noted = jvm.dev.uwfq.partition.QueryInputBytes
    held = [spark.read.parquet(small).selectExpr(f"sum(v + {i})") for i in range(10)]
    for df in held:
        df.collect()
    with_them = noted.size()  # other tests' queries may be collected meanwhile: at least these
    assert with_them >= len(held)
    del held, df

    def released():
        gc.collect()  # py4j then releases the Python side's hold on the JVM's Datasets
        jvm.System.gc()
        return noted.size() <= with_them - 10

    wait_until(released, timeout=60, what="the queries' entries to go with their DataFrames")
