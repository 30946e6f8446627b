"""Helpers for tests on local-cluster executors: their processes, their count, and a worker on a
second loopback address (a second host, as Spark sees it).

local-cluster runs its master and workers inside the driver JVM and each executor as a process
of its own on this machine, all on one host name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sched_util import wait_until


def executor_pids(spark) -> dict[str, int]:
    """Executor id -> pid of this application's executor JVMs (local-cluster runs them here)."""
    app = spark.sparkContext.applicationId
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"org.apache.spark.executor.CoarseGrainedExecutorBackend" in args and app.encode() in args:
            out[args[args.index(b"--executor-id") + 1].decode()] = int(pid)
    return out


def executor_hosts(spark) -> list[str]:
    """The host of every block manager Spark has registered (the executors and the driver)."""
    return sorted(i.host() for i in spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos())


def request_total_executors(spark, total: int) -> bool:
    """Asks the cluster manager for ``total`` executors in all (SparkContext.requestTotalExecutors).

    ``requestExecutors(n)`` adds n to the target, not to the executors alive: after
    ``killExecutor`` on an application that never asked for a number, Spark takes the target
    to be 0 (it assumes the killed executor was started by default), so ``requestExecutors(1)``
    asks for one executor in all, fewer than are running, and none starts.
    """
    jvm = spark.sparkContext._jvm
    no_locality = jvm.PythonUtils.toScalaMap(jvm.java.util.HashMap())
    return bool(spark.sparkContext._jsc.sc().requestTotalExecutors(total, 0, no_locality))


def _master_url(spark) -> str:
    """The URL of local-cluster's in-process standalone master."""
    backend = spark.sparkContext._jsc.sc().schedulerBackend()
    field = backend.getClass().getDeclaredField("masters")
    field.setAccessible(True)
    return list(field.get(backend))[0]


@contextmanager
def worker_on_another_host(spark, work_dir: Path, host: str = "127.0.0.2") -> Iterator[str]:
    """A standalone worker (1 core) on ``host``, a second loopback address, joined to the
    session's local-cluster master; yields the id of the executor it starts for the
    application. Spark sees that executor on another host than the others (it never places a
    speculative copy on a host where its task already ran). Stopped, with its executor, on exit.
    """
    from pyspark.find_spark_home import _find_spark_home

    spark_home = _find_spark_home()
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") \
        else shutil.which("java")
    before = set(executor_pids(spark))
    # Spark's launcher (the worker builds the executor's command with it) reads the Scala
    # version from the environment, as bin/spark-class sets it, or from a source build.
    core = next(Path(spark_home, "jars").glob("spark-core_*.jar")).name
    scala = core.split("_", 1)[1].split("-", 1)[0]
    env = dict(os.environ, SPARK_HOME=spark_home, SPARK_SCALA_VERSION=scala,
               SPARK_LOCAL_IP=host, SPARK_LOCAL_HOSTNAME=host)
    work_dir.mkdir(parents=True, exist_ok=True)
    log = open(work_dir / "worker.log", "wb")
    worker = subprocess.Popen(
        [java, "-Xmx256m", "-cp", os.path.join(spark_home, "jars", "*"),
         "org.apache.spark.deploy.worker.Worker", "--host", host, "--cores", "1",
         "--memory", "1024M", "--webui-port", "0", "--work-dir", str(work_dir), _master_url(spark)],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # The application's executor limit may be below what runs (after killExecutor): one more.
        request_total_executors(spark, len(before) + 1)
        wait_until(lambda: set(executor_pids(spark)) - before or worker.poll() is not None,
                   timeout=120, what=f"an executor on {host}")
        assert worker.poll() is None, (work_dir / "worker.log").read_text()[-3000:]
        new = sorted(set(executor_pids(spark)) - before)[0]
        wait_until(lambda: host in executor_hosts(spark), timeout=120,
                   what=f"the executor on {host} to register")
        yield new
    finally:
        # The target first: else the master starts a new executor on the stopping worker as
        # its executor exits, and that one outlives it.
        request_total_executors(spark, len(before))
        worker.terminate()  # the worker kills its executors as it stops
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
        log.close()
        wait_until(lambda: set(executor_pids(spark)) <= before, timeout=60,
                   what=f"the executor on {host} to stop")
