"""configure(builder, **options): the one call that adds spark-uwfq to a SparkSession builder."""

from __future__ import annotations

from typing import Any

from spark_uwfq._jar import PARTITIONER_EXTENSION, PLUGIN_CLASS, jar_path
from spark_uwfq.options import to_conf


def _existing(builder: Any, key: str) -> str:
    # SparkSession.Builder keeps what was set so far in _options (pyspark 4.3).
    return str(getattr(builder, "_options", {}).get(key, "") or "")


def _append(csv: str, item: str) -> str:
    items = [p.strip() for p in csv.split(",") if p.strip()]
    if item not in items:
        items.append(item)
    return ",".join(items)


def configure(builder: Any, **options: Any) -> Any:
    """Return ``builder`` set up to load the spark-uwfq plugin, with ``options`` as confs.

    Modelled on delta-spark's ``configure_spark_with_delta_pip``::

        from pyspark.sql import SparkSession
        import spark_uwfq as uwfq

        spark = uwfq.configure(SparkSession.builder.master("local[4]"),
                               policy="uwfq", weights={"alice": 2}).getOrCreate()

    Plugins and jars the builder already lists are kept. Raises ``TypeError`` for a wrong
    builder or an unknown option and ``ValueError`` for a bad value, before any JVM starts.
    """
    from pyspark.sql import SparkSession

    if not isinstance(builder, SparkSession.Builder):
        raise TypeError(
            "configure() expects a pyspark.sql.SparkSession.Builder such as "
            f"SparkSession.builder.master('local[2]'), got {type(builder).__name__}."
        )
    confs = dict(to_conf(name, value) for name, value in options.items())
    jar = jar_path()
    builder = builder.config("spark.jars", _append(_existing(builder, "spark.jars"), jar))
    builder = builder.config(
        "spark.plugins", _append(_existing(builder, "spark.plugins"), PLUGIN_CLASS)
    )
    # Always loaded (it is idle unless spark.uwfq.partitioner.enabled is true), so that a session
    # can switch the partitioner on and off with spark.conf.set.
    builder = builder.config(
        "spark.sql.extensions",
        _append(_existing(builder, "spark.sql.extensions"), PARTITIONER_EXTENSION),
    )
    for key, value in confs.items():
        builder = builder.config(key, value)
    return builder
