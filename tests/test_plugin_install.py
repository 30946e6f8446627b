"""The plugin installs its hook in local and local-cluster mode; without it Spark is stock."""

from __future__ import annotations

import subprocess
import sys

import pytest

import spark_uwfq as uwfq
from spark_uwfq.session import local_session


def _pool_names(spark) -> list[str]:
    root = spark.sparkContext._jsc.sc().taskScheduler().rootPool()
    return [s.name() for s in root.schedulableQueue().toArray()]


def test_plugin_installed_in_local_mode(spark):
    assert uwfq.installed(spark)
    assert uwfq.version(spark) == uwfq.__version__
    assert "uwfq" in _pool_names(spark)
    # Jobs run and task sets are routed through the UWFQ pool (it counted their tasks).
    assert spark.range(1000, numPartitions=4).count() == 1000


def test_jobs_run_through_the_uwfq_pool(spark):
    jvm = spark.sparkContext._jvm
    pool = jvm.dev.uwfq.spark.SchedulerHook.pool()
    assert pool is not None
    df = spark.range(0, 200_000, numPartitions=8).selectExpr("sum(id) AS s")
    assert df.first().s == sum(range(200_000))


@pytest.mark.local_cluster
@pytest.mark.slow
def test_plugin_installed_in_local_cluster():
    session = local_session("local-cluster[2,1,1024]", app_name="uwfq-local-cluster")
    try:
        assert uwfq.installed(session)
        # Work really runs on the two executors (their Python workers and JVMs load the jar).
        hosts = session.sparkContext.parallelize(range(8), 8).map(lambda x: x * 2).sum()
        assert hosts == 56
        executors = session.sparkContext._jsc.sc().getExecutorMemoryStatus().size()
        assert executors == 3  # two executors plus the driver's block manager
    finally:
        session.stop()


STOCK_SESSION_SCRIPT = """
import spark_uwfq as uwfq
from spark_uwfq.session import local_session
s = local_session("local[2]", app_name="uwfq-stock", plugin=False)
root = s.sparkContext._jsc.sc().taskScheduler().rootPool()
print("installed", uwfq.installed(s))
print("pools", sorted(p.name() for p in root.schedulableQueue().toArray()))
print("plugins", repr(s.conf.get("spark.plugins", "")))
print("count", s.range(100).count())
s.stop()
"""


def test_session_without_plugin_is_stock_spark():
    # Its own process: pyspark passes the first session's confs to the gateway JVM it launches,
    # so a later session in the same process would inherit spark.plugins.
    out = subprocess.run([sys.executable, "-c", STOCK_SESSION_SCRIPT], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    assert "installed False" in out
    assert "pools []" in out
    assert "plugins ''" in out
    assert "count 100" in out
