"""The event recorder sees every job and task, tagged with its user and logical job."""

from __future__ import annotations

import spark_uwfq as uwfq
from spark_uwfq.events import EventLog


def test_events_record_jobs_and_tasks_with_identity(spark):
    log = EventLog(spark)
    log.clear()
    with uwfq.user(spark, "alice"):
        with uwfq.job(spark, key="two-jobs") as job_id:
            spark.range(100, numPartitions=3).count()
            spark.range(100, numPartitions=2).collect()
    spark.range(10, numPartitions=1).count()  # default user, no logical job
    events = log.drain()

    alice = events[events.user == "alice"]
    assert set(alice.logical_job) == {job_id}
    assert set(alice.job_key) == {"two-jobs"}
    starts = alice[alice.kind == "JOB_START"]
    ends = alice[alice.kind == "JOB_END"]
    assert len(starts) >= 2 and len(ends) == len(starts)
    assert set(ends.status) == {"SUCCEEDED"}
    # Every task start has its end, with a run time, inside its job's lifetime.
    tasks = alice[alice.kind == "TASK_END"]
    assert len(tasks) == len(alice[alice.kind == "TASK_START"]) >= 5
    assert (tasks.run_ms >= 0).all() and (tasks.time_ms >= tasks.launch_ms).all()
    assert tasks.launch_ms.min() >= starts.time_ms.min()

    other = events[(events.kind == "JOB_START") & (events.user == "default")]
    assert len(other) == 1 and other.logical_job.iloc[0].startswith(("spark-job-", "sql:"))
    # Drained events are gone.
    assert len(log.drain()) == 0
