"""The status document's fields for the UI, metrics and notebook: waiting time, share of the
cores now, queued jobs, lag behind the fluid share, recently ended jobs with their real cost,
FIFO fallback rounds, settings and the partitioner's decisions (real local[2] Spark)."""

from __future__ import annotations

import json

import pytest
from sched_util import Jobs, run_job, wait_until

import spark_uwfq as uwfq
from spark_uwfq.session import local_session


@pytest.fixture(scope="module")
def spark():
    session = local_session("local[2]", app_name="uwfq-status-tests", job_linger_ms=60_000,
                            metrics_max_users=7,
                            conf={"spark.uwfq.testing.enabled": "true"})  # the failure hook
    yield session
    session.stop()


def doc(spark) -> dict:
    return json.loads(str(spark.sparkContext._jvm.dev.uwfq.Uwfq.status()))


def test_a_waiting_job_shows_its_wait_and_the_running_users_share(spark):
    jobs = Jobs()
    ids: dict[str, str] = {}
    jobs.start(run_job, spark, "alice", [2.0, 2.0], key="long", hint_ms=4000, ids=ids, name="a")
    wait_until(lambda: any(u["user"] == "alice" and u["running_tasks"] == 2
                           for u in doc(spark)["users"]), what="alice on both cores")
    jobs.start(run_job, spark, "bob", [0.1], key="short", hint_ms=100, ids=ids, name="b")
    wait_until(lambda: "b" in ids and any(j["job"] == ids["b"] for j in doc(spark)["jobs"]),
               what="bob's job queued")
    d = doc(spark)
    users = {u["user"]: u for u in d["users"]}
    bob_job = next(j for j in d["jobs"] if j["job"] == ids["b"])
    alice_job = next(j for j in d["jobs"] if j["job"] == ids["a"])
    assert bob_job["started_ms"] is None and bob_job["waiting_ms"] >= 0
    assert alice_job["started_ms"] is not None
    assert alice_job["waiting_ms"] == alice_job["started_ms"] - alice_job["submitted_ms"]
    assert users["alice"]["share_now"] == pytest.approx(1.0)
    assert users["bob"]["queued_jobs"] == 1 and users["alice"]["queued_jobs"] == 0
    # No task ended yet: nobody is ahead of the fluid share, and a user with jobs has a lag.
    assert users["bob"]["lag_ms"] is not None and users["bob"]["lag_ms"] >= 0
    jobs.join()
    ended = {j["job"]: j for j in doc(spark)["ended_jobs"]}
    assert {ids["a"], ids["b"]} <= set(ended)
    assert ended[ids["a"]]["used_ms"] >= 3000  # two tasks of two seconds, the real cost
    assert ended[ids["b"]]["waiting_ms"] > 0  # it waited for a core
    assert ended[ids["a"]]["ended_ms"] >= ended[ids["a"]]["submitted_ms"]


def test_fallback_rounds_settings_and_partitioner_are_in_the_document(spark):
    before = doc(spark)
    facade = spark.sparkContext._jvm.dev.uwfq.Uwfq
    facade.injectPolicyFailure(spark.sparkContext._jsc.sc(), True)
    try:
        run_job(spark, "carol", [0.05, 0.05])
    finally:
        facade.injectPolicyFailure(spark.sparkContext._jsc.sc(), False)
    after = doc(spark)
    assert after["fallback_rounds"] > before["fallback_rounds"]
    assert after["policy_failures"] > before["policy_failures"]
    # Every setting as in effect: the ones this session set, and the defaults of the others.
    assert after["settings"]["spark.uwfq.jobLingerMs"] == "60000"
    assert after["settings"]["spark.uwfq.metrics.maxUsers"] == "7"
    assert {"spark.uwfq.policy", "spark.uwfq.graceMs", "spark.uwfq.partitioner.maxTasks",
            "spark.uwfq.observe.intervalMs"} <= set(after["settings"])
    assert after["partitioner"]["decisions_total"] >= 0
    assert isinstance(after["partitioner"]["decisions"], list)
    # Python's view is unchanged and carries the new fields in raw.
    s = uwfq.status(spark)
    assert "fallback_rounds" in s.raw and list(s.users.columns)[:2] == ["user", "weight"]


def test_notebook_view_highlights_the_callers_jobs_and_says_why_they_wait(spark):
    jobs = Jobs()
    ids: dict[str, str] = {}
    jobs.start(run_job, spark, "alice", [4.0, 4.0], key="big", hint_ms=8000, ids=ids, name="a")
    wait_until(lambda: any(u["user"] == "alice" and u["running_tasks"] == 2
                           for u in doc(spark)["users"]), what="alice on both cores")
    jobs.start(run_job, spark, "carol", [0.1], key="small", hint_ms=1000, ids=ids, name="c")
    jobs.start(run_job, spark, "bob", [0.1], key="large", hint_ms=20_000, ids=ids, name="b")
    wait_until(lambda: {"b", "c"} <= set(ids)
               and {ids["b"], ids["c"]} <= {j["job"] for j in doc(spark)["jobs"]},
               what="bob's and carol's jobs queued")
    with uwfq.user(spark, "bob"):
        s = uwfq.status(spark)
    jobs.join()
    assert s.viewer == "bob"
    by_id = {j["job"]: j for j in s.raw["jobs"]}
    # Launch order by virtual deadline: carol's small job, alice's, then bob's large one.
    assert by_id[ids["c"]]["launch_rank"] < by_id[ids["a"]]["launch_rank"] < by_id[ids["b"]]["launch_rank"]
    assert by_id[ids["b"]]["why_waiting"].startswith(
        "behind 1 job of user carol, 1 job of user alice with earlier virtual deadlines; "
        "bob's share 33% of 2 cores")
    html = s._repr_html_()
    rows = [r.split("</tr>")[0] for r in html.split("<tr")[1:]]
    bob_rows = [r for r in rows if ids["b"] in r]
    others = [r for r in rows if ids["a"] in r or ids["c"] in r]
    assert bob_rows and all("background-color" in r for r in bob_rows)
    assert others and not any("background-color:#" in r for r in others)
    assert "your share 33% of 2 cores" in html and "you are <b>bob</b>" in html
    assert f"job {ids['b']} (large) waits: behind 1 job of user carol" in html
