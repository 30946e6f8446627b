"""Runtime partitioning, from Python: ask for a task count, and read what the partitioner decided.

The partitioner itself is a SQL extension in the driver JVM (dev.uwfq.partition): it reads the
job's local properties while Spark plans each query, so nothing here runs per query. It is off
unless ``spark.uwfq.partitioner.enabled`` is true (``configure(partitioner=True)``, or
``spark.conf.set`` for one session).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Any, Iterator

import pandas as pd

from spark_uwfq import properties as props
from spark_uwfq.bridge import facade
from spark_uwfq.context import _local_properties

ENABLED_KEY = "spark.uwfq.partitioner.enabled"

_INT_COLUMNS = ["time_ms", "estimate_ms", "tasks", "scans_split", "scans_left_alone",
                "shuffles_set"]


@contextmanager
def target_tasks(spark: Any, tasks: int) -> Iterator[None]:
    """Ask the partitioner for ``tasks`` tasks per stage for the queries run in this block.

    Overrides the count derived from an estimate; still capped by
    ``spark.uwfq.partitioner.maxTasks``. Like ``uwfq.job``, it holds for this thread only.
    """
    if isinstance(tasks, bool) or not isinstance(tasks, int) or tasks <= 0:
        raise ValueError(f"target_tasks(): tasks must be a positive integer, got {tasks!r}")
    with _local_properties(spark, {props.TARGET_TASKS: str(tasks)}):
        yield


def set_enabled(spark: Any, enabled: bool) -> None:
    """Switch the partitioner on or off for this SparkSession (planning after this call)."""
    spark.conf.set(ENABLED_KEY, "true" if enabled else "false")


def decisions(spark: Any, clear: bool = False) -> pd.DataFrame:
    """The partitioner's recent decisions, one row per planned query that it changed or refused.

    Columns: time_ms, job_id, job_key, execution_id, source (targetTasks, hint or estimator),
    estimate_ms, tasks, scans_split, scans_left_alone, shuffles_set, detail (per scan: bytes and
    split size, or why it was left alone).
    """
    uwfq = facade(spark)
    text = uwfq.partitionDecisions()
    if clear:
        uwfq.clearPartitionDecisions(spark.sparkContext._jsc.sc())
    frame = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)
    for column in _INT_COLUMNS:
        frame[column] = frame[column].astype("int64")
    return frame
