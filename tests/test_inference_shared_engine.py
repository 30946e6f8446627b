"""The shared engine on a real executor (local-cluster, one executor of two task slots): two
concurrent tasks use one engine process with one model copy and give the per-task engine's rows
(log-probabilities included); two users with weights 2:1 (from the weights file, which overrides
spark.uwfq.weights) split the decode tokens 2:1, and a rewritten file reaches the engine while a
half-written one does not; an engine killed mid-job fails its tasks and Spark's retry starts a
new engine with the same output."""

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
def weights_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "weights.properties"
    path.write_text("alice=2\nbob=1\n")
    return path


@pytest.fixture(scope="module")
def spark(weights_file):
    from spark_uwfq.session import local_session

    # The spec says the opposite of the file: a 2:1 split shows the file was read.
    session = local_session("local-cluster[1,2,1024]", app_name="uwfq-shared-engine",
                            weights="alice:1,bob:2", weights_file=str(weights_file), conf={
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


def test_log_probabilities_come_back_from_the_shared_engine(spark, checkpoint):
    options = dict(OPTIONS, logprobs=2, n=2, temperature=0.7, seed=5)
    per_task = generate(frame(spark, 16, 2), generate_udf(checkpoint, **options))
    shared = generate(frame(spark, 16, 2), generate_udf(checkpoint, shared_engine=True, **options))
    assert [r.id for r in shared] == [r.id for r in per_task]
    for mine, theirs in zip(shared, per_task):
        assert mine.error is None
        for a, b in zip(mine.choices, theirs.choices):
            assert a.text == b.text and a.completion_tokens == b.completion_tokens
            assert len(a.token_logprobs) == a.completion_tokens
            assert a.token_logprobs == pytest.approx(b.token_logprobs, abs=1e-4)
            assert [[t.token_id for t in step] for step in a.top_logprobs] == \
                [[t.token_id for t in step] for step in b.top_logprobs]


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


def test_a_rewritten_weights_file_reaches_the_engine_and_a_half_written_one_does_not(
        spark, checkpoint, weights_file):
    def engine_weights_become(expected) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if running_engines(checkpoint)[0]["weights"] == expected:
                return True
            time.sleep(0.1)
        return False

    assert engine_weights_become({"alice": 2.0, "bob": 1.0})
    try:
        weights_file.write_text("alice=1\nbob=3\ncarol=5000\n")
        assert engine_weights_become({"alice": 1.0, "bob": 3.0, "carol": 1000.0})   # clamped
        weights_file.write_text("alice=4\nbob=")                                      # half-written
        reads = running_engines(checkpoint)[0]["weights_file_reads"]
        deadline = time.monotonic() + 60
        while running_engines(checkpoint)[0]["weights_file_reads"] < reads + 2:  # read since
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert running_engines(checkpoint)[0]["weights"] == {"alice": 1.0, "bob": 3.0,
                                                             "carol": 1000.0}
    finally:
        weights_file.write_text("alice=2\nbob=1\n")
        assert engine_weights_become({"alice": 2.0, "bob": 1.0})


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
