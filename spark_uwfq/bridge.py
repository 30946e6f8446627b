"""The JVM side as Python sees it: the static facade dev.uwfq.Uwfq, through py4j.

py4j calls cost about a millisecond: call these for status and control, never per task.
"""

from __future__ import annotations

from typing import Any


def facade(spark: Any):
    """The ``dev.uwfq.Uwfq`` class in the driver JVM of ``spark``."""
    jvm = getattr(spark, "_jvm", None) or spark.sparkContext._jvm
    return jvm.dev.uwfq.Uwfq


def installed(spark: Any) -> bool:
    """True when the plugin's scheduling hook is installed in this application."""
    try:
        return bool(facade(spark).installed())
    except Exception:  # noqa: BLE001 - class not on the classpath means not installed
        return False


def version(spark: Any) -> str:
    """Version of the bridge jar loaded in the driver."""
    return str(facade(spark).version())
