"""Names of the SparkContext local properties the JVM policy reads from each task set.

The Java side (dev.uwfq.policy / dev.uwfq.spark) reads exactly these keys; keep the two in step.
"""

USER = "uwfq.user"
"""Who submitted the job; the unit of fair sharing."""

JOB_ID = "uwfq.jobId"
"""One logical job (all Spark jobs run inside one ``uwfq.job`` block)."""

JOB_KEY = "uwfq.jobKey"
"""Names a recurring kind of job, so that its history can estimate the next one."""

COST_HINT_MS = "uwfq.costHintMs"
"""The caller's estimate of the whole logical job, in core-milliseconds."""

TARGET_TASKS = "uwfq.targetTasks"
"""An explicit task count for the runtime partitioner, instead of deriving it from an estimate."""
