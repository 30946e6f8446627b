"""Every spark.uwfq.* conf set to a hostile value on a real local session: wrong type,
negative, NaN, Infinity, huge, empty, 10 KB. One session per kind of value, every key at once.

The plugin must start, schedule two users' jobs (and one naming no user) without a policy
failure, show in the status document the default for each bad value (the reader never clamps
into range: an out-of-range number is as wrong as text), and log a warning naming each bad key.
String settings take any text, except those parsed further (weights, weights file, share
limits), which warn and are ignored. A session started afterwards sees none of these confs.
"""

from __future__ import annotations

import json

import pytest

import spark_uwfq as uwfq
from sched_util import Jobs, run_job
from spark_uwfq.session import local_session

TEN_KB = 10 * 1024
# kind of value -> the value for number-like settings (integer, number, flag, choice), and for
# string settings.
HOSTILE = {
    "wrong type": ("abc", "abc"),
    "negative": ("-5", "-5"),
    "nan": ("NaN", "NaN"),
    "infinity": ("Infinity", "-Infinity"),
    "huge": ("99999999999999999999999", "1e308"),
    "empty": ("", ""),
    "10 KB": ("9" * TEN_KB, "x" * TEN_KB),
}
# String settings whose text is parsed further: a hostile value is warned about and ignored.
PARSED_STRINGS = {"spark.uwfq.weights", "spark.uwfq.weightsFile", "spark.uwfq.maxShare",
                  "spark.uwfq.maxShares", "spark.uwfq.minShare", "spark.uwfq.minShares"}


@pytest.fixture(scope="module")
def registry():
    # A plain session brings up the JVM; the log capture then outlives every session of the module.
    warm = local_session("local[1]", app_name="hostile-confs-warm", plugin=False)
    jvm = warm.sparkContext._jvm
    table = json.loads(str(jvm.dev.uwfq.Settings.tableJson()))
    capture = jvm.dev.uwfq.lab.LogCapture.start("dev.uwfq")
    warm.stop()
    yield table, capture
    capture.close()
    # Nothing of the hostile sessions' confs reaches the next session of this process.
    clean = local_session("local[1]", app_name="hostile-confs-clean")
    try:
        leaked = {k: v for k, v in clean.sparkContext.getConf().getAll()
                  if k.startswith("spark.uwfq.")}
        assert leaked == {}, f"spark.uwfq.* confs leaked into a later session: {sorted(leaked)}"
        settings = uwfq.status(clean).raw["settings"]
        assert settings == {row["key"]: row["default"] for row in table}
    finally:
        clean.stop()


def _expected(row, value):
    """The value in effect: strings as given (trimmed) unless blank; everything else the default."""
    if row["kind"] == "string" and value.strip():
        return value.strip()
    return row["default"]


def _warns(row, value):
    if not value.strip():
        return False  # blank is unset
    return row["kind"] != "string" or row["key"] in PARSED_STRINGS


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_confs_give_defaults_and_warnings_and_jobs_run(registry, kind):
    table, capture = registry
    number_value, string_value = HOSTILE[kind]
    conf = {row["key"]: string_value if row["kind"] == "string" else number_value
            for row in table}
    seen = len(capture.messages())
    # configure() would refuse these before the JVM starts; raw confs reach the plugin as a
    # spark-submit --conf would.
    spark = local_session("local[2]", app_name=f"hostile-confs-{kind}", conf=conf)
    try:
        jobs = Jobs()
        for user in ("alice", "bob"):
            for i in range(3):
                jobs.start(run_job, spark, user, [0.01, 0.01], key=f"k{i}")
        jobs.start(lambda: spark.range(50, numPartitions=2).count())  # no user: the default user
        jobs.join(timeout=300)
        status = uwfq.status(spark)
        raw = status.raw
        assert raw["policy"] == "uwfq"
        assert raw["policy_failures"] == 0 and raw["fallback_rounds"] == 0
        wrong = {row["key"]: raw["settings"].get(row["key"]) for row in table
                 if raw["settings"].get(row["key"]) != _expected(row, conf[row["key"]])}
        assert wrong == {}, f"settings not as expected for {kind}: {sorted(wrong)}"
        weights = dict(zip(status.users["user"], status.users["weight"]))
        assert all(weights.get(u, 1.0) == 1.0 for u in ("alice", "bob")), weights
        assert not raw.get("limits", {}).get("max") and not raw.get("limits", {}).get("min"), (
            raw.get("limits"))
        warnings = [str(m) for m in list(capture.messages())[seen:]]
        silent = [row["key"] for row in table if _warns(row, conf[row["key"]])
                  and not any(row["key"] in w for w in warnings)]
        assert silent == [], f"no warning named these bad keys ({kind}): {silent}"
    finally:
        spark.stop()
