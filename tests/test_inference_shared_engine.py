"""The shared engine on a real executor (local-cluster, one executor of two task slots): two
concurrent tasks use one engine process with one model copy and give the per-task engine's rows;
two users with weights 2:1 split the decode tokens 2:1; an engine killed mid-job fails its tasks
and Spark's retry starts a new engine with the same output."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.llm_fixtures import torch  # noqa: F401  (skips without torch)

from inference_udf import generate_udf
from inference_udf.engine_client import running_engines
from inference_udf.tiny import corpus, write_tiny_checkpoint

pytestmark = [pytest.mark.slow, pytest.mark.local_cluster]

REPO = str(Path(__file__).resolve().parent.parent)
OPTIONS = dict(max_new_tokens=10, max_in_flight=4, max_model_len=96, num_threads=1)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return str(write_tiny_checkpoint(tmp_path_factory.mktemp("shared"), "llama"))


@pytest.fixture(scope="module")
def spark():
    from spark_uwfq.session import local_session

    session = local_session("local-cluster[1,2,1024]", app_name="uwfq-shared-engine",
                            weights="alice:2,bob:1", conf={
                                "spark.sql.execution.arrow.maxRecordsPerBatch": "8",
                                "spark.executorEnv.PYTHONPATH": REPO,
                                "spark.task.maxFailures": "3"})
    yield session
    session.stop()


def frame(spark, rows: int, partitions: int, seed: int = 0):
    data = [(i, text) for i, text in enumerate(corpus(rows, seed=seed))]
    # No shuffle: the UDF runs in the job's first (only) stage, one task per partition.
    return spark.createDataFrame(data, "id int, prompt string").coalesce(partitions)


def generate(df, udf):
    return sorted(df.select("id", udf("prompt").alias("out")).select("id", "out.*").collect())


@pytest.fixture(scope="module")
def per_task(spark, checkpoint):
    """The rows of two partitions through per-task engines (the default)."""
    return generate(frame(spark, 48, 2), generate_udf(checkpoint, **OPTIONS))


def test_two_tasks_share_one_engine_with_the_per_task_engines_rows(spark, checkpoint, per_task):
    shared = generate(frame(spark, 48, 2), generate_udf(checkpoint, shared_engine=True, **OPTIONS))
    assert shared == per_task
    assert all(r.error is None for r in shared)
    engines = running_engines(checkpoint)
    assert len(engines) == 1 and engines[0]["models_loaded"] == 1
    assert engines[0]["tasks_served"] == 2                 # both partitions' tasks used it


def test_weights_two_to_one_split_the_engines_decode_tokens(spark, checkpoint):
    udf = generate_udf(checkpoint, shared_engine=True, **OPTIONS)
    before = (running_engines(checkpoint) or [{"contended_tokens": {}}])[0]["contended_tokens"]
    errors = []

    def job(user, seed):
        try:
            spark.sparkContext.setLocalProperty("uwfq.user", user)
            generate(frame(spark, 64, 1, seed=seed), udf)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(u, s)) for u, s in (("alice", 1), ("bob", 2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    after = running_engines(checkpoint)[0]["contended_tokens"]
    alice = after.get("alice", 0) - before.get("alice", 0)
    bob = after.get("bob", 0) - before.get("bob", 0)
    assert alice + bob > 150, after
    assert alice / bob == pytest.approx(2.0, rel=0.10)


def test_a_killed_engine_fails_its_tasks_and_the_retry_starts_a_new_one(spark, checkpoint,
                                                                          per_task):
    udf = generate_udf(checkpoint, shared_engine=True, **OPTIONS)
    engine, = running_engines(checkpoint)
    result = []
    thread = threading.Thread(target=lambda: result.append(generate(frame(spark, 48, 2), udf)))
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and thread.is_alive():
        # Kill it as soon as a task of this job has sent rows.
        if running_engines(checkpoint)[0]["tasks_served"] > engine["tasks_served"]:
            os.kill(engine["pid"], signal.SIGKILL)
            break
        time.sleep(0.02)
    thread.join()
    assert result == [per_task]                            # the retried tasks' rows, exact
    new, = running_engines(checkpoint)
    assert new["pid"] != engine["pid"] and new["tasks_served"] >= 1
