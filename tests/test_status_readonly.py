"""Reading the scheduler's status never changes what it schedules: the policy's state and its
order are the same with and without status reads, and a status read runs no order round (real
policy classes through py4j on a simulated clock, and a live local[2] session)."""

from __future__ import annotations

import json

import pytest
from py4j.java_gateway import get_field


@pytest.fixture(scope="module")
def jvm(spark):
    return spark.sparkContext._jvm


class Run:
    """One uwfq policy fed events on a simulated clock; ``reads`` status reads per step."""

    def __init__(self, jvm, reads):
        p = jvm.dev.uwfq.policy
        config = p.PolicyConfig.defaults(2).withLingerMs(1000)
        self.jvm = jvm
        self.policy = p.Policies.create("uwfq", config)
        self.reads = reads
        self.infos = {}
        self.running = {}
        self.orders = []

    def views(self):
        views = self.jvm.java.util.ArrayList()
        view_class = getattr(self.jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetView")
        for stage, info in self.infos.items():
            views.add(view_class(info, self.running.get(stage, 0), 1, None))
        return views

    def read_status(self, now):
        for i in range(self.reads):
            # Both ways of reading: with Spark's live running counts, and from the last round.
            writer = self.jvm.dev.uwfq.policy.JsonWriter().beginObject()
            self.policy.writeStatus(writer, self.views(), now + i)
            self.policy.statusJson(now + i)

    def submit(self, now, stage, user, job, key, tasks=2):
        info = getattr(self.jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetInfo")(
            stage, 0, stage, user, job, key, -1, -1, tasks)
        self.infos[stage] = info
        self.policy.onTaskSetSubmitted(info, now)
        self.read_status(now)

    def order(self, now, running):
        self.running = running
        views = self.views()
        self.policy.order(views, now)
        self.orders.append([get_field(v, "info").stageId() for v in views])
        self.read_status(now)

    def task_ended(self, now, stage, run_ms):
        self.running[stage] = max(0, self.running.get(stage, 0) - 1)
        self.policy.onTaskEnded(stage, 0, run_ms, True, now)
        self.read_status(now)

    def job_done(self, now, stage, job):
        del self.infos[stage]
        self.running.pop(stage, None)
        self.policy.onTaskSetRemoved(stage, 0, now)
        self.policy.onLogicalJobEnded(job, now)
        self.read_status(now)

    def final(self, now):
        doc = json.loads(self.policy.statusJson(now))
        return doc, self.orders


def _scenario(run):
    # alice's job of key k ends and lingers; status reads fall where the linger runs out; her
    # next job of the same key arrives before the policy's own once-a-second housekeeping.
    run.submit(0, 0, "alice", "a1", "k")
    run.order(100, {0: 2})
    run.task_ended(400, 0, 300)
    run.task_ended(600, 0, 500)
    run.job_done(600, 0, "a1")
    run.submit(1200, 1, "bob", "b1", None, tasks=4)
    run.order(1300, {1: 2})
    run.task_ended(1650, 1, 350)
    run.submit(1700, 2, "alice", "a2", "k")
    run.order(1800, {1: 1, 2: 1})
    run.task_ended(2100, 2, 300)
    run.order(2900, {1: 1, 2: 1})  # long-running tasks: the running-task projection grows
    return run.final(3000)


def test_status_reads_between_rounds_change_no_order_deadline_or_estimate(jvm):
    quiet_doc, quiet_orders = _scenario(Run(jvm, reads=0))
    read_doc, read_orders = _scenario(Run(jvm, reads=5))
    assert read_orders == quiet_orders
    assert read_doc == quiet_doc
    # the scenario reaches what a mutating read would disturb: a's cost is still the estimate
    a2 = next(j for j in quiet_doc["jobs"] if j["job"] == "a2")
    assert a2["source"] == "user-key-ended"


def test_a_status_read_runs_no_order_round(spark):
    uwfq = spark.sparkContext._jvm.dev.uwfq.Uwfq
    spark.sparkContext.parallelize(range(4), 2).count()  # the policy knows a job
    before = json.loads(str(uwfq.status()))["fallback_rounds"]
    sc = spark.sparkContext._jsc.sc()
    uwfq.injectPolicyFailure(sc, True)  # any order round now falls back to FIFO and is counted
    try:
        for _ in range(20):
            doc = json.loads(str(uwfq.status()))
    finally:
        uwfq.injectPolicyFailure(sc, False)
    assert doc["fallback_rounds"] == before
    assert doc["policy"] == "uwfq" and doc["users"] == [] and doc["jobs"] == []
