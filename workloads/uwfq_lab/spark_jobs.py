"""The paper's job classes as real Spark work: read a skewed parquet input, burn CPU per row in
the JVM (dev.uwfq.workload.LoopUdf, a Java UDF in the lab jar), aggregate per key.

The input is generated locally once: rows spread over ``KEYS`` key values with Zipf-like skew,
written partitioned by key (one file per key), as the paper's taxi data partitioned by pickup
location. Every job reads all of it, so one job = one task per file in its scan stage, tasks
as skewed as the files.

A job's size is set in core-milliseconds: each row burns ``(size - overhead) / rows`` of time,
where ``overhead`` is the measured executor time of the same job with no burn. The clock is
wall time by default: this machine's cores are shared with other work, and a task should hold
its Spark core as long as on the paper's dedicated cores (``cpu_time=True`` counts thread CPU
time instead, so a busy machine makes jobs longer). So
Loop20 : Loop100 : Loop500 : Loop1000 keep the paper's ratios and LoopCustom is proportional to
``task_runtime_s`` (down to the overhead floor of a Spark job on this machine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import spark_uwfq as uwfq
from spark_uwfq.events import EventLog
from uwfq_lab.jars import lab_jar_path

KEYS = 8
ROWS = 8_000
SKEW = 0.5  # key k holds rows in proportion to 1 / (k + 1) ** SKEW
# A parquet file can be split only at row-group boundaries; small row groups (about a hundred
# rows) let the runtime partitioner cut a key's file into several tasks.
ROW_GROUP_BYTES = 4096
UDF_NAME = "uwfq_loop"
UDF_CLASS = "dev.uwfq.workload.LoopUdf"
SCHEMA = "id BIGINT, value DOUBLE, key INT"
CACHE = Path(".uwfq-cache")

SESSION_CONF = {
    # Spark packs small files into one split up to max(openCost, bytes per core); an open cost
    # as large as a split keeps one file per task, so tasks are as skewed as the files.
    "spark.sql.files.openCostInBytes": str(128 * 1024 * 1024),
    "spark.sql.files.maxPartitionBytes": str(128 * 1024 * 1024),
    # One local executor: every task is local, and delay scheduling (waiting up to 3 s per
    # locality level for a "better" offer) would only hold a newly submitted stage back.
    "spark.locality.wait": "0",
}
"""Confs a replay session needs, apart from the lab jar (see ``session_conf``)."""


def session_conf() -> dict[str, str]:
    """Confs for ``local_session(conf=...)``: SESSION_CONF plus the lab jar, which holds the
    burn UDF (configure() appends the product jar to this list)."""
    return {**SESSION_CONF, "spark.jars": lab_jar_path()}


def key_row_counts(keys: int = KEYS, rows: int = ROWS, skew: float = SKEW) -> list[int]:
    weights = [1.0 / (k + 1) ** skew for k in range(keys)]
    counts = [max(1, int(rows * w / sum(weights))) for w in weights]
    counts[0] += rows - sum(counts)  # the largest key absorbs rounding
    return counts


def input_path(root: Path = CACHE) -> Path:
    return root / f"replay-input-k{KEYS}-r{ROWS}-s{SKEW:g}-rg{ROW_GROUP_BYTES}"


def ensure_input(spark: Any, path: Path | None = None) -> Path:
    """Write the skewed input once; later calls (and later sessions) reuse it."""
    path = Path(path or input_path()).resolve()
    if (path / "_SUCCESS").exists():
        return path
    import pandas as pd

    counts = key_row_counts()
    keys = [k for k, n in enumerate(counts) for _ in range(n)]
    frame = pd.DataFrame({"id": range(len(keys)),
                          "value": [(i * 7919 % 1000) / 10.0 for i in range(len(keys))],
                          "key": keys})
    # One partition before partitionBy: exactly one file per key.
    (spark.createDataFrame(frame).repartition(1).write.mode("overwrite")
     .option("parquet.block.size", ROW_GROUP_BYTES).partitionBy("key").parquet(str(path)))
    return path


class LoopJobs:
    """Runs Loop jobs of a given size (core-ms) in one SparkSession."""

    def __init__(self, spark: Any, path: Path | None = None, cpu_time: bool = False):
        from pyspark.sql.types import DoubleType

        self.spark = spark
        self.path = ensure_input(spark, path)
        spark.udf.registerJavaFunction(UDF_NAME, UDF_CLASS, DoubleType())
        # An explicit schema: reading it back from the files would start a Spark job per read.
        self.frame = spark.read.schema(SCHEMA).parquet(str(self.path))
        self.rows = sum(key_row_counts())
        self.overhead_core_ms = 0.0
        self.cpu_time = cpu_time

    def run(self, core_ms: float) -> list:
        """One Spark action (a scan stage and an aggregation) costing about ``core_ms``."""
        burn_ms = max(core_ms - self.overhead_core_ms, 0.0)
        nanos_per_row = int(burn_ms * 1e6 / self.rows)
        burn = f"{UDF_NAME}(value, {nanos_per_row}L, {str(self.cpu_time).lower()}) AS v"
        return self.frame.selectExpr("key", burn).groupBy("key").sum("v").collect()

    def calibrate(self, log: EventLog, samples: int = 8, warm_up_core_ms: float = 2_000) -> float:
        """Measure the executor time of a job that burns nothing; later sizes subtract it.

        A fresh JVM runs its first jobs several times slower (class loading, JIT), so a few
        jobs that exercise the burn loop go first and are not measured.
        """
        self.overhead_core_ms = 0.0
        with uwfq.user(self.spark, "calibration"):
            for _ in range(3):
                self.run(warm_up_core_ms / 3)
            costs = []
            for _ in range(samples):
                log.clear()
                self.run(0.0)
                events = log.drain()
                costs.append(float(events[events.kind == "TASK_END"].run_ms.sum()))
        # The least-disturbed sample: on a shared machine the others include other work.
        self.overhead_core_ms = min(costs)
        return self.overhead_core_ms
