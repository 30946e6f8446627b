"""Shared fixtures: one real local SparkSession with the plugin per test module."""

from __future__ import annotations

import pytest

from spark_uwfq.session import local_session, prepare_local_environment

# Before any test imports pyspark and starts a JVM.
prepare_local_environment()


@pytest.fixture(scope="module")
def spark():
    """local[2] with the plugin and default options, shared by the tests of one module."""
    session = local_session("local[2]", app_name="uwfq-tests")
    yield session
    session.stop()
