"""``uwfq.status(spark)``: the scheduler's users and logical jobs, from one py4j call."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from spark_uwfq.bridge import facade
from spark_uwfq.connect import facade_call, is_connect
from spark_uwfq.context import _spark_context
from spark_uwfq.properties import USER

USER_COLUMNS = ["user", "weight", "share", "virtual_start", "virtual_finish", "active_jobs",
                "running_tasks"]
JOB_COLUMNS = ["job", "user", "key", "estimate_ms", "source", "used_ms", "deadline",
               "live_task_sets", "running_tasks", "remaining_tasks", "input_bytes"]


@dataclass
class SchedulerStatus:
    """What the policy in the driver holds right now.

    ``users``: weight, share of the cores (C * w / sum of active weights), virtual start and
    finish (uwfq only), active logical jobs and running tasks. ``jobs``: active logical jobs
    with their cost estimate (core-ms) and its source, core-ms used so far, virtual deadline
    (uwfq only), live task sets, running and remaining tasks, and input bytes (what its SQL
    queries' file scans read; None when unknown, as for RDD jobs). ``raw``: the whole document.
    """

    policy: str | None
    virtual_time: float | None
    users: pd.DataFrame
    jobs: pd.DataFrame
    raw: dict[str, Any] = field(repr=False)
    viewer: str | None = None

    @property
    def policy_failures(self) -> int:
        """Rounds in which the policy failed and the scheduler fell back to FIFO."""
        return int(self.raw.get("policy_failures", 0))

    @property
    def preemption(self) -> dict[str, Any]:
        """Preemption settings, kills, trims (kills over a max share), core-ms lost in total and
        per user, and the newest decisions with their reasons."""
        return dict(self.raw.get("preemption", {}))

    @property
    def limits(self) -> dict[str, Any]:
        """Max and min shares in force, per user ("*": every user), with their cores now."""
        return dict(self.raw.get("limits", {}))

    def _repr_html_(self) -> str:
        """Jupyter's view: tables, the viewer's jobs highlighted, why each waiting job waits."""
        from spark_uwfq.status_html import render

        return render(self.raw, self.viewer)


def _viewer(spark: Any, raw: dict[str, Any]) -> str | None:
    """Who is asking: this thread's uwfq.user, else the user jobs without one are charged to."""
    try:
        name = _spark_context(spark).getLocalProperty(USER)
    except Exception:  # noqa: BLE001 - no classic context (e.g. Spark Connect): nobody in particular
        return None
    return name or raw.get("settings", {}).get("spark.uwfq.defaultUser", "default")


def status(spark: Any) -> SchedulerStatus:
    """The scheduler's state in the driver of ``spark`` (classic or Spark Connect session).

    In Jupyter it renders as tables (``_repr_html_``) with the calling user's jobs (this
    thread's ``uwfq.user``) highlighted and a line for each waiting job saying why it waits.
    """
    try:
        if is_connect(spark):
            text = facade_call(spark, "status")
        else:
            text = str(facade(spark).status())
    except Exception as exc:  # noqa: BLE001 - py4j raises several types for a missing class
        raise RuntimeError(
            "spark-uwfq is not loaded in this application: start the session through "
            f"spark_uwfq.configure() ({exc})"
        ) from None
    raw = json.loads(text)
    users = pd.DataFrame(raw.get("users", []), columns=USER_COLUMNS)
    jobs = pd.DataFrame(raw.get("jobs", []), columns=JOB_COLUMNS)
    return SchedulerStatus(raw.get("policy"), raw.get("virtual_time"), users, jobs, raw,
                           _viewer(spark, raw))
