"""Two faults of the policy core, on the real classes through py4j with a simulated clock:
a logical job whose end arrives while its cancelled or failed stage is still in the pool is
released when that stage leaves (it used to stay queued forever as a phantom ahead of its user's
next job), and a non-finite sort key is a counted policy failure that repairs the state (it used
to turn the order into arrival order for good, silently).
"""

from __future__ import annotations

import json
import math

import pytest
from sched_util import order_stages

POLICIES = ["uwfq", "ujf", "cfq", "fifo", "fair"]


@pytest.fixture(scope="module")
def jvm(spark):
    return spark.sparkContext._jvm


class Host:
    """One policy behind the plugin's PolicyHost; events are fed to the policy as the host
    would apply them, orders go through the host (which counts failures)."""

    def __init__(self, jvm, policy, cores=2):
        p = jvm.dev.uwfq.policy
        self.jvm = jvm
        self.policy = p.Policies.create(policy, p.PolicyConfig.defaults(cores))
        self.host = jvm.dev.uwfq.spark.PolicyHost(self.policy, policy)
        self.infos = {}
        self.now = 0

    def submit(self, stage, user, job, spark_job, tasks=4, hint=-1):
        info = getattr(self.jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetInfo")(
            stage, 0, spark_job, user, job, None, hint, -1, tasks)
        self.infos[stage] = info
        self.host.submitted(info, 2, self.now)

    def order(self, running=None):
        return order_stages(self.jvm, self.host.order, self.infos, running, self.now)

    def task_ended(self, stage, run_ms, ok=True):
        self.now += 10
        self.policy.onTaskEnded(stage, 0, run_ms, ok, self.now)

    def removed(self, stage):
        self.now += 10
        self.host.removed(self.infos.pop(stage), self.now)

    def job_ended(self, job, spark_job=None):
        self.now += 10
        if spark_job is None:
            self.policy.onLogicalJobEnded(job, self.now)
        else:
            self.policy.onLogicalJobEnded(job, spark_job, self.now)

    def status(self):
        return json.loads(self.policy.statusJson(self.now))

    def jobs(self):
        return [j["job"] for j in self.status()["jobs"]]


# ---- a cancelled or failed job leaves when its last task set does ------------------------------

@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("spark_job", [0, None])  # the plugin tells which Spark job ended; the simulator does not
def test_a_job_ended_while_its_cancelled_stage_is_in_the_pool_leaves_with_the_stage(
        jvm, policy, spark_job):
    h = Host(jvm, policy)
    h.submit(0, "alice", "cancelled", spark_job=0, tasks=8)
    h.order({0: 2})
    h.task_ended(0, 300, ok=False)  # killed by the cancellation: its time is still charged
    h.job_ended("cancelled", spark_job)  # the job end comes first ...
    assert h.jobs() == ["cancelled"]
    h.removed(0)  # ... then the cancelled stage's task set leaves the pool
    assert h.jobs() == []
    # alice's next job is alone in her queue, not behind a phantom's remaining estimate
    h.submit(1, "alice", "next", spark_job=1, tasks=1, hint=100)
    doc = h.status()
    assert [j["job"] for j in doc["jobs"]] == ["next"]
    assert [u["active_jobs"] for u in doc["users"] if u["user"] == "alice"] == [1]


@pytest.mark.parametrize("policy", ["uwfq", "fifo"])
def test_a_later_action_already_running_keeps_the_job_queued(jvm, policy):
    # Spark job 0 of a block ends while the block's next action (Spark job 1) already has a
    # stage in the pool: that is the same logical job running again, not a cancelled leftover.
    h = Host(jvm, policy)
    h.submit(0, "alice", "block", spark_job=0, tasks=2)
    h.task_ended(0, 100)
    h.task_ended(0, 100)
    h.submit(1, "alice", "block", spark_job=1, tasks=2)
    h.job_ended("block", 0)
    h.removed(0)
    assert h.jobs() == ["block"]
    h.removed(1)
    assert h.jobs() == ["block"]  # its own end has not come yet
    h.job_ended("block", 1)
    assert h.jobs() == []


def test_a_released_cancelled_job_lets_its_user_go_and_virtual_time_reset(jvm):
    h = Host(jvm, "uwfq")
    h.submit(0, "alice", "cancelled", spark_job=0, tasks=8, hint=8000)
    h.order({0: 1})
    h.task_ended(0, 500, ok=False)
    h.job_ended("cancelled", 0)
    h.removed(0)
    h.now += 60_000  # past the linger and grace times
    h.job_ended("(nothing)", 99)  # any event lets the policy see the time
    doc = h.status()
    assert doc["users"] == [] and doc["jobs"] == [] and doc["lingering_jobs"] == 0


# ---- a non-finite key is a counted failure, and the state is repaired --------------------------

def _corrupt_virtual_time(policy, value):
    field = policy.getClass().getDeclaredField("v")
    field.setAccessible(True)
    field.setDouble(policy, value)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_non_finite_key_is_a_counted_failure_and_the_clock_is_repaired(jvm, bad):
    h = Host(jvm, "uwfq")
    h.submit(0, "alice", "long", spark_job=0, tasks=16, hint=16_000)
    h.submit(1, "bob", "short", spark_job=1, tasks=1, hint=100)
    assert h.order() == [1, 0]  # bob's short job first
    _corrupt_virtual_time(h.policy, bad)  # as a bug (or an overflow) would leave it
    h.task_ended(0, 1000)  # alice's deadline is now computed from a non-finite clock
    assert h.host.failures() == 0
    h.order({0: 1})  # that round is FIFO, and counted
    assert h.host.failures() == 1
    doc = h.status()
    assert math.isfinite(doc["virtual_time"])
    assert all(j["deadline"] is not None and math.isfinite(j["deadline"]) for j in doc["jobs"])
    assert h.order({0: 1}) == [1, 0]  # the policy's own order again, not arrival order
    assert h.host.failures() == 1
