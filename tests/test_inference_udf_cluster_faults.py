"""A generation UDF's Python worker dying mid-partition on a real executor (local-cluster, one
executor of two task slots): the executor stays, Spark retries the task there, and the job's
rows equal a run without the fault (per-task engine, and as a client of the shared engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.llm_fixtures import torch  # noqa: F401  (skips without torch)
from tests.test_inference_udf_faults import check_a_dying_worker_is_retried

from inference_udf.tiny import write_tiny_checkpoint

pytestmark = [pytest.mark.slow, pytest.mark.local_cluster]

REPO = str(Path(__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return str(write_tiny_checkpoint(tmp_path_factory.mktemp("cluster-faults"), "llama"))


@pytest.fixture(scope="module")
def spark():
    from spark_uwfq.session import local_session

    session = local_session("local-cluster[1,2,1024]", app_name="uwfq-llm-cluster-faults",
                            plugin=False, conf={
                                "spark.sql.execution.arrow.maxRecordsPerBatch": "8",
                                "spark.executorEnv.PYTHONPATH": REPO,
                                "spark.task.maxFailures": "3"})
    yield session
    session.stop()


@pytest.mark.parametrize("shared_engine", [False, True], ids=["per-task", "shared-engine"])
def test_a_worker_dying_on_an_executor_is_retried_with_the_same_rows(spark, checkpoint, tmp_path,
                                                                     shared_engine):
    check_a_dying_worker_is_retried(spark, checkpoint, tmp_path, shared_engine)
