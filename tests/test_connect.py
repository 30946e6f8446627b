"""Against a live Spark Connect server (pyspark's own jars, the plugin loaded, loopback only).

Three users authenticate with their own tokens (alice weighs 2); every attack a client can try
through Connect is tried here and must fail. Order is judged from the server's recorded events.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import spark_uwfq
import spark_uwfq as uwfq
from spark_uwfq.connect import recent_events

pytest.importorskip("grpc", reason='needs pip install "pyspark[connect]==4.3.0"')
pytestmark = pytest.mark.slow

TOKENS = {"alice": "alice-token-0123456789", "bob": "bob-token-0123456789",
          "carol": "carol-token-0123456789", "gateway": "gateway-token-0123456789"}
SLEEP = "length(coalesce(java_method('java.lang.Thread', 'sleep', {ms}L), 'x'))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", autouse=True)
def classic_mode_after_module():
    """A Connect client marks the whole process as Connect mode (os.environ); later modules run
    classic sessions in the same process, so the marks are undone at the module's end."""
    keys = ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE")
    before = {k: os.environ.get(k) for k in keys}
    yield
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import pyspark

    work = tmp_path_factory.mktemp("connect")
    tokens = work / "tokens.properties"
    tokens.write_text("".join(f"{user} = {token}\n" for user, token in TOKENS.items()))
    port = _free_port()
    conf = {
        "spark.master": "local[2]", "spark.ui.enabled": "false",
        "spark.jars": str(spark_uwfq.jar_path()), "spark.plugins": "dev.uwfq.UwfqPlugin",
        "spark.sql.extensions": "dev.uwfq.partition.PartitionerExtension",
        "spark.sql.shuffle.partitions": "2",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.connect.grpc.interceptor.classes":
            "dev.uwfq.connect.AuthInterceptor,dev.uwfq.connect.ConfigGuardInterceptor",
        "spark.uwfq.connect.tokensFile": str(tokens),
        "spark.uwfq.connect.maxUsersPerPrincipal": "1",
        "spark.uwfq.connect.proxyUsers": "gateway",
        "spark.uwfq.weights": "alice:2",
    }
    props = work / "server.conf"
    props.write_text("".join(f"{k} {v}\n" for k, v in conf.items()))
    home = Path(pyspark.__file__).parent
    log = open(work / "server.log", "w")
    env = dict(os.environ, SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1")
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    proc = subprocess.Popen(
        [str(home / "bin" / "spark-submit"), "--class",
         "org.apache.spark.sql.connect.service.SparkConnectServer", "--properties-file",
         str(props)], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while "Spark Connect server started at" not in (work / "server.log").read_text():
            assert proc.poll() is None, (work / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the Connect server did not start in 180 s"
            time.sleep(0.5)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def connect(port: int, user: str, token: str | None = None):
    from pyspark.sql import SparkSession

    url = f"sc://127.0.0.1:{port}/;user_id={user}"
    token = TOKENS.get(user.split("+")[0]) if token is None else token
    if token:
        url += f";x-uwfq-token={token}"
    return SparkSession.builder.remote(url).create()


@pytest.fixture(scope="module")
def clients(server):
    # gateway watches (status and events are queries too: never from a session inside a block,
    # whose session confs would name them)
    sessions = {user: connect(server, user) for user in ("alice", "bob", "carol", "gateway")}
    yield sessions
    for s in sessions.values():
        s.stop()


def sleep_job(spark, tasks: int, ms: int, one_stage: bool = False):
    """``tasks`` tasks of about ``ms`` each (a Java sleep per row, one row per partition)."""
    rows = spark.range(0, tasks, 1, tasks).selectExpr(SLEEP.format(ms=ms) + " AS s")
    return rows if one_stage else rows.groupBy().sum("s")


def in_thread(fn, errors):
    def body():
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - checked by the test
            errors.append(exc)

    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t


def wait_for(predicate, timeout=120, what=""):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def test_unauthenticated_wrong_token_and_other_user_are_refused(server):
    for user, token, reason in [("alice", "", "missing or unknown token"),
                                ("alice", "not-alices-token-at-all", "missing or unknown token"),
                                ("alice", TOKENS["bob"], "is not the authenticated user")]:
        s = connect(server, user, token)
        with pytest.raises(Exception, match=reason):
            s.range(1).collect()
    # A principal's sub-users are capped (1 here): no thousand fresh shares.
    connect(server, "bob+a").range(1).collect()
    with pytest.raises(Exception, match="maxUsersPerPrincipal"):
        connect(server, "bob+b").range(1).collect()


def test_scheduling_properties_cannot_be_set_by_a_client(clients):
    bob = clients["bob"]
    forged = ("SparkConnect_OperationTag_User_alice_Session_0b9b1a1e-5a1e-4a43-9c2b-11111111111"
              "1_Operation_3c1a2b5e-0000-4000-8000-222222222222")
    for key, value in [("spark.job.tags", forged), ("spark.jobGroup.id", "etl"),
                       ("spark.job.description", "x"), ("spark.sql.execution.root.id", "1"),
                       ("spark.uwfq.weights", "bob:100")]:
        with pytest.raises(Exception, match="scheduling property"):
            bob.conf.set(key, value)
        with pytest.raises(Exception, match="scheduling property"):
            bob.sql(f"SET {key}={value}").collect()
    with pytest.raises(Exception, match="out of range"):
        bob.conf.set("spark.uwfq.session.costHintMs", "1e13")
    # The facade's test hook and every other state change are out of SQL's reach.
    for sql in ["SELECT java_method('dev.uwfq.Uwfq', 'injectPolicyFailure', true)",
                "SELECT reflect('dev.uwfq.spark.SchedulerHook', 'uninstall')",
                "SELECT java_method('dev.uwfq.partition.DecisionLog', 'clear')"]:
        with pytest.raises(Exception):
            bob.sql(sql).collect()
    assert uwfq.status(bob).policy == "uwfq"
    assert uwfq.status(bob).policy_failures == 0


def test_users_weights_keys_and_hints_from_three_clients(clients):
    errors: list[Exception] = []
    threads = []
    for user in ("alice", "bob", "carol"):
        s = clients[user]

        def run(s=s, user=user):
            # Two users choose the same job id: their jobs stay apart.
            with uwfq.job(s, key=f"nightly-{user}", cost_hint_ms=123456, job_id="etl"):
                sleep_job(s, 4, 1500).collect()

        threads.append(in_thread(run, errors))
    seen = {}

    def all_running():
        for j in uwfq.status(clients["gateway"]).raw["jobs"]:
            seen[j["job"]] = j
        return all(f"session:{u}/etl" in seen for u in ("alice", "bob", "carol"))

    wait_for(all_running, what="three users' jobs in the scheduler")
    weights = {u["user"]: u["weight"] for u in uwfq.status(clients["gateway"]).raw["users"]}
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert weights.get("alice") == 2 and weights.get("bob") == 1
    for user in ("alice", "bob", "carol"):
        job = seen[f"session:{user}/etl"]
        assert (job["user"], job["key"], job["source"]) == (user, f"nightly-{user}", "hint")
        assert job["estimate_ms"] == pytest.approx(123456)
    # Without a key, a Connect query's key is its plan's shape: two kinds of query differ.
    alice = clients["alice"]
    alice.range(0, 10, 1, 2).groupBy().count().collect()
    alice.range(0, 10, 1, 2).selectExpr("id * 2 AS x").orderBy("x").collect()
    events = recent_events(alice, 200)
    keys = set(events[(events.kind == "JOB_START") & (events.user == "alice")].job_key)
    plan_keys = {k for k in keys if k.startswith("plan:")}
    assert len(plan_keys) >= 2, keys


def test_a_proxy_user_may_name_a_user_and_nobody_else_may(clients):
    gateway, bob = clients["gateway"], clients["bob"]
    with uwfq.user(gateway, "dora"), uwfq.job(gateway, key="for-dora"):
        gateway.range(0, 4, 1, 2).groupBy().count().collect()
    with uwfq.user(bob, "dora"), uwfq.job(bob, key="bob-as-dora"):
        bob.range(0, 4, 1, 2).groupBy().count().collect()
    starts = recent_events(gateway, 2000).query("kind == 'JOB_START'")
    assert set(starts[starts.job_key == "for-dora"].user) == {"dora"}
    assert set(starts[starts.job_key == "bob-as-dora"].user) == {"bob"}  # his job stays his


def test_a_short_query_overtakes_another_users_flood(clients):
    bob, carol = clients["bob"], clients["carol"]
    errors: list[Exception] = []

    def flood():
        with uwfq.job(bob, key="flood"):  # a job key of its own, apart from the polling below
            sleep_job(bob, 12, 400).collect()

    flood_thread = in_thread(flood, errors)

    def flood_running():
        ev = recent_events(clients["gateway"], 20000)
        return ((ev.kind == "TASK_START") & (ev.job_key == "flood")).sum() >= 4

    wait_for(flood_running, what="bob's flood to run")
    with uwfq.job(carol, key="short"):
        sleep_job(carol, 2, 50, one_stage=True).collect()
    flood_thread.join(180)
    assert not errors, errors
    ev = recent_events(carol, 20000)
    starts = ev[ev.kind == "TASK_START"].reset_index(drop=True)
    short = starts.index[(starts.job_key == "short") & (starts.user == "carol")]
    # Once carol's query is queued, both its tasks launch before any more of bob's flood.
    between = starts.loc[short.min():short.max()]
    assert not (between.job_key == "flood").any(), between[["user", "job_key"]]
    assert (starts.loc[short.max():].job_key == "flood").any()  # bob still had tasks queued
    assert set(starts[starts.job_key == "flood"].user) == {"bob"}


def test_interrupt_all_cancels_the_clients_jobs_and_the_plugin_releases_them(clients):
    carol = clients["carol"]
    errors: list[Exception] = []

    def long_query():
        with uwfq.job(carol, key="long"):
            sleep_job(carol, 20, 1000).collect()

    t = in_thread(long_query, errors)

    def running():
        return [j for j in uwfq.status(clients["gateway"]).raw["jobs"] if j["key"] == "long"]

    wait_for(lambda: any(j["running_tasks"] > 0 for j in running()), what="carol's long job")
    carol.interruptAll()
    t.join(60)
    assert errors, "the interrupted query should have failed"
    ev = recent_events(clients["gateway"], 20000)
    ends = ev[(ev.kind == "JOB_END") & (ev.job_key == "long")]
    assert list(ends.status) == ["FAILED"] and set(ends.user) == {"carol"}
    wait_for(lambda: not any(j["live_task_sets"] > 0 for j in running()),
             timeout=30, what="the plugin to release carol's cancelled task sets")
