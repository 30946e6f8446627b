"""``with uwfq.user(spark, "alice")`` and ``with uwfq.job(spark, key=...)``.

Both set SparkContext local properties that the JVM policy reads from every task set the
block submits, and restore the previous values on exit. Local properties belong to the
calling Python thread (pyspark's pinned-thread mode): a thread started inside the block sees
them only if it is a ``pyspark.InheritableThread``.

With a Spark Connect session both set the plugin's session confs (``spark.uwfq.session.*``),
which belong to the whole session, not a thread: run concurrent blocks in separate sessions.
The server checks each value; ``user`` there works only for a proxy user that the server lists
in ``spark.uwfq.connect.proxyUsers`` (everyone else is the user it authenticated).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any, Iterator

from spark_uwfq import connect
from spark_uwfq import properties as props


def _spark_context(spark: Any):
    sc = getattr(spark, "sparkContext", None) if not hasattr(spark, "setLocalProperty") else spark
    if sc is None:
        raise TypeError(
            "expected a SparkSession (classic or Spark Connect) or a SparkContext, "
            f"got {type(spark).__name__}"
        )
    return sc


# Local property -> the session conf a Connect client sets instead.
_SESSION_KEYS = {props.USER: connect.SESSION_USER, props.JOB_ID: connect.SESSION_JOB_ID,
                 props.JOB_KEY: connect.SESSION_JOB_KEY,
                 props.COST_HINT_MS: connect.SESSION_COST_HINT_MS}


@contextmanager
def _session_confs(spark: Any, values: dict[str, str | None]) -> Iterator[None]:
    confs = {_SESSION_KEYS[key]: value for key, value in values.items()}
    previous = {key: spark.conf.get(key, None) for key in confs}
    for key, value in confs.items():
        if value is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


@contextmanager
def _local_properties(spark: Any, values: dict[str, str | None]) -> Iterator[None]:
    if connect.is_connect(spark):
        with _session_confs(spark, values):
            yield
        return
    sc = _spark_context(spark)
    previous = {key: sc.getLocalProperty(key) for key in values}
    for key, value in values.items():
        sc.setLocalProperty(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            sc.setLocalProperty(key, value)


@contextmanager
def user(spark: Any, name: str) -> Iterator[None]:
    """Charge every Spark job started in this block (in this thread) to user ``name``."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"uwfq.user(): the user name must be a non-empty string, got {name!r}")
    with _local_properties(spark, {props.USER: name.strip()}):
        yield


@contextmanager
def job(spark: Any, key: str | None = None, cost_hint_ms: float | None = None,
        job_id: str | None = None) -> Iterator[str]:
    """Group every Spark job started in this block into one logical job; yields its id.

    ``key`` names a recurring kind of job (its history estimates the next one);
    ``cost_hint_ms`` is your own estimate of the whole block, in core-milliseconds.
    ``job_id`` joins blocks of several threads into one logical job (a workflow whose Spark
    jobs run in parallel); by default each block is a new logical job.
    """
    if job_id is not None and (not isinstance(job_id, str) or not job_id.strip()):
        raise ValueError(f"uwfq.job(): job_id must be a non-empty string or None, got {job_id!r}")
    if key is not None and (not isinstance(key, str) or not key.strip()):
        raise ValueError(f"uwfq.job(): key must be a non-empty string or None, got {key!r}")
    if cost_hint_ms is not None:
        if isinstance(cost_hint_ms, bool) or not isinstance(cost_hint_ms, (int, float)) \
                or not cost_hint_ms > 0:
            raise ValueError(
                f"uwfq.job(): cost_hint_ms must be a positive number of core-milliseconds, "
                f"got {cost_hint_ms!r}"
            )
    job_id = job_id.strip() if job_id else uuid.uuid4().hex
    values = {
        props.JOB_ID: job_id,
        props.JOB_KEY: key.strip() if key else None,
        props.COST_HINT_MS: str(int(cost_hint_ms)) if cost_hint_ms is not None else None,
    }
    with _local_properties(spark, values):
        yield job_id
