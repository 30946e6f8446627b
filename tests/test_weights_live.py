"""A running session's weights file (spark.uwfq.weightsFile): changed, broken, deleted, hung.

The plugin reads the file on a background thread; what a user weighs is judged from the policy's
own state (uwfq.status) after one of its jobs ran, never by calling the reader directly.
"""

from __future__ import annotations

import os
import threading

import pytest
from sched_util import run_job, wait_until

import spark_uwfq as uwfq
from spark_uwfq.session import local_session


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    return tmp_path_factory.mktemp("weights") / "weights.properties"


@pytest.fixture(scope="module")
def spark(weights_file):
    weights_file.write_text("heavy=2\n")
    session = local_session("local[2]", app_name="uwfq-weights-live", weights_file=str(weights_file),
                            grace_ms=60_000)
    yield session
    session.stop()


def replace(path, text):
    """Writes a new file and renames it into place, as a careful operator would."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def weight_of(spark, user):
    """What the policy weighs ``user`` at its next job (weights apply at submission)."""
    run_job(spark, user, [0.0])
    users = uwfq.status(spark).users.set_index("user")
    return float(users.weight[user])


def test_a_running_policy_picks_up_a_changed_file(spark, weights_file):
    assert weight_of(spark, "heavy") == 2.0
    replace(weights_file, "heavy=5\nlight=0.5\n")
    wait_until(lambda: weight_of(spark, "heavy") == 5.0, timeout=30, what="the new weights")
    assert weight_of(spark, "light") == 0.5


@pytest.mark.parametrize("bad", ["", "heavy=3\nlight", "heavy=NaN\n", "\x00\x01garbage\n", None],
                         ids=["empty", "half-written", "nan", "garbage", "deleted"])
def test_a_broken_or_deleted_file_keeps_the_last_good_weights(spark, weights_file, bad):
    replace(weights_file, "heavy=5\nlight=0.5\n")
    wait_until(lambda: weight_of(spark, "heavy") == 5.0, timeout=30, what="the good weights")
    if bad is None:
        weights_file.unlink()
    else:
        weights_file.write_text(bad)  # written in place, not renamed: a reader may see it
    # The reader looks once a second; give it several looks, then check nothing changed.
    for _ in range(2):
        threading.Event().wait(1.1)
        assert weight_of(spark, "heavy") == 5.0
        assert weight_of(spark, "light") == 0.5
    assert uwfq.status(spark).policy_failures == 0


def test_a_hung_read_stalls_neither_scheduling_nor_status(spark, weights_file):
    # A named pipe blocks its reader until a writer opens it: a hung network mount, on demand.
    pipe = weights_file.with_name("pipe")
    os.mkfifo(pipe)
    weights_file.unlink(missing_ok=True)
    os.link(pipe, weights_file)
    try:
        threading.Event().wait(2.5)  # the reader is now blocked opening the pipe
        done = threading.Event()

        def jobs():
            for i in range(3):
                run_job(spark, "heavy", [0.05, 0.05], key=f"during-hang-{i}")
            done.set()

        t = threading.Thread(target=jobs, daemon=True)
        t.start()
        assert done.wait(120), "jobs stalled while the weights file read hung"
        assert weight_of(spark, "heavy") == 5.0  # the last good weights
        assert uwfq.status(spark).policy_failures == 0
    finally:
        # Release the reader: it reads what we write, so the file is picked up once it returns.
        release(pipe)
    wait_until(lambda: weight_of(spark, "heavy") == 7.0, timeout=30,
               what="the reader to come back after the hang")
    replace(weights_file, "heavy=7\n")
    release(pipe)  # in case the reader opened the pipe again meanwhile
    pipe.unlink()


def release(pipe):
    try:
        fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)  # fails when no reader waits
    except OSError:
        return
    os.write(fd, b"heavy=7\n")
    os.close(fd)
