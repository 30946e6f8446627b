"""The JVM's registry of settings (dev.uwfq.Settings) and Python's options table agree: the
same spark.uwfq.* keys, the same defaults, the same policy names. Read from the built jar with
a plain JVM (no Spark session needed).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from spark_uwfq import options
from spark_uwfq._jar import jar_path


@pytest.fixture(scope="module")
def jvm_table():
    out = subprocess.run(["java", "-cp", str(jar_path()), "dev.uwfq.Settings"], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return {row["key"]: row for row in json.loads(out)}


def _conf_text(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_python_options_and_jvm_settings_have_the_same_keys(jvm_table):
    assert sorted(o.key for o in options.OPTIONS) == sorted(jvm_table)


def test_python_options_and_jvm_settings_have_the_same_defaults(jvm_table):
    for option in options.OPTIONS:
        assert _conf_text(option.default) == jvm_table[option.key]["default"], option.key


def test_policy_names_are_the_jvm_ones(jvm_table):
    assert list(options.POLICIES) == jvm_table["spark.uwfq.policy"]["choices"]


def test_every_jvm_number_is_bounded_and_its_default_within(jvm_table):
    for key, row in jvm_table.items():
        if row["kind"] == "integer":
            assert row["min"] is not None and row["max"] is not None, key
            assert row["min"] <= int(row["default"]) <= row["max"], key


@pytest.fixture(scope="module")
def jvm(spark):
    return spark.sparkContext._jvm


@pytest.mark.parametrize("raw", ["abc", "-5", "NaN", "1e400", "2.5", "99999999999999999999"])
def test_a_bad_integer_conf_gives_the_default(jvm, raw):
    conf = jvm.org.apache.spark.SparkConf(False).set("spark.uwfq.graceMs", raw)
    assert jvm.dev.uwfq.UwfqConf(conf).integer(jvm.dev.uwfq.Settings.GRACE_MS) == 3000


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "2", "-0.1", "half"])
def test_a_bad_number_conf_gives_the_default_never_nan_or_inf(jvm, raw):
    conf = jvm.org.apache.spark.SparkConf(False).set("spark.uwfq.preemption.shareFraction", raw)
    got = jvm.dev.uwfq.UwfqConf(conf).number(jvm.dev.uwfq.Settings.PREEMPTION_SHARE_FRACTION)
    assert got == 0.5


def test_good_confs_are_read_and_choices_are_case_insensitive(jvm):
    s = jvm.dev.uwfq.Settings
    conf = (jvm.org.apache.spark.SparkConf(False).set("spark.uwfq.graceMs", " 250 ")
            .set("spark.uwfq.policy", "CFQ").set("spark.uwfq.preemption.shareFraction", "0.25")
            .set("spark.uwfq.partitioner.enabled", "TRUE"))
    reader = jvm.dev.uwfq.UwfqConf(conf)
    assert reader.integer(s.GRACE_MS) == 250
    assert reader.choice(s.POLICY) == "cfq"
    assert reader.number(s.PREEMPTION_SHARE_FRACTION) == 0.25
    assert reader.flag(s.PARTITIONER_ENABLED) is True
    bad = jvm.dev.uwfq.UwfqConf(jvm.org.apache.spark.SparkConf(False).set("spark.uwfq.policy", "off!"))
    assert bad.choice(s.POLICY) == "uwfq"


@pytest.mark.parametrize("raw,expected", [
    ("1234", 1234), ("1234.0", 1234), (" 7 ", 7), ("1e12", 10**12),
    ("0", -1), ("0.5", -1), ("-1", -1), ("NaN", -1), ("Infinity", -1), ("1e18", -1),
    ("abc", -1), ("", -1), (None, -1)])
def test_one_cost_hint_rule_for_scheduler_and_partitioner(jvm, raw, expected):
    assert jvm.dev.uwfq.identity.CostHint.parse(raw) == expected
    props = jvm.java.util.Properties()
    if raw is not None:
        props.setProperty("uwfq.costHintMs", raw)
    # the scheduler's identity reads the hint by the same rule
    assert jvm.dev.uwfq.identity.Identity.of(props, 1, "default").costHintMs() == expected
