"""The scheduler where Spark users look, checked as a person would: a real session with the UI
on a loopback port and jobs for three users; the UWFQ tab's HTML and its JSON over HTTP, the
per-user gauges scraped from /metrics/prometheus, the tab in headless Chromium, and the tab in a
History Server started on the session's event log once it has stopped."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from sched_util import Jobs, run_job, wait_until
from ui_util import HistoryServer, free_port, get, get_json

import spark_uwfq
from spark_uwfq.session import local_session

USERS = ("alice", "bob", "carol")


PROMETHEUS = {
    "spark.metrics.conf.*.sink.prometheusServlet.class":
        "org.apache.spark.metrics.sink.PrometheusServlet",
    "spark.metrics.conf.*.sink.prometheusServlet.path": "/metrics/prometheus",
    "spark.ui.prometheus.enabled": "true",
}


@pytest.fixture(scope="module")
def event_log(tmp_path_factory):
    return tmp_path_factory.mktemp("ui") / "event-log"


@pytest.fixture(scope="module")
def ui(event_log):
    port = free_port()
    event_log.mkdir()
    session = local_session("local[2]", app_name="uwfq-ui-tests", job_linger_ms=60_000, conf={
        "spark.ui.enabled": "true", "spark.ui.port": str(port), "spark.port.maxRetries": "0",
        "spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{event_log}",
        # Small, so that the bound on per-user series shows with three users.
        "spark.uwfq.metrics.maxUsers": "2", "spark.uwfq.observe.intervalMs": "200", **PROMETHEUS})
    yield session, f"http://127.0.0.1:{port}"
    session.stop()


def three_users_busy(spark, base, task_s: float = 1.5):
    """Each user runs one job; returns {user: logical job id} once all three are queued."""
    jobs = Jobs()
    ids: dict[str, str] = {}
    for user in USERS:
        jobs.start(run_job, spark, user, [task_s, task_s], key=f"{user}-etl",
                   hint_ms=2000 * task_s, ids=ids, name=user)
    wait_until(lambda: {u["user"] for u in get_json(f"{base}/uwfq/json")["users"]} >= set(USERS),
               what="three users in the tab's JSON")
    return jobs, ids


def test_tab_and_json_show_three_users_and_their_jobs(ui):
    spark, base = ui
    jobs, ids = three_users_busy(spark, base)
    try:
        doc = get_json(f"{base}/uwfq/json")
        html = get(f"{base}/uwfq/")
    finally:
        jobs.join()
    assert {j["job"] for j in doc["jobs"]} == {ids[u] for u in USERS}
    assert {j["user"] for j in doc["jobs"]} == set(USERS)
    assert sum(u["running_tasks"] for u in doc["users"]) <= 2  # local[2]
    # The tab is a Spark UI page (its header lists the tab) with sortable tables.
    assert re.search(r'href="[^"]*/uwfq/"[^>]*>\s*UWFQ', html)
    users_table = html.split('id="uwfq-users"')[1].split("</table>")[0]
    jobs_table = html.split('id="uwfq-jobs"')[1].split("</table>")[0]
    for user in USERS:
        assert f"<td>{user}</td>" in users_table
        assert ids[user] in jobs_table and f"<td>{user}-etl</td>" in jobs_table
    assert 'class="table table-bordered table-sm table-striped sortable"' in html
    # At most two of three jobs run on two cores: the third says why it waits.
    waiting = [j for j in doc["jobs"] if j["running_tasks"] == 0]
    for j in waiting:
        assert j["why_waiting"] and j["why_waiting"] in html.replace("&#39;", "'")


def test_json_url_is_the_status_document(ui):
    spark, base = ui
    doc = get_json(f"{base}/uwfq/json")
    assert doc["policy"] == "uwfq" and doc["cores"] == 2
    assert {"users", "jobs", "ended_jobs", "partitioner", "fallback_rounds"} <= set(doc)


GAUGE = re.compile(r'^metrics_\S+?_driver_plugin_dev_uwfq_UwfqPlugin_(users_(?P<user>\w+?)|otherUsers)'
                   r'_(?P<gauge>share|shareNow|runningTasks|queuedJobs|lagMs)_Value\{type="gauges"\} '
                   r'(?P<value>\S+)$')


def user_gauges(base) -> dict[str, dict[str, float]]:
    """{user or "<others>": {gauge: value}} from the Prometheus text."""
    out: dict[str, dict[str, float]] = {}
    for line in get(f"{base}/metrics/prometheus").splitlines():
        m = GAUGE.match(line)
        if m:
            out.setdefault(m["user"] or "<others>", {})[m["gauge"]] = float(m["value"])
    return out


def counter(base, name) -> float:
    text = get(f"{base}/metrics/prometheus")
    m = re.search(rf'_UwfqPlugin_{name}_Count{{type="counters"}} (\S+)', text)
    assert m, f"counter {name} not in /metrics/prometheus"
    return float(m[1])


def test_prometheus_has_bounded_per_user_gauges(ui):
    spark, base = ui
    placed_before = counter(base, "jobsPlaced")
    jobs, ids = three_users_busy(spark, base, task_s=3.0)
    gauges: dict[str, dict[str, float]] = {}

    def all_three_active() -> bool:
        # One scrape (one poll's snapshot): every series has a job running or queued.
        scraped = user_gauges(base)
        if len(scraped) == 3 and all(g["runningTasks"] + g["queuedJobs"] > 0
                                     for g in scraped.values()):
            gauges.update(scraped)
            return True
        return False

    try:
        wait_until(all_three_active, what="per-user gauges of three active users")
    finally:
        jobs.join()
    named = set(gauges) - {"<others>"}
    # maxUsers=2: the two most active users have series, the third is summed into otherUsers.
    assert len(named) == 2 and named < set(USERS)
    assert sum(g["runningTasks"] for g in gauges.values()) == 2
    assert sum(g["queuedJobs"] for g in gauges.values()) >= 1
    for g in gauges.values():
        assert set(g) == {"share", "shareNow", "runningTasks", "queuedJobs", "lagMs"}
    # Three users with equal weight are entitled to a third of the cores each.
    for user in named:
        assert gauges[user]["share"] == pytest.approx(1 / 3, abs=1e-6)
    assert gauges["<others>"]["share"] == pytest.approx(1 / 3, abs=1e-6)
    wait_until(lambda: counter(base, "jobsPlaced") >= placed_before + 3, what="jobs placed")
    wait_until(lambda: counter(base, "jobsEnded") >= placed_before + 3, what="jobs ended")


def test_chromium_loads_the_tab_while_jobs_run(ui, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    spark, base = ui
    jobs, ids = three_users_busy(spark, base)
    shot = tmp_path / "uwfq-tab.png"
    try:
        browser = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                   "--hide-scrollbars", "--window-size=1400,1200", f"{base}/uwfq/"]
        dom = subprocess.run(browser[:-1] + ["--dump-dom", browser[-1]], capture_output=True,
                             text=True, timeout=120).stdout
        subprocess.run(browser[:-1] + [f"--screenshot={shot}", browser[-1]],
                       capture_output=True, timeout=120)
    finally:
        jobs.join()
    # The browser ran the page's scripts: sorttable marks sortable headers it has set up.
    assert "sorttable_sorted" in dom or "sorttable" in dom
    for user in USERS:
        assert f"<td>{user}</td>" in dom and ids[user] in dom
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("UWFQ_SCREENSHOT"):
        shutil.copy(shot, os.environ["UWFQ_SCREENSHOT"])


def test_history_server_shows_the_tab_from_the_event_log(ui, event_log):
    spark, base = ui
    app_id = spark.sparkContext.applicationId
    live = get_json(f"{base}/uwfq/json")
    ended_live = {j["job"] for j in live["ended_jobs"]}
    spark.stop()  # the event log is complete once the application ends
    server = HistoryServer(str(event_log), spark_uwfq.jar_path())
    try:
        html = server.app_page(app_id, "uwfq/")
        assert 'id="uwfq-ended"' in html, "no UWFQ tab in the History Server"
        doc = get_json(f"{server.url}/history/{app_id}/uwfq/json")
    finally:
        server.stop()
    assert doc["history"] is True and doc["policy"] == "uwfq"
    assert {u["user"] for u in doc["users"]} >= set(USERS)
    ended = {j["job"]: j for j in doc["ended_jobs"]}
    assert ended_live <= set(ended)
    assert all(j["used_ms"] > 0 and j["estimate_ms"] > 0 for j in ended.values())
    assert "Read-only" in html
    for job in ended_live:
        assert job in html.split('id="uwfq-ended"')[1]
