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


def driver_weights_and_default_user() -> tuple[dict[str, float], str]:
    """``spark.uwfq.weights`` and ``spark.uwfq.defaultUser`` of the active session (driver side);
    a bad weights value is warned about and ignored (every user weighs 1)."""
    import warnings

    from spark_uwfq.options import parse_weights

    try:
        from pyspark.sql import SparkSession
        spark = SparkSession.getActiveSession()
    except ImportError:
        spark = None
    if spark is None:
        return {}, "default"
    raw = spark.conf.get("spark.uwfq.weights", "") or ""
    default_user = (spark.conf.get("spark.uwfq.defaultUser", "default") or "default").strip()
    try:
        return (parse_weights(raw) if raw.strip() else {}), default_user or "default"
    except (ValueError, TypeError):
        warnings.warn(f"spark.uwfq.weights={raw!r} is not 'user:weight,...' with positive "
                      "weights: the shared engine weighs every user 1")
        return {}, default_user or "default"
