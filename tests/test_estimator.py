"""The learned cost estimator (dev.uwfq.estimate.HistoryEstimator) and the scheduler's refinement
of its estimates while a job runs (dev.uwfq.policy.JobBook), through the plugin's own classes.
Every expected value is computed by hand from the rules in the classes' comments.
"""

from __future__ import annotations

import math

import pytest
from test_policy_core import Driver

LINGER_MS = 11_000  # past PolicyConfig.defaults' 10 s linger, after which a job's cost is history


@pytest.fixture(scope="module")
def jvm(spark):
    return spark.sparkContext._jvm


def estimator(jvm, default_ms=1000.0, entries=100):
    return jvm.dev.uwfq.estimate.HistoryEstimator(default_ms, entries)


def complete(e, user, key, ms, input_bytes, tasks):
    """A job ends (the recent level learns at once) and later becomes history (its key's)."""
    e.onJobEnded(ms, tasks)
    e.onJobCompleted(user, key, ms, input_bytes, tasks)


def test_hint_first_then_history_scaled_by_input_bytes(jvm):
    e = estimator(jvm, entries=3)
    assert e.estimate("alice", "k", 300, -1, 4).source() == "hint"
    assert e.estimate("alice", "k", -1, -1, 4).source() == "default"
    complete(e, "alice", "k", 4000.0, 1000, 4)
    got = e.estimate("alice", "k", -1, -1, 4)
    assert (got.coreMs(), got.source()) == (pytest.approx(4000.0), "user-key")
    got = e.estimate("alice", "k", -1, 2000, 4)
    assert (got.coreMs(), got.source()) == (pytest.approx(8000.0), "user-key-bytes")
    complete(e, "bob", "k2", 1.0, -1, 1)
    assert e.size() == 3  # (bob, k2), k2 and bob: the least recently used entries went


def test_hierarchical_fallback(jvm):
    e = estimator(jvm)
    complete(e, "alice", "etl", 4000.0, -1, 10)
    cases = {
        ("alice", "etl", 5): (4000.0, "user-key"),  # the key's own cost, whatever the tasks
        ("bob", "etl", 5): (4000.0, "key"),  # another user's job of the same kind
        ("alice", "adhoc", 20): (400.0 * 20, "user-tasks"),  # alice's 400 ms per task
        ("carol", "other", 3): (400.0 * 3, "recent-tasks"),  # nobody's: recent jobs per task
        ("carol", "other", -1): (4000.0, "recent"),  # ... or per job with no task count
    }
    for (user, key, tasks), (ms, source) in cases.items():
        got = e.estimate(user, key, -1, -1, tasks)
        assert (got.coreMs(), got.source()) == (pytest.approx(ms), source), (user, key)


def test_geometric_mean_and_a_dispersed_key_falls_back_to_the_user(jvm):
    e = estimator(jvm)
    complete(e, "alice", "etl", 1000.0, -1, 10)
    complete(e, "alice", "etl", 2000.0, -1, 10)
    # exp(0.7 ln 1000 + 0.3 ln 2000) = 1000 * 2^0.3; log variance 0.7 * 0.3 * ln(2)^2 = 0.10.
    assert e.estimate("alice", "etl", -1, -1, 10).coreMs() == pytest.approx(1000 * 2 ** 0.3)
    complete(e, "bob", "trace", 1000.0, -1, 10)
    complete(e, "bob", "trace", 16000.0, -1, 10)
    # log variance 0.7 * 0.3 * ln(16)^2 = 1.61 > 0.25: "trace" names no kind of job, so bob's
    # own history per task is scaled: exp(0.7 ln 100 + 0.3 ln 1600) = 100 * 16^0.3 per task.
    got = e.estimate("bob", "trace", -1, -1, 5)
    assert got.source() == "user-tasks"
    assert got.coreMs() == pytest.approx(5 * 100 * 16 ** 0.3)


def test_cold_start_is_the_recent_jobs_lower_quintile(jvm):
    e = estimator(jvm, default_ms=1234.0)
    got = e.estimate("nobody", "new", -1, -1, 8)
    assert (got.coreMs(), got.source()) == (1234.0, "default")  # nothing has ended yet
    for i, ms in enumerate([5000.0, 1000.0, 3000.0, 2000.0, 4000.0]):
        complete(e, f"u{i}", f"k{i}", ms, -1, 10)
    # Sorted per task: 100, 200, 300, 400, 500; index floor(0.2 * 5) = 1 -> 200 ms per task.
    got = e.estimate("nobody", "new", -1, -1, 8)
    assert (got.coreMs(), got.source()) == (pytest.approx(1600.0), "recent-tasks")
    assert e.estimate("nobody", "new", -1, -1, -1).coreMs() == pytest.approx(2000.0)


def _job(d, name):
    return next(j for j in d.status()["jobs"] if j["job"] == name)


def test_running_tasks_grow_a_learned_estimate_but_not_a_hint(jvm):
    d = Driver(jvm, "uwfq")
    learned = d.submit("alice", "learned", tasks=4)
    hinted = d.submit("bob", "hinted", tasks=4, hint=1000)
    assert _job(d, "learned")["estimate_ms"] == 1000  # the default: nothing completed yet
    d.order(running={learned: 2, hinted: 2})  # tasks seen running from t = 0
    d.now = 3000
    d.order(running={learned: 2, hinted: 2})
    # 2 tasks have run 3,000 ms each: each of the 4 not yet ended is assumed to cost 3,000.
    assert _job(d, "learned")["estimate_ms"] == pytest.approx(4 * 3000)
    assert _job(d, "hinted")["estimate_ms"] == 1000  # the caller's hint is left alone
    d.now = 3999
    d.task_ended(learned, 4000)  # at 4,000: 1 ended (4,000 ms), 3 left, 1 still running
    d.order(running={learned: 1, hinted: 2})
    # The ended task's mean (4,000) beats the running task's elapsed (4,000 - 0): 4,000 + 3 * 4,000.
    assert _job(d, "learned")["estimate_ms"] == pytest.approx(16000)


def test_a_job_groups_estimate_per_task_grows_with_its_spark_jobs(jvm):
    d = Driver(jvm, "uwfq")
    first = d.submit("alice", "warmup", tasks=2, key="w")
    d.task_ended(first, 500)
    d.task_ended(first, 500)
    d.remove(first)
    d.policy.onLogicalJobEnded("warmup", d.now)
    d.now += LINGER_MS  # past its linger: the next submission files its cost as history
    # Bob is new and "g" unknown: the recent jobs' 500 ms per task, times the tasks seen so far.
    d.submit("bob", "group", tasks=3, key="g")
    assert _job(d, "group")["estimate_ms"] == pytest.approx(1500)
    assert _job(d, "group")["source"] == "recent-tasks"
    d.submit("bob", "group", tasks=5, key="g")  # the group's second Spark job
    assert _job(d, "group")["estimate_ms"] == pytest.approx(4000)


def _run(d, name, task_ms, tasks=2):
    s = d.submit("alice", name, tasks=tasks, key="daily")
    job = _job(d, name)
    for _ in range(tasks):
        d.task_ended(s, task_ms)
    d.remove(s)
    d.policy.onLogicalJobEnded(name, d.now)
    return job


def test_learned_estimate_converges_on_repeated_jobs(jvm):
    d = Driver(jvm, "uwfq")
    first = _run(d, "daily-0", 1000)
    assert (first["estimate_ms"], first["source"]) == (1000, "default")  # nothing known yet
    # At once: the run that just ended is lingering (a later action could still continue it),
    # so it is not history yet, but it is the estimate.
    second = _run(d, "daily-1", 1000)
    assert (second["estimate_ms"], second["source"]) == (pytest.approx(2000), "user-key-ended")
    for i in range(2, 12):
        d.now += LINGER_MS
        job = _run(d, f"daily-{i}", 1000)
        assert (job["estimate_ms"], job["source"]) == (pytest.approx(2000), "user-key")
    # A job that doubles: the log mean moves 30% of the way each run, 2000 * 2^(1 - 0.7^k).
    for k in range(1, 11):
        d.now += LINGER_MS
        job = _run(d, f"bigger-{k}", 2000)
        assert job["estimate_ms"] == pytest.approx(2000 * 2 ** (1 - 0.7 ** (k - 1)))
    d.now += LINGER_MS
    assert math.isclose(_run(d, "probe", 2000)["estimate_ms"], 4000, rel_tol=0.03)


def test_a_guess_far_off_loses_its_place_a_hint_keeps_it(jvm):
    for hint, small_first in ((-1, True), (1000, False)):
        d = Driver(jvm, "uwfq")
        big = d.submit("alice", "big", tasks=4, hint=hint)  # placed for 1,000 core-ms
        d.order(running={big: 2})
        d.now = 3000
        d.order(running={big: 2})  # learned: 4 tasks * 3,000 = 12,000 > 3 * 1,000
        small = d.submit("alice", "small", tasks=1, hint=2000)
        order = d.order(running={big: 2})
        # Alice's per-job virtual time is still 0: small's local deadline is 2,000; big's is
        # 12,000 once re-placed (a guess 12x off), or stays 1,000 (a hint, trusted).
        assert (order.index(small) < order.index(big)) == small_first, hint


def test_a_burst_of_guesses_is_re_placed_together_and_keeps_its_order(jvm):
    d = Driver(jvm, "uwfq")
    first = d.submit("alice", "first", tasks=4, key="k")  # both placed for the 1,000 default,
    second = d.submit("alice", "second", tasks=4, key="k")  # at the same virtual time
    d.order(running={first: 2})
    d.now = 3000
    order = d.order(running={first: 2})  # first: 12,000, 12x its guess; second moves with it
    assert order.index(first) < order.index(second)
    assert _job(d, "second")["estimate_ms"] == pytest.approx(12000)


def test_cold_start_fits_cost_on_the_task_count(jvm):
    # A partitioner's floor of tasks makes cost grow faster than task count: 100 * tasks^1.5.
    e = estimator(jvm)
    for tasks in (4, 8, 16, 32, 64):
        complete(e, f"u{tasks}", f"k{tasks}", 100.0 * tasks ** 1.5, -1, tasks)
    # ln tasks spreads with variance 2 ln(2)^2 = 0.961 and covariance 1.5 * 0.961 with ln cost:
    # slope (1.441 + 0.1) / (0.961 + 0.1) = 1.4529; residuals 0.0471 * (ln tasks - mean), of
    # which the lower quintile is -0.0327; at 64 tasks: 51,200 * exp(-0.0471 ln 4 - 0.0327).
    got = e.estimate("nobody", "new", -1, -1, 64)
    assert (got.coreMs(), got.source()) == (pytest.approx(46420.3, rel=1e-4), "recent-tasks")
    # The rule per task (the lower quintile, 100 * 8^0.5 per task, times 64) said 18,102.
    assert got.coreMs() > 2.5 * 64 * 100 * 8 ** 0.5


def test_a_never_seen_job_follows_a_running_job_of_its_key_then_the_ended_one(jvm):
    d = Driver(jvm, "uwfq")
    first = d.submit("alice", "first", tasks=4, key="k")
    d.order(running={first: 2})
    d.now = 3000
    d.order(running={first: 2})  # 2 running 3,000 ms, 2 not started at 3,000: 12,000
    d.submit("bob", "second", tasks=4, key="k")
    assert (_job(d, "second")["estimate_ms"], _job(d, "second")["source"]) == (
        pytest.approx(12000), "key-live")
    d.now = 6000
    d.order(running={first: 2})  # first: 24,000, and second with it
    assert _job(d, "second")["estimate_ms"] == pytest.approx(24000)
    for _ in range(4):
        d.task_ended(first, 2000)
    d.remove(first)
    d.policy.onLogicalJobEnded("first", d.now)
    # first used 8,000 in all: the truth replaces the projection it followed.
    assert (_job(d, "second")["estimate_ms"], _job(d, "second")["source"]) == (
        pytest.approx(8000), "key-ended")
    d.submit("carol", "third", tasks=2, key="k")  # half the tasks: half the ended job's cost
    assert _job(d, "third")["estimate_ms"] == pytest.approx(4000)


def test_a_key_whose_jobs_vary_is_not_followed(jvm):
    d = Driver(jvm, "uwfq")
    for i, task_ms in enumerate((250, 4000)):  # 1,000 and 16,000 core-ms: log variance 1.61
        d.now += LINGER_MS
        _run(d, f"t{i}", task_ms, tasks=4)
    d.now += LINGER_MS
    running = d.submit("alice", "running", tasks=4, key="daily")
    d.order(running={running: 4})
    d.now += 3000
    d.order(running={running: 4})
    d.submit("bob", "new", tasks=4, key="daily")
    assert _job(d, "new")["source"] == "recent-tasks"


def test_running_tasks_count_only_for_themselves(jvm):
    d = Driver(jvm, "uwfq")
    s = d.submit("alice", "job", tasks=12)
    d.order(running={s: 10})  # 10 launched at 0
    d.now = 100
    for _ in range(8):
        d.task_ended(s, 100)  # 8 short ones end: 100 ms each
    d.order(running={s: 2})
    d.now = 1000
    d.order(running={s: 2})
    # 800 ended + the 2 stragglers' 2,000 so far + 2 not started at the 100 ms mean. Costing
    # all 4 tasks left at the stragglers' 1,000 ms would say 4,800.
    assert _job(d, "job")["estimate_ms"] == pytest.approx(3000)


def test_the_recent_level_learns_when_a_job_ends_not_after_its_linger(jvm):
    d = Driver(jvm, "uwfq")
    first = d.submit("alice", "first", tasks=4, key="a")
    for _ in range(4):
        d.task_ended(first, 100)
    d.remove(first)
    d.policy.onLogicalJobEnded("first", d.now)
    d.now += 1000  # well inside its 10 s linger: not history yet, but a typical job already
    d.submit("bob", "other", tasks=8, key="b")
    assert (_job(d, "other")["estimate_ms"], _job(d, "other")["source"]) == (
        pytest.approx(800), "recent-tasks")
