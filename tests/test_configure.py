"""configure() adds the jar, the plugin and the options, and rejects bad input clearly."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

import spark_uwfq as uwfq
from spark_uwfq import _jar


def _options(builder) -> dict:
    return dict(builder._options)


def test_configure_sets_jar_plugin_and_options():
    builder = uwfq.configure(SparkSession.Builder(), policy="UJF", weights={"alice": 2, "bob": 1},
                             default_cost_ms=2500)
    opts = _options(builder)
    assert opts["spark.jars"] == uwfq.jar_path()
    assert opts["spark.plugins"] == "dev.uwfq.UwfqPlugin"
    assert opts["spark.uwfq.policy"] == "ujf"
    assert opts["spark.uwfq.weights"] == "alice:2,bob:1"
    assert opts["spark.uwfq.defaultCostMs"] == "2500"


def test_configure_keeps_existing_plugins_and_jars():
    builder = SparkSession.Builder().config("spark.plugins", "com.example.Other") \
        .config("spark.jars", "/opt/other.jar")
    opts = _options(uwfq.configure(builder))
    assert opts["spark.plugins"] == "com.example.Other,dev.uwfq.UwfqPlugin"
    assert opts["spark.jars"] == f"/opt/other.jar,{uwfq.jar_path()}"
    # Configuring twice does not list the plugin twice.
    assert _options(uwfq.configure(uwfq.configure(SparkSession.Builder())))["spark.plugins"] \
        == "dev.uwfq.UwfqPlugin"


def test_configure_rejects_a_non_builder():
    with pytest.raises(TypeError, match="expects a pyspark.sql.SparkSession.Builder.*got dict"):
        uwfq.configure({})


def test_configure_rejects_unknown_option_with_suggestion():
    with pytest.raises(TypeError, match="unknown option 'polcy'.*Did you mean 'policy'"):
        uwfq.configure(SparkSession.Builder(), polcy="uwfq")


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("policy", "lottery", "one of uwfq, ujf, cfq, fifo, fair, off"),
        ("default_cost_ms", -5, "a positive integer"),
        ("default_cost_ms", True, "a positive integer"),
        ("events_capacity", -1, "a non-negative integer"),
        ("weights", "alice=2", "'alice:2,bob:1'"),
        ("weights", {"alice": 0}, "positive numbers"),
        ("default_user", "", "a non-empty user name"),
    ],
)
def test_configure_rejects_bad_values(name, value, expected):
    with pytest.raises(ValueError) as err:
        uwfq.configure(SparkSession.Builder(), **{name: value})
    assert f"{name}={value!r} is not valid" in str(err.value)
    assert expected in str(err.value)


def test_conf_file_documents_every_option():
    conf = (Path(__file__).resolve().parents[1] / "conf" / "uwfq.conf").read_text()
    keys = {line.split()[0] for line in conf.splitlines()
            if line.strip() and not line.lstrip().startswith("#")}
    assert {"spark.plugins", "spark.jars"} <= keys
    for option in uwfq.OPTIONS:
        assert option.key in conf, f"conf/uwfq.conf does not document {option.key}"


def test_jar_path_reports_missing_and_stale_jars(tmp_path, monkeypatch):
    real = Path(uwfq.jar_path())
    assert real.is_file()
    pkg = tmp_path / "pkg"
    (pkg / "jars").mkdir(parents=True)
    monkeypatch.setattr(_jar, "_PACKAGE_DIR", pkg)
    with pytest.raises(uwfq.JarError, match="not found.*make jar"):
        uwfq.jar_path()
    # A jar whose stamp does not match the sources beside it is stale.
    bridge = tmp_path / "jvm-bridge"
    src = bridge / "src" / "main" / "java" / "dev"
    src.mkdir(parents=True)
    (src / "A.java").write_text("class A {}")
    monkeypatch.setattr(_jar, "_BRIDGE_DIR", bridge)
    with zipfile.ZipFile(pkg / "jars" / _jar.JAR_NAME, "w") as zf:
        zf.writestr("dev/uwfq/build.properties", "sources.sha256=0000\n")
    with pytest.raises(uwfq.JarError, match="stale.*make jar"):
        uwfq.jar_path()
    # Fresh once the stamp matches; an installed wheel (no jvm-bridge/) is never stale.
    with zipfile.ZipFile(pkg / "jars" / _jar.JAR_NAME, "w") as zf:
        zf.writestr("dev/uwfq/build.properties",
                    f"sources.sha256={_jar.sources_hash(bridge)}\n")
    assert os.path.isfile(uwfq.jar_path())
    monkeypatch.setattr(_jar, "_BRIDGE_DIR", tmp_path / "absent")
    assert os.path.isfile(uwfq.jar_path())
