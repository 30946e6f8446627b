"""The lab jar (simulator, ordering benchmarks, the replay's Java UDF): where it is, and the
class path that runs it beside the product jar."""

from __future__ import annotations

import os
from pathlib import Path

from spark_uwfq._jar import checked_jar, jar_path

LAB_JAR = Path(__file__).resolve().parent / "jars" / "spark-uwfq-lab.jar"
LAB_STAMP_ENTRY = "dev/uwfq/lab/build.properties"
# Compiled against the product jar: its stamp covers both source roots (jvm-bridge/build.py).
LAB_ROOTS = ("main", "lab")
_BRIDGE_DIR = Path(__file__).resolve().parents[2] / "jvm-bridge"


def lab_jar_path(check_stale: bool = True) -> str:
    """Absolute path of the lab jar; in a source checkout it must match the Java sources."""
    return checked_jar(LAB_JAR, _BRIDGE_DIR, LAB_ROOTS, LAB_STAMP_ENTRY, check_stale)


def java_classpath() -> str:
    """Product jar, lab jar and Spark's jars: what ``java -cp`` needs to run a lab main class."""
    import pyspark

    spark_jars = Path(pyspark.__file__).parent / "jars" / "*"
    return os.pathsep.join([jar_path(), lab_jar_path(), str(spark_jars)])
