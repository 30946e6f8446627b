"""The policy classes themselves (dev.uwfq.policy, no Spark scheduler involved), driven through
py4j with a simulated clock: exact, deterministic checks of what the real-Spark tests only see
through timing. Also identity, weights, and bounded state over 100,000 jobs (the estimator:
test_estimator.py).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from py4j.java_gateway import get_field
from sched_util import order_stages


@pytest.fixture(scope="module")
def jvm(spark):
    return spark.sparkContext._jvm


class Driver:
    """Feeds one policy events on a simulated clock (milliseconds)."""

    def __init__(self, jvm, policy, cores=2, weights=""):
        p = jvm.dev.uwfq.policy
        config = p.PolicyConfig.defaults(cores).withWeights(p.Weights.of(weights, ""))
        self.jvm = jvm
        self.policy = p.Policies.create(policy, config)
        self.infos = {}
        self.now = 0
        self.next_stage = 0

    def submit(self, user, job, tasks=4, hint=-1, key=None):
        info = getattr(self.jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetInfo")(
            self.next_stage, 0, self.next_stage, user, job, key, hint, -1, tasks)
        self.infos[self.next_stage] = info
        self.policy.onTaskSetSubmitted(info, self.now)
        self.next_stage += 1
        return self.next_stage - 1

    def task_ended(self, stage, run_ms):
        self.now += 1
        self.policy.onTaskEnded(stage, 0, run_ms, True, self.now)

    def remove(self, stage):
        del self.infos[stage]
        self.policy.onTaskSetRemoved(stage, 0, self.now)

    def order(self, running=None):
        return order_stages(self.jvm, self.policy.order, self.infos, running, self.now)

    def status(self):
        return json.loads(self.policy.statusJson(self.now))


def test_weights_split_the_queue_two_to_one(jvm):
    d = Driver(jvm, "uwfq", weights="heavy:2,light:1")
    light = [d.submit("light", f"l{i}", hint=1000) for i in range(3)]
    heavy = [d.submit("heavy", f"h{i}", hint=1000) for i in range(3)]
    # Virtual finishes: heavy 500, 1000, 1500; light 1000, 2000, 3000 (ties: earlier job).
    assert d.order() == [heavy[0], light[0], heavy[1], heavy[2], light[1], light[2]]
    users = {u["user"]: u for u in d.status()["users"]}
    assert users["heavy"]["share"] == pytest.approx(2 * 2 / 3)
    assert users["light"]["share"] == pytest.approx(2 / 3)


def test_short_job_overtakes_the_same_users_long_job_but_not_other_users(jvm):
    d = Driver(jvm, "uwfq")
    long_job = d.submit("alice", "long", hint=10_000)
    bob = d.submit("bob", "b1", hint=4_000)
    for _ in range(4):
        d.task_ended(long_job, 1000)  # alice got 4,000 core-ms of service
    short = d.submit("alice", "short", hint=500)
    order = d.order()
    assert order.index(short) < order.index(long_job)
    # Alice was charged what she used: her short job still comes after bob's job (4,000 + 500
    # > 4,000), which a scheduler that charged only at job end would not do.
    assert order == [bob, short, long_job]


def test_an_over_estimate_is_given_back_at_the_real_end(jvm):
    d = Driver(jvm, "uwfq")
    big = d.submit("alice", "big", tasks=1, hint=50_000)
    d.task_ended(big, 1000)
    d.remove(big)
    d.policy.onLogicalJobEnded("big", d.now)
    nxt = d.submit("alice", "next", hint=1000)
    bob = d.submit("bob", "b", hint=3000)
    deadlines = {j["job"]: j["deadline"] for j in d.status()["jobs"]}
    assert deadlines["next"] < deadlines["b"]  # alice paid 1,000, not 50,000
    assert d.order() == [nxt, bob]


def test_a_continuation_keeps_its_place_among_its_users_jobs(jvm):
    # A logical job is often two Spark jobs (AQE runs the shuffle map stage, then the result
    # stage, as separate jobs). The second arrives after the first ended: it must come back to
    # the place its job had, not behind every job its user submitted meanwhile, even when its
    # estimate grew on slow first tasks. (Re-queueing it starved half-done jobs on real Spark.)
    d = Driver(jvm, "uwfq")
    first = d.submit("alice", "a0", tasks=4, hint=1000)
    others = [d.submit("alice", f"a{i}", tasks=4, hint=1000) for i in range(1, 4)]
    for _ in range(4):
        d.task_ended(first, 600)  # 2,400 core-ms used: the estimate grew past the hint
    d.remove(first)
    d.policy.onLogicalJobEnded("a0", d.now)
    result_stage = d.submit("alice", "a0", tasks=1, hint=1000)
    assert d.order() == [result_stage, *others]


def test_a_user_served_ahead_of_its_share_stays_in_virtual_time_until_its_finish(jvm):
    # GPS: V is what each active user would have received. A short job served on every core
    # ends before its virtual finish; dropping its user from V's active set at once let V run
    # ahead of the two users who waited, who then held that gap as credit and made the next
    # short job queue behind them. Offsets (virtual start - V) of the users who stay must sum
    # to zero again once V passes the short job's finish.
    d = Driver(jvm, "uwfq", cores=2)
    left = {}
    for user in ("p1", "p2"):
        for i in range(4):
            left[d.submit(user, f"{user}/{i}", tasks=8, hint=840)] = (f"{user}/{i}", 8)

    def run_tasks(n):
        for _ in range(n):
            stage = d.order()[0]
            d.task_ended(stage, 105)
            job, tasks = left[stage]
            left[stage] = (job, tasks - 1)
            if tasks == 1:
                d.remove(stage)
                d.policy.onLogicalJobEnded(job, d.now)
                del left[stage]

    def offsets():
        s = d.status()
        return {u["user"]: u["virtual_start"] - s["virtual_time"] for u in s["users"]}

    run_tasks(16)
    left[d.submit("s", "s/0", tasks=4, hint=420)] = ("s/0", 4)
    run_tasks(4)  # the short job first, on every core: it ends ahead of its fair share
    assert "s/0" not in [j for j, _ in left.values()]
    assert offsets()["s"] == pytest.approx(420 - 420 / 3)
    run_tasks(16)
    o = offsets()
    assert o["s"] <= 0  # V has passed s's virtual finish
    assert o["p1"] + o["p2"] == pytest.approx(0, abs=1)


def test_estimates_grow_from_observed_task_times(jvm):
    d = Driver(jvm, "uwfq")
    s = d.submit("alice", "j", tasks=10)  # no hint: the default cold start, 1,000
    d.task_ended(s, 800)
    d.task_ended(s, 800)
    job = d.status()["jobs"][0]
    assert job["estimate_ms"] == pytest.approx(1600 + 8 * 800)
    assert job["remaining_tasks"] == 8


def test_a_hint_is_trusted_until_the_job_has_used_it(jvm):
    # File scans run their largest splits first, so early task times over-project.
    d = Driver(jvm, "uwfq")
    s = d.submit("alice", "j", tasks=10, hint=5000)
    d.task_ended(s, 800)
    d.task_ended(s, 800)  # projects 8,000, but 1,600 used is still within the hint
    assert d.status()["jobs"][0]["estimate_ms"] == pytest.approx(5000)
    for _ in range(5):
        d.task_ended(s, 800)  # 5,600 used: the hint was too small after all...
    # ...but the 3 tasks left are costed at the hint's rate (500 a task), not the mean so far,
    # which one stalled task can inflate.
    assert d.status()["jobs"][0]["estimate_ms"] == pytest.approx(5600 + 3 * 500)


@pytest.mark.parametrize("policy, expected", [
    ("fifo", ["a1", "b1", "a2"]),
    ("fair", ["b1", "a2", "a1"]),  # fewest running: a1 runs 2, b1 and a2 none
    ("ujf", ["b1", "a2", "a1"]),   # user b runs nothing, user a runs 2
])
def test_baselines_order(jvm, policy, expected):
    d = Driver(jvm, policy)
    stages = {name: d.submit(user, name) for user, name in (("a", "a1"), ("b", "b1"), ("a", "a2"))}
    names = {v: k for k, v in stages.items()}
    assert [names[s] for s in d.order(running={stages["a1"]: 2})] == expected


def test_order_is_deterministic_on_ties(jvm):
    import random

    d = Driver(jvm, "uwfq")
    for i in range(20):
        d.submit(f"u{i % 4}", f"j{i}", hint=1000)
    # Each user's k-th job has virtual deadline k * 1000: four-way ties, broken by the earlier
    # logical job. The views arrive shuffled, so a sort without the tie-break (stable) would
    # keep the shuffled order.
    stages = list(d.infos)
    rng = random.Random(5)
    for _ in range(5):
        rng.shuffle(stages)
        d.infos = {s: d.infos[s] for s in stages}
        assert d.order() == list(range(20))


@pytest.mark.parametrize("policy", ["uwfq", "ujf", "fifo", "fair"])
def test_each_tie_break_level_decides(jvm, policy):
    import random

    # Task sets whose policy keys tie (one logical job's task sets; for fair and ujf nothing
    # runs, so all of them), each pair differing in one tie-break level only: the earlier
    # logical job (A arrived before B, whose Spark job and stage ids are lower), then the
    # earlier Spark job (A's stage 2 rerun for its Spark job 7, after stage 10 of job 5), then
    # the earlier stage (10 before 11 in one Spark job), then the earlier attempt (10.0 before
    # its re-attempt 10.1). A comparator missing any level leaves that pair in shuffled order.
    info_class = getattr(jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetInfo")
    view_class = getattr(jvm.dev.uwfq.policy, "SchedulingPolicy$TaskSetView")
    p = jvm.dev.uwfq.policy
    config = p.PolicyConfig.defaults(2).withWeights(p.Weights.of("", ""))
    policy_obj = p.Policies.create(policy, config)
    # (logical job, Spark job, stage, attempt), in submission order
    submitted = [("A", 5, 10, 0), ("B", 1, 3, 0), ("A", 5, 11, 0), ("A", 7, 2, 0), ("A", 5, 10, 1)]
    infos = {}
    for job, spark_job, stage, attempt in submitted:
        info = info_class(stage, attempt, spark_job, "u", job, None, 1000, -1, 4)
        infos[(job, spark_job, stage, attempt)] = info
        policy_obj.onTaskSetSubmitted(info, 0)
    expected = [("A", 5, 10, 0), ("A", 5, 10, 1), ("A", 5, 11, 0), ("A", 7, 2, 0), ("B", 1, 3, 0)]
    rng = random.Random(7)
    keys = list(infos)
    for _ in range(8):
        rng.shuffle(keys)
        views = jvm.java.util.ArrayList()
        for k in keys:
            views.add(view_class(infos[k], 0, 4, None))
        policy_obj.order(views, 1)
        got = [(get_field(v, "info").logicalJob(), get_field(v, "info").sparkJobId(),
                get_field(v, "info").stageId(), get_field(v, "info").stageAttempt())
               for v in views]
        assert got == expected


def test_identity_rules(jvm):
    ident = jvm.dev.uwfq.identity.Identity

    def of(**props):
        p = jvm.java.util.Properties()
        for k, v in props.items():
            p.setProperty(k.replace("__", "."), v)
        i = ident.of(p, 7, "anon")
        return i.user(), i.logicalJob(), i.jobKey(), i.costHintMs()

    op = ("SparkConnect_OperationTag_User_carol_Session_0b9b1a1e-5a1e-4a43-9c2b-111111111111"
          "_Operation_3c1a2b5e-0000-4000-8000-222222222222")
    client = "SparkConnect_SessionTag_User_mallory_Session_x_Tag_mine"
    assert of() == ("anon", "spark-job-7", None, -1)
    # A tag is a spark* property that a client can set: it never names the user, unless it names
    # a live execution of the Connect server (tests/test_connect.py).
    assert of(spark__job__tags=f"{client},{op}")[0] == "anon"
    assert of(spark__job__tags=f"{client},{op}")[1] == f"tag:anon/{op}"
    assert of(uwfq__user="alice", spark__job__tags=op)[0] == "alice"
    assert of(uwfq__jobId="j1", spark__jobGroup__id="g")[1] == "j1"
    # Logical jobs named by a group, tag or SQL execution are per user: they never merge.
    assert of(spark__jobGroup__id="g", spark__sql__execution__root__id="4")[1] == "group:anon/g"
    assert of(uwfq__user="bob", spark__jobGroup__id="g")[1] == "group:bob/g"
    assert of(spark__sql__execution__root__id="4", spark__sql__execution__id="9",
              spark__job__tags="spark-session-abc-execution-root-id-4")[1] == "sql:anon/4"
    assert of(spark__job__description="daily")[2] == "desc:daily"
    assert of(uwfq__jobKey="etl", uwfq__costHintMs="2500.0")[2:] == ("etl", 2500)
    assert of(uwfq__costHintMs="soon")[3] == -1
    # The plugin's session channel: bounded, a bad value is no value.
    channel = dict(spark__uwfq__session__jobId="run-1", spark__uwfq__session__jobKey="nightly",
                   spark__uwfq__session__costHintMs="60000")
    assert of(**channel)[1:] == ("session:anon/run-1", "nightly", 60000)
    assert of(spark__uwfq__session__jobKey="k" * 201)[2] is None
    assert of(spark__uwfq__session__costHintMs="inf")[3] == -1
    assert of(spark__uwfq__session__costHintMs="-5")[3] == -1
    # Only a listed proxy user may name another user; without a server record nobody is one.
    assert of(spark__uwfq__session__user="alice")[0] == "anon"
    # A Connect server's description is the same for every query of a session: not a key.
    assert of(spark__job__description='Spark Connect - session_id: "x"')[2] is None


def test_trusted_gateway_property_names_the_user(jvm):
    rules = jvm.dev.uwfq.identity.IdentityRules
    before = rules.current()
    record = jvm.dev.uwfq.identity.ServerRecord.NONE
    p = jvm.java.util.Properties()
    p.setProperty("kyuubi.session.user", "dora")
    assert jvm.dev.uwfq.identity.Identity.of(p, 1, "anon").user() == "anon"  # off by default
    rules.install(jvm.dev.uwfq.identity.IdentityRules(
        record, "kyuubi.session.user", jvm.java.util.HashSet()))
    try:
        assert jvm.dev.uwfq.identity.Identity.of(p, 1, "anon").user() == "dora"
        p.setProperty("uwfq.user", "erin")  # the in-process API still comes first
        assert jvm.dev.uwfq.identity.Identity.of(p, 1, "anon").user() == "erin"
    finally:
        rules.install(before)


def test_weights_parse_leniently_and_file_reloads(jvm, tmp_path):
    w = jvm.dev.uwfq.policy.Weights
    parsed = w.parse("alice:2, bob:x, :3, carol:-1, dave:0.5", "test")
    assert dict(parsed) == {"alice": 2.0, "dave": 0.5}
    f = tmp_path / "weights.properties"
    f.write_text("alice=3\n")
    weights = w.of("alice:2", str(f))
    assert weights.reload()
    assert weights.weightOf("alice") == 3.0 and weights.weightOf("nobody") == 1.0
    f.write_text("alice=5\nbob=2\n")
    assert weights.reload()
    assert weights.weightOf("alice") == 5.0 and weights.weightOf("bob") == 2.0


def test_state_stays_bounded_over_100000_jobs():
    from uwfq_lab.jars import java_classpath

    out = subprocess.run(["java", "-cp", java_classpath(), "dev.uwfq.bench.Soak", "uwfq", "100000", "1000"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    fields = dict(line.split("\t", 1) for line in out.strip().splitlines())
    end = json.loads(fields["status"])
    # While running: what lingers is ~10 s of jobs (one per 7 ms) plus the active users.
    assert int(fields["max_tracked"]) < 3000
    assert end["jobs"] == [] and end["users"] == []
    assert end["task_sets"] == 0 and end["lingering_jobs"] == 0
