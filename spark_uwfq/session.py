"""Start a local SparkSession with the plugin: shared by the demo, replay, benchmarks and tests."""

from __future__ import annotations

import os
import sys
from typing import Any

from spark_uwfq.configure import configure


def prepare_local_environment() -> None:
    """Environment a local Spark needs before its JVM starts.

    Python workers must run this interpreter (``spark.pyspark.python`` on the builder is not
    used for them), and a local driver should bind to loopback, not the external interface.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def local_session(master: str = "local[2]", app_name: str = "spark-uwfq",
                  plugin: bool = True, conf: dict[str, str] | None = None, **options: Any):
    """A SparkSession on ``master``; with ``plugin`` it loads spark-uwfq with ``options``.

    ``conf`` holds extra raw Spark confs. Stops any active session first, since one Python
    process holds one SparkContext.
    """
    from pyspark.sql import SparkSession

    prepare_local_environment()
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    builder = (
        # A fresh Builder: SparkSession.builder is one shared object whose options accumulate.
        SparkSession.Builder().master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    if plugin:
        builder = configure(builder, **options)
    elif options:
        raise TypeError("options given but plugin=False: " + ", ".join(sorted(options)))
    _launch_jvm(builder)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


# Confs that take effect only when the driver JVM starts (its classpath, memory, JVM options).
_LAUNCH_PREFIXES = ("spark.jars", "spark.driver.")


def _launch_jvm(builder) -> None:
    """Start PySpark's JVM, if not yet running, with only the builder's launch-time confs.

    PySpark starts it with the first session's confs as spark-submit ``--conf``s, which makes
    each a JVM system property that every later session of the process reads as a default: a
    ``spark.uwfq.*`` setting of one session would silently hold in the next.
    """
    from pyspark import SparkConf, SparkContext

    if SparkContext._gateway is not None:
        return
    launch = SparkConf(loadDefaults=False)
    for key, value in builder._options.items():  # pyspark is pinned to 4.3.x
        if key.startswith(_LAUNCH_PREFIXES):
            launch.set(key, value)
    SparkContext._ensure_initialized(conf=launch)
