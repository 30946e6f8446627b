"""Shared fixtures: one real local SparkSession with the plugin per test module."""

from __future__ import annotations

import os

import pytest

import spark_uwfq
from spark_uwfq.session import local_session, prepare_local_environment
from uwfq_lab.jars import lab_jar_path

# Before any test imports pyspark and starts a JVM.
prepare_local_environment()
# One py4j gateway JVM serves every session of this process, and py4j resolves classes with
# the loader it was launched with. A module whose first session ran without the plugin would
# leave the bridge classes (dev.uwfq.*) invisible to py4j for every later module, so the
# gateway always starts with the jar on its classpath (the plugin itself stays opt-in).
# The lab jar (the replay's burn UDF, the simulator) rides along for the lab's tests.
os.environ.setdefault("PYSPARK_SUBMIT_ARGS",
                      f"--jars {spark_uwfq.jar_path()},{lab_jar_path()} pyspark-shell")


@pytest.fixture(scope="module")
def spark():
    """local[2] with the plugin and default options, shared by the tests of one module.

    The facade's test hook (injectPolicyFailure) works only in applications started with
    spark.uwfq.testing.enabled.
    """
    session = local_session("local[2]", app_name="uwfq-tests",
                            conf={"spark.uwfq.testing.enabled": "true"})
    yield session
    session.stop()
