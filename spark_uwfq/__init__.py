"""spark-uwfq: user-weighted fair queuing for shared Spark applications.

    from pyspark.sql import SparkSession
    import spark_uwfq as uwfq

    spark = uwfq.configure(SparkSession.builder.master("local[4]")).getOrCreate()
    with uwfq.user(spark, "alice"), uwfq.job(spark, key="daily-report"):
        spark.range(10**6).count()
"""

from spark_uwfq._jar import JarError, jar_path
from spark_uwfq._version import __version__
from spark_uwfq.bridge import installed, version
from spark_uwfq.configure import configure
from spark_uwfq.context import job, user
from spark_uwfq.options import OPTIONS, POLICIES
from spark_uwfq.status import SchedulerStatus, status

__all__ = [
    "JarError",
    "OPTIONS",
    "POLICIES",
    "SchedulerStatus",
    "__version__",
    "configure",
    "installed",
    "jar_path",
    "status",
    "job",
    "user",
    "version",
]
