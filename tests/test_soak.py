"""A short soak on a real session: 1,500 small jobs from 50 users through uwfq (the 20,000-job
version with heap figures is benchmarks/soak.py). Every job ends, no policy failure or FIFO
round, and once ended jobs stopped lingering the policy holds no user, job or task set.
"""

from __future__ import annotations

import pytest

from uwfq_lab import soak


@pytest.mark.slow
def test_many_small_jobs_from_many_users_leave_no_state(spark):
    result = soak.run(spark, jobs=1_500, users=50, threads=8, checkpoints=3)
    assert result["errors"] == [] and result["wrong_counts"] == []
    assert result["ended"] == 1_500
    for c in result["checkpoints"]:
        assert c["policy_failures"] == 0 and c["fallback_rounds"] == 0, c
    # Many users were in the policy's state at once, not one after another.
    assert max(c["users"] for c in result["checkpoints"]) >= 10
    released = result["released"]
    assert (released["users"], released["jobs"], released["task_sets"],
            released["lingering_jobs"]) == (0, 0, 0, 0), released
    assert released["policy_failures"] == 0 and released["fallback_rounds"] == 0
