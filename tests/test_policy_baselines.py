"""(d) The baselines, selected by spark.uwfq.policy, each give their characteristic order.

The scenario (local[2]): user A's job X holds both cores with two long tasks and has four more
queued. While X's long tasks run, three jobs arrive in this order: Y (user A, 3 tasks, 900 core-ms),
Z1 (user B, 4 tasks, 1200 core-ms), Z2 (user B, 1 task, 300 core-ms). The first core that frees
goes to:
  fifo -> X   (the earliest logical job)
  fair -> Y   (fewest running tasks: Y, Z1, Z2 have none; Y arrived first)
  ujf  -> Z1  (user B runs nothing while A runs X; inside B, Z1 arrived first)
  cfq  -> Z2  (earliest virtual finish over stages: the smallest stage)
"""

from __future__ import annotations

import pytest
from sched_util import Jobs, RecordedEvents, run_job, task_starts, wait_until

import spark_uwfq as uwfq
from spark_uwfq.events import EventLog
from spark_uwfq.session import local_session

FIRST_AFTER_ARRIVALS = {"fifo": "X", "fair": "Y", "ujf": "Z1", "cfq": "Z2"}


def _scenario(spark):
    run_job(spark, "warmup", [0.1, 0.1])  # Python workers started before anything is measured
    log = EventLog(spark)
    log.clear()
    seen = RecordedEvents(log)
    ids: dict[str, str] = {}
    jobs = Jobs()
    jobs.start(run_job, spark, "A", [2.5, 3.0, 0.3, 0.3, 0.3, 0.3], hint_ms=6000, ids=ids, name="X")
    wait_until(lambda: "X" in ids and seen.count("TASK_START", {ids["X"]}) == 2, what="X to run")
    for name, user, tasks, hint in (("Y", "A", 3, 900), ("Z1", "B", 4, 1200), ("Z2", "B", 1, 300)):
        jobs.start(run_job, spark, user, [0.3] * tasks, hint_ms=hint, ids=ids, name=name)
        # The next job starts only once this one's stage is submitted: arrival order is fixed.
        wait_until(lambda: name in ids and seen.count("STAGE_SUBMITTED", {ids[name]}) == 1,
                   what=f"{name} to be submitted")
    all_submitted_launches = sum(seen.count("TASK_START", {j}) for j in ids.values())
    jobs.join()
    events = seen.all()
    assert all_submitted_launches == 2, "a core freed before all jobs arrived: scenario invalid"
    names = {job_id: name for name, job_id in ids.items()}
    return [names[j] for j in task_starts(events).logical_job]


@pytest.mark.parametrize("policy", sorted(FIRST_AFTER_ARRIVALS))
def test_d_baselines_give_their_characteristic_order(policy):
    spark = local_session("local[2]", app_name=f"uwfq-{policy}", policy=policy)
    try:
        assert uwfq.status(spark).policy == policy
        order = _scenario(spark)
    finally:
        spark.stop()
    assert order[:2] == ["X", "X"]
    assert order[2] == FIRST_AFTER_ARRIVALS[policy], f"{policy} launched in order {order}"
    assert sorted(order) == sorted(["X"] * 6 + ["Y"] * 3 + ["Z1"] * 4 + ["Z2"])
    if policy == "fifo":  # whole logical jobs in arrival order
        assert order == ["X"] * 6 + ["Y"] * 3 + ["Z1"] * 4 + ["Z2"]
    if policy == "cfq":  # then the next smallest stage
        assert order[3] == "Y"
