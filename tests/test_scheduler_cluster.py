"""(a) again with real executors: local-cluster[2,1,1024] (two executors of one core each)."""

from __future__ import annotations

import pytest
from sched_util import flood_then_short, launches_between

from spark_uwfq.session import local_session


@pytest.mark.local_cluster
@pytest.mark.slow
def test_short_job_overtakes_a_flood_on_executors():
    spark = local_session("local-cluster[2,1,1024]", app_name="uwfq-cluster-order")
    try:
        events, ids, floods = flood_then_short(spark, "flooder", "quick")
    finally:
        spark.stop()
    assert set(events[events.kind == "TASK_START"].executor) == {"0", "1"}
    assert launches_between(events, ids["short"], floods) <= 2
    assert set(events[events.kind == "JOB_END"].status) == {"SUCCEEDED"}
