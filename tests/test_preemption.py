"""Bounded-wait preemption and max shares on real Spark (local[2]), judged from recorded events.

Tasks are Python sleeps, so they hold their cores for a known time and cannot be cut: the case
preemption is for. One session per policy setting, each shared by its tests.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sched_util import Jobs, RecordedEvents, run_job, wait_until

import spark_uwfq as uwfq
from spark_uwfq.events import EventLog
from spark_uwfq.session import local_session

LONG_S = 6.0


def _long_then_short(spark, short_user="small"):
    """User "batch" fills both cores with long tasks; then ``short_user`` submits a short job."""
    log = EventLog(spark)
    log.clear()
    seen = RecordedEvents(log)
    ids: dict[str, str] = {}
    jobs = Jobs()
    jobs.start(run_job, spark, "batch", [LONG_S, LONG_S], key="long", ids=ids, name="long")
    wait_until(lambda: "long" in ids and seen.count("TASK_START", {ids["long"]}) >= 2,
               what="both long tasks to run")
    jobs.start(run_job, spark, short_user, [0.2, 0.2], key="short", ids=ids, name="short")
    jobs.join()
    return seen.all(), ids


def test_a_waiting_user_gets_a_core_by_killing_the_youngest_long_task():
    spark = local_session("local[2]", app_name="uwfq-preemption-tests", preemption=True,
                          preemption_wait_ms=500, preemption_check_interval_ms=100)
    try:
        events, ids = _long_then_short(spark)
        status = uwfq.status(spark).preemption
    finally:
        spark.stop()
    ends = events[events.kind == "TASK_END"]
    long_ends = ends[ends.logical_job == ids["long"]]
    killed = long_ends[long_ends.status == "KILLED"]
    # Fewest: the waiting user's share is one core, so exactly one long task is killed, and its
    # re-run is never killed again: the long job still ends with two successes.
    assert len(killed) == 1, long_ends
    assert (long_ends.status == "SUCCEEDED").sum() == 2
    # Youngest: the killed attempt launched no earlier than the other first attempt.
    first = events[(events.kind == "TASK_START") & (events.logical_job == ids["long"])].head(2)
    assert int(killed.launch_ms.iloc[0]) == int(first.launch_ms.max())
    # The short job ran on the freed core while the surviving long task still held the other.
    short_starts = events[(events.kind == "TASK_START") & (events.logical_job == ids["short"])]
    first_success = long_ends[long_ends.status == "SUCCEEDED"].time_ms.min()
    assert short_starts.time_ms.max() < first_success
    # Killed work is counted: what the killed attempt had run, charged to its user.
    assert status["kills"] == 1
    assert status["lost_core_ms_by_user"].keys() == {"batch"}
    assert 0 < status["lost_core_ms"] <= LONG_S * 1000


def _running_when_others_wait(events: pd.DataFrame) -> list[tuple[int, str, int]]:
    """(time, user, running tasks) at each task launch of a user while another user had tasks
    waiting (in a stage submitted before that time, launched after it). A task holds its core
    from its launch for its executor run time: the driver records a task's end only after it
    has handled the result, by when the freed core may already run the next task."""
    ends = events[events.kind == "TASK_END"]
    held = pd.DataFrame({"user": ends.user, "start": ends.launch_ms,
                         "stop": ends.launch_ms + ends.run_ms.clip(lower=0)})
    starts = events[events.kind == "TASK_START"]
    stages = events[events.kind == "STAGE_SUBMITTED"]
    submitted = stages.groupby("stage_id").time_ms.min()
    last_launch = starts.groupby("stage_id").launch_ms.max()
    out = []
    for user in set(held.user):
        mine = held[held.user == user]
        others = [(submitted[s], last_launch.get(s, submitted[s]))
                  for s in set(stages[stages.user != user].stage_id)]
        # The count changes at the user's launches, the waiting set at the others' submissions.
        for t in sorted(set(mine.start) | {t0 for t0, _ in others}):
            if any(t0 <= t < t1 for t0, t1 in others):
                out.append((int(t), user, int(((mine.start <= t) & (mine.stop > t)).sum())))
    return out


def _running(events: pd.DataFrame, user: str) -> tuple[int, int]:
    """(tasks of ``user`` launched, tasks of ``user`` still running) in the events so far."""
    starts = int(((events.kind == "TASK_START") & (events.user == user)).sum())
    ends = int(((events.kind == "TASK_END") & (events.user == user)).sum())
    return starts, starts - ends


@pytest.mark.parametrize("policy, source", [("uwfq", "weights file"), ("ujf", "confs")])
def test_max_share_caps_a_user_at_half_the_cores_while_another_waits(policy, source, tmp_path):
    # "a" weighs 4: without the cap both policies would give it both cores while "b" waits.
    if source == "confs":
        options = {"weights": {"a": 4}, "max_share": "50%"}
    else:
        weights_file = tmp_path / "weights.properties"
        weights_file.write_text("a=4\n*.maxShare=50%\n")
        options = {"weights_file": str(weights_file)}
    spark = local_session("local[2]", app_name="uwfq-maxshare-tests", policy=policy, **options)
    try:
        log = EventLog(spark)
        log.clear()
        seen = RecordedEvents(log)
        jobs = Jobs()
        # "a" alone: Spark offers its task set both free cores in one round and it launches on
        # both (no hook limits a task set to fewer in a round); the launch past the cap is
        # killed right after ("trim"). "b" arrives once that is over, while a's tasks queue.
        jobs.start(run_job, spark, "a", [1.0] * 6, key="a")
        wait_until(lambda: uwfq.status(spark).raw["preemption"]["trims"] >= 1,
                   what="a's launch past its cap, alone, to be trimmed")
        wait_until(lambda: (lambda s, r: s >= 2 and r <= 1)(*_running(seen.all(), "a")),
                   what="a back at its cap")
        jobs.start(run_job, spark, "b", [0.4] * 6, key="b")
        jobs.join()
        events = seen.all()
        raw = uwfq.status(spark).raw
        limits = raw["limits"]
        if source == "weights file":  # hot-reloaded: a new cap for "b" shows without a restart
            weights_file.write_text("a=4\n*.maxShare=50%\nb.maxShare=2\n")
            wait_until(lambda: "b" in uwfq.status(spark).raw["limits"]["max_share"],
                       what="the changed weights file's limits")
            assert uwfq.status(spark).raw["limits"]["max_share"]["b"]["cores"] == 2
    finally:
        spark.stop()
    checked = _running_when_others_wait(events)
    assert checked, "the users never overlapped"
    assert max(r for _, _, r in checked) <= 1, checked
    assert limits["max_share"]["*"]["cores"] == 1
    # The trimmed launch was re-run: both jobs end with all their tasks.
    assert set(events[events.kind == "JOB_END"].status) == {"SUCCEEDED"}
