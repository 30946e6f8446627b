"""Whose rows a task carries, by the scheduler's rule (dev.uwfq.identity.Identity): the task's
``uwfq.user`` local property, else the user of the Spark Connect operation that started the job
(from the server's own job tag), else the configured default user."""

from __future__ import annotations

CONNECT_OPERATION_PREFIX = "SparkConnect_OperationTag_User_"


def task_user(default_user: str = "default") -> str:
    try:
        from pyspark import TaskContext
    except ImportError:
        return default_user
    context = TaskContext.get()
    if context is None:
        return default_user
    user = (context.getLocalProperty("uwfq.user") or "").strip()
    if user:
        return user
    for tag in (context.getLocalProperty("spark.job.tags") or "").split(","):
        connect = connect_user(tag.strip())
        if connect:
            return connect
    return default_user


def connect_user(tag: str) -> str | None:
    """The user id inside a Connect operation tag, or None when it is not one."""
    if not tag.startswith(CONNECT_OPERATION_PREFIX) or "_Operation_" not in tag:
        return None
    # The user id may itself contain "_Session_": the session id is the last one.
    session = tag.rfind("_Session_")
    if session < len(CONNECT_OPERATION_PREFIX):
        return None
    return tag[len(CONNECT_OPERATION_PREFIX):session].strip() or None


def driver_weights_and_default_user() -> tuple[dict[str, float], str | None, str]:
    """``spark.uwfq.weights`` (by the scheduler's rules: a bad entry is skipped, with a
    warning), ``spark.uwfq.weightsFile`` (None when unset; the engine process reads it) and
    ``spark.uwfq.defaultUser`` of the active session (driver side)."""
    from inference_udf.user_weights import parse_spec

    try:
        from pyspark.sql import SparkSession
        spark = SparkSession.getActiveSession()
    except ImportError:
        spark = None
    if spark is None:
        return {}, None, "default"
    spec = spark.conf.get("spark.uwfq.weights", "") or ""
    weights_file = (spark.conf.get("spark.uwfq.weightsFile", "") or "").strip() or None
    default_user = (spark.conf.get("spark.uwfq.defaultUser", "default") or "default").strip()
    return parse_spec(spec), weights_file, default_user or "default"
