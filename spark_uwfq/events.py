"""Scheduling events recorded in the driver JVM (dev.uwfq.events.EventRecorder).

Order and fairness are judged from what Spark did: when each task launched and ended, when each
job started and ended, and whose they were. One py4j call drains everything recorded so far.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from spark_uwfq.bridge import facade

COLUMNS_INT = ["time_ms", "job_id", "stage_id", "stage_attempt", "task_id", "launch_ms",
               "run_ms", "num_tasks"]


def parse_events(text: str) -> pd.DataFrame:
    """The recorder's TSV as a DataFrame (see EventLog.drain for the columns)."""
    if not text:
        raise EventsUnavailable("no event recorder: keep spark.uwfq.events.capacity above 0")
    frame = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)
    for column in COLUMNS_INT:
        frame[column] = frame[column].astype("int64")
    return frame


class EventsUnavailable(RuntimeError):
    """The plugin is not loaded, or its recorder is off (spark.uwfq.events.capacity=0)."""


class EventLog:
    """Reads the recorder of one SparkSession's driver.

    ``drain()`` returns a DataFrame with columns kind (JOB_START, JOB_END, STAGE_SUBMITTED,
    STAGE_COMPLETED, TASK_START, TASK_END), time_ms, job_id, stage_id, stage_attempt, task_id,
    executor, user, logical_job, job_key, launch_ms, run_ms (executor run time), num_tasks and
    status, in the order the listener bus delivered them.
    """

    def __init__(self, spark: Any):
        recorder = facade(spark).events()
        if recorder is None:
            raise EventsUnavailable(
                "no event recorder: load the plugin with spark_uwfq.configure() and keep "
                "spark.uwfq.events.capacity above 0"
            )
        self._recorder = recorder

    def flush(self, timeout_ms: int = 30_000) -> None:
        """Wait until every event posted so far has been recorded."""
        if not self._recorder.flush(timeout_ms):
            raise TimeoutError(f"Spark's listener bus did not drain within {timeout_ms} ms")

    def drain(self, flush: bool = True) -> pd.DataFrame:
        """Everything recorded since the last drain (after a flush, by default)."""
        if flush:
            self.flush()
        return parse_events(self._recorder.drain())

    def clear(self) -> None:
        """Forget what was recorded so far."""
        self.drain()

    @property
    def dropped(self) -> int:
        """Events lost because the buffer was full."""
        return int(self._recorder.dropped())
