"""uwfq info: where the jar is and which versions are in play."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("info", help="show the bridge jar, its build stamp and versions")
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    import pyspark

    from spark_uwfq import __version__
    from spark_uwfq._jar import JarError, jar_path, jar_stamp

    print(f"spark-uwfq {__version__}, pyspark {pyspark.__version__}")
    try:
        jar = jar_path()
    except JarError as exc:
        print(f"jar: {exc}")
        return 1
    stamp = jar_stamp(Path(jar))
    print(f"jar: {jar}")
    print(f"  built as {stamp.get('version')} against Spark {stamp.get('spark.version')}")
    return 0
