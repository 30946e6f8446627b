"""The UWFQ tab as a person sees it: a real session with the UI on a loopback port, jobs for
three users, the tab's HTML and its JSON fetched over HTTP."""

from __future__ import annotations

import re

import pytest
from sched_util import Jobs, run_job, wait_until
from ui_util import free_port, get, get_json

from spark_uwfq.session import local_session

USERS = ("alice", "bob", "carol")


@pytest.fixture(scope="module")
def ui():
    port = free_port()
    session = local_session("local[2]", app_name="uwfq-ui-tests", job_linger_ms=60_000, conf={
        "spark.ui.enabled": "true", "spark.ui.port": str(port), "spark.port.maxRetries": "0"})
    yield session, f"http://127.0.0.1:{port}"
    session.stop()


def three_users_busy(spark, base):
    """Each user runs one job; returns {user: logical job id} once all three are queued."""
    jobs = Jobs()
    ids: dict[str, str] = {}
    for user in USERS:
        jobs.start(run_job, spark, user, [1.5, 1.5], key=f"{user}-etl", hint_ms=3000, ids=ids,
                   name=user)
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
