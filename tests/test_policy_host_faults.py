"""What the plugin does when a policy or its weights go wrong, checked on the real classes.

PolicyHost (the code that runs every policy call inside Spark) is driven through py4j with a
real policy; weights are read by the same Weights class the plugin uses. The live half (a running
session reading a weights file that changes, hangs or breaks) is in test_weights_live.py.
"""

from __future__ import annotations

import json
import math
import os

import pytest
from py4j.java_gateway import get_field
from py4j.protocol import Py4JJavaError


@pytest.fixture(scope="module")
def jvm(spark):
    return spark.sparkContext._jvm


class HostDriver:
    """Feeds one policy through the plugin's PolicyHost on a simulated clock (milliseconds)."""

    def __init__(self, jvm, policy="uwfq", cores=2, weights=""):
        p = jvm.dev.uwfq.policy
        config = p.PolicyConfig.defaults(cores).withWeights(p.Weights.of(weights, ""))
        self.jvm = jvm
        self.policy = p.Policies.create(policy, config)
        self.host = jvm.dev.uwfq.spark.PolicyHost(self.policy, policy)
        self.infos = {}
        self.now = 0
        self.cores = cores

    def submit(self, user, job, stage, tasks=2, hint=-1, spark_job=None):
        info = getattr(self.jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetInfo")(
            stage, 0, stage if spark_job is None else spark_job, user, job, None, hint, -1, tasks)
        self.infos[stage] = info
        self.host.submitted(info, self.cores, self.now)
        return stage

    def order(self):
        views = self.jvm.java.util.ArrayList()
        view_class = getattr(self.jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetView")
        for info in self.infos.values():
            views.add(view_class(info, 0, 1, None))
        self.host.order(views, self.now)
        return [get_field(v, "info").stageId() for v in views]

    def status(self):
        return json.loads(self.policy.statusJson(self.now))


# ---- a task set whose submission failed is adopted at the next round --------------------------

def test_a_task_set_missed_by_a_failed_submission_is_adopted_at_the_next_round(jvm):
    d = HostDriver(jvm)
    # Another user's flood, submitted first (lower Spark job ids: FIFO would run it first).
    flood = [d.submit("flooder", f"flood{i}", stage=i, tasks=16, hint=16_000) for i in range(2)]
    d.host.injectFailure(jvm.java.lang.IllegalStateException("fault during the submission"))
    short = d.submit("quick", "short", stage=10, tasks=2, hint=400)
    d.host.injectFailure(None)
    assert d.host.missedTaskSets() == 1
    assert d.host.failures() == 1
    # The policy now knows the short job and orders it first, as if nothing had happened.
    assert d.order() == [short] + flood
    assert d.host.missedTaskSets() == 0
    assert "short" in {j["job"] for j in d.status()["jobs"]}


def test_a_missed_task_set_removed_before_adoption_is_forgotten(jvm):
    d = HostDriver(jvm)
    d.host.injectFailure(jvm.java.lang.IllegalStateException("fault"))
    d.submit("alice", "a", stage=1)
    d.host.injectFailure(None)
    d.host.removed(d.infos.pop(1), d.now)
    assert d.host.missedTaskSets() == 0
    assert d.order() == [] and d.status()["jobs"] == []


# ---- every non-fatal throwable gives a FIFO round, counted; fatal ones propagate ----------------

NON_FATAL = [
    ("java.lang.IllegalStateException", ("runtime",)),
    ("java.lang.StackOverflowError", ()),
    ("java.lang.AssertionError", ("assertion",)),
    ("java.util.ServiceConfigurationError", ("an Error that is not a VirtualMachineError",)),
    ("java.io.IOException", ("a checked exception",)),
]


def _throwable(jvm, name, args):
    cls = jvm
    for part in name.split("."):
        cls = getattr(cls, part)
    return cls(*args)


@pytest.mark.parametrize("name,args", NON_FATAL, ids=[n.rsplit(".", 1)[1] for n, _ in NON_FATAL])
def test_every_non_fatal_throwable_gives_a_fifo_round_and_is_counted(jvm, name, args):
    d = HostDriver(jvm)
    # Submitted in FIFO order b (job 0), a (job 1); uwfq would put the short job a first.
    d.submit("bob", "long", stage=0, tasks=8, hint=80_000)
    d.submit("alice", "short", stage=1, tasks=1, hint=100)
    assert d.order() == [1, 0]
    d.host.injectFailure(_throwable(jvm, name, args))
    try:
        assert d.order() == [0, 1]  # Spark's FIFO: job id, then stage
    finally:
        d.host.injectFailure(None)
    assert d.host.failures() == 1
    assert d.order() == [1, 0]  # the policy is back at the next round


@pytest.mark.parametrize("name", ["java.lang.LinkageError", "java.lang.InterruptedException"])
def test_a_fatal_throwable_is_not_hidden(jvm, name):
    d = HostDriver(jvm)
    d.submit("alice", "a", stage=0)
    d.host.injectFailure(_throwable(jvm, name, ("fatal",)))
    try:
        with pytest.raises(Py4JJavaError, match=name.rsplit(".", 1)[1]):
            d.order()
    finally:
        d.host.injectFailure(None)
    assert d.host.failures() == 0


# ---- weights: bounded, and a bad file keeps the last good weights -------------------------------

def test_weights_are_bounded_to_a_documented_range(jvm):
    w = jvm.dev.uwfq.policy.Weights
    lo, hi = w.MIN_WEIGHT, w.MAX_WEIGHT
    assert (lo, hi) == (1e-3, 1e3)
    parsed = dict(w.parse("tiny:1e-308,huge:1e308,inf:Infinity,ok:2.5,zero:0,nan:NaN,neg:-1", "t"))
    assert parsed == {"tiny": lo, "huge": hi, "inf": hi, "ok": 2.5}


def test_a_tiny_weight_keeps_virtual_time_and_keys_finite(jvm):
    d = HostDriver(jvm, weights="alice:1e-308")
    d.submit("alice", "a", stage=0, tasks=4, hint=4000)
    d.submit("bob", "b", stage=1, tasks=4, hint=4000)
    for stage in (0, 1):
        d.now += 1000
        d.policy.onTaskEnded(stage, 0, 1000, True, d.now)
    d.order()
    s = d.status()
    assert d.host.failures() == 0
    assert math.isfinite(s["virtual_time"])
    for u in s["users"]:
        assert math.isfinite(u["virtual_finish"]), u
    assert {u["user"]: u["weight"] for u in s["users"]}["alice"] == 1e-3
    # Weight 1e-3 against 1: alice's job is a thousand times later than bob's.
    assert d.order() == [1, 0]


def test_a_bad_weights_file_keeps_the_last_good_weights(jvm, tmp_path):
    f = tmp_path / "weights.properties"
    f.write_text("alice=3\n")
    weights = jvm.dev.uwfq.policy.Weights.of("alice:2", str(f))
    assert weights.weightOf("alice") == 2.0  # the file is read only by reload()
    assert weights.reload()
    assert weights.weightOf("alice") == 3.0 and weights.weightOf("nobody") == 1.0
    assert not weights.reload()  # unchanged content: nothing to do
    for bad in ["", "   \n# only a comment\n", "alice=4\nbob", "alice=4\nbob=", "alice=4\nbob=x",
                "alice=-1\n", "alice=NaN\n", b"\xff\xfe\x00garbage=\x00".decode("latin-1")]:
        f.write_text(bad)
        assert not weights.reload(), repr(bad)
        assert weights.weightOf("alice") == 3.0, repr(bad)
        assert weights.weightOf("bob") == 1.0, repr(bad)
    f.unlink()
    assert not weights.reload() and weights.weightOf("alice") == 3.0
    f.write_text("alice=5\nbob=1e-9\n")  # back, with an out-of-range weight: clamped
    assert weights.reload()
    assert weights.weightOf("alice") == 5.0 and weights.weightOf("bob") == 1e-3
    f.write_bytes(b"x" * (2 << 20))  # too large to be a weights file
    assert not weights.reload() and weights.weightOf("alice") == 5.0
    f.write_text("alice=1\n")
    os.chmod(f, 0)
    try:
        if not os.access(f, os.R_OK):  # as root, permissions do not apply
            assert not weights.reload() and weights.weightOf("alice") == 5.0
    finally:
        os.chmod(f, 0o644)
