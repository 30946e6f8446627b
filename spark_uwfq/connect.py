"""Spark Connect sessions: the plugin's session channel and its read-only SQL path.

A Connect client has no SparkContext and no py4j. It names its jobs through the plugin's own
session confs (``spark.uwfq.session.*``, which Spark copies into the local properties of each
query's jobs, bounded and checked by the server) and reads the scheduler's state through SQL
calls of the facade's read-only methods. The user is the one the server authenticated; see
README "Spark Connect".
"""

from __future__ import annotations

from typing import Any

SESSION_USER = "spark.uwfq.session.user"
SESSION_JOB_ID = "spark.uwfq.session.jobId"
SESSION_JOB_KEY = "spark.uwfq.session.jobKey"
SESSION_COST_HINT_MS = "spark.uwfq.session.costHintMs"


def is_connect(spark: Any) -> bool:
    """True for a Spark Connect SparkSession (pyspark.sql.connect)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def facade_call(spark: Any, method: str, *args: int) -> str:
    """The string result of a read-only static ``dev.uwfq.Uwfq`` method, run in the server."""
    literals = "".join(f", {int(a)}" for a in args)
    row = spark.sql(f"SELECT java_method('dev.uwfq.Uwfq', '{method}'{literals}) AS v").collect()[0]
    return row["v"] or ""


def recent_events(spark: Any, limit: int = 100_000):
    """The server's last ``limit`` recorded events as a DataFrame (spark_uwfq.events columns)."""
    from spark_uwfq.events import parse_events

    return parse_events(facade_call(spark, "recentEvents", limit))
