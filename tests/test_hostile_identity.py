"""Hostile identities and hints through a live session: user names and job keys with the
separators the plugin's own formats use, unicode, 10 KB lengths; cost hints of 0, -1, NaN, 1e18
and text. Every job must run, the policy must never fail (no FIFO fallback round), and the status
document must stay readable, with finite estimates.
"""

from __future__ import annotations

import math

import pytest

import spark_uwfq as uwfq
from spark_uwfq.session import local_session

NAMES = ["a,b:c=d", "tab\there", "new\nline", "quote\"s\\", "ünïcødé ☃ 用户", "x" * 10_240, " ", ""]
HINTS = ["0", "-1", "NaN", "1e18", "Infinity", "-Infinity", "soon", "9" * 40]


@pytest.fixture(scope="module")
def spark():
    session = local_session("local[2]", app_name="uwfq-hostile-identity", job_linger_ms=500,
                            grace_ms=500)
    yield session
    session.stop()


def _run(spark, user, key, hint):
    sc = spark.sparkContext
    props = {"uwfq.user": user, "uwfq.jobKey": key, "uwfq.costHintMs": hint,
             "uwfq.jobId": f"{key}-{hint}"[:20_000]}
    for k, v in props.items():
        sc.setLocalProperty(k, v)
    try:
        return sc.parallelize(range(4), 2).count()
    finally:
        for k in props:
            sc.setLocalProperty(k, None)


def test_hostile_names_keys_and_hints_never_fail_the_policy(spark):
    before = uwfq.status(spark).policy_failures
    for i, name in enumerate(NAMES):
        assert _run(spark, name, NAMES[-1 - i], HINTS[i % len(HINTS)]) == 4
    for hint in HINTS:
        assert _run(spark, "hinter", "hinted", hint) == 4
    s = uwfq.status(spark)
    assert s.policy_failures == before
    for est in s.raw["jobs"] + s.raw.get("ended_jobs", []):
        assert est["estimate_ms"] is None or math.isfinite(est["estimate_ms"]), est
