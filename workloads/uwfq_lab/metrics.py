"""Response time, proportional slowdown and deadline ratios of a replayed or simulated run.

One module for the live replay and the simulator, with the paper's definitions
(reference README, "Metric definitions") and the column names of its results files, so a row
of ours can be set beside a row of theirs.

- Response time of a logical job (job group) = end of its last Spark job - start of its first.
- Proportional slowdown = response time / the same job's response time alone on the cluster.
- "(worst10%)" = mean of the slowest 10% (at least one job); "(worst 1%)" likewise.
  "(worst80)" = mean of the fastest 80%, "(worst95)" = mean of the 80-95% band,
  "(worst100)" = mean of the slowest 5% (read off the paper's files: the three bands,
  weighted by their job counts, give back their overall mean exactly when band edges are
  truncated, int(n * 0.8) and int(n * 0.95)).
- Deadline ratio against the UJF run: r_j = (finish_j - finish_j[UJF]) / response_j[UJF],
  finishes measured from each run's start. DVR = mean of the positive r_j (later than under
  UJF), violation count = how many; DSR = mean of the r_j <= 0, slack count = how many.
  Each job counts once (the paper's tool counted each twice in its totals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

PAPER_CLASSES = ("loop20", "loop100", "loop1000")
"""Job types whose DVR columns the paper's files always carry, present or not."""

LEAD_COLUMNS = ("Config", "Scheduler", "Iteration", "total time", "cpu time",
                "write to cpu ratio", "task scheduler delay", "peak JVM", "total shuffle read",
                "total shuffle write")

SCHEDULER_NAMES = {
    "fair": "DEFAULT_FAIR",
    "ujf": "CUSTOM_FAIR",
    "cfq": "CUSTOM_CLUSTERFAIR",
    "uwfq": "CUSTOM_USERCLUSTERFAIR",
    "fifo": "TRUE_FIFO",
    "off": "SPARK_DEFAULT",
}
"""Our policy names -> the paper's scheduler names (its results files' ``Scheduler`` column)."""

PARTITIONED_SUFFIX = "-p"
"""``uwfq-p``: a policy run with the runtime partitioner (the paper's ``_PARTITIONER`` rows)."""
SCHEDULER_NAMES.update({p + PARTITIONED_SUFFIX: name + "_PARTITIONER"
                        for p, name in list(SCHEDULER_NAMES.items())})

REFERENCE_POLICY = "ujf"


@dataclass(frozen=True)
class JobOutcome:
    """One logical job of one run; times in seconds from the run's start."""

    user: str
    workload: str
    iteration: int
    job_class: str  # the paper's label, e.g. "loop100"
    start_s: float
    finish_s: float
    isolated_s: float | None = None  # its response time alone on the cluster

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.user, self.workload, self.iteration)

    @property
    def response_s(self) -> float:
        return self.finish_s - self.start_s

    @property
    def slowdown(self) -> float | None:
        if not self.isolated_s or self.isolated_s <= 0:
            return None
        return self.response_s / self.isolated_s


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def worst_mean(values: Iterable[float], fraction: float) -> float | None:
    """Mean of the largest ``fraction`` of the values (at least one)."""
    ordered = sorted(values, reverse=True)
    if not ordered:
        return None
    return mean(ordered[:max(1, int(len(ordered) * fraction))])


def band_mean(values: Iterable[float], low: float, high: float) -> float | None:
    """Mean of the values ranked between the ``low`` and ``high`` fractions, fastest first."""
    ordered = sorted(values)
    n = len(ordered)
    return mean(ordered[int(n * low):int(n * high)])


def deadline_ratios(run: Sequence[JobOutcome], reference: Sequence[JobOutcome]
                    ) -> dict[tuple[str, str, int], float]:
    """r_j for every job present in both runs (positive = finished later than under UJF)."""
    ref = {o.key: o for o in reference}
    ratios = {}
    for outcome in run:
        base = ref.get(outcome.key)
        if base is not None and base.response_s > 0:
            ratios[outcome.key] = (outcome.finish_s - base.finish_s) / base.response_s
    return ratios


def user_prefix(user: str) -> str:
    # The paper's files write "user1_big_ average ..." but "user_1 average ...".
    return f"{user} " if user[-1:].isdigit() else f"{user}_ "


def _ratio_columns(prefix: str, ratios: list[float]) -> dict[str, float | None]:
    late = [r for r in ratios if r > 0]
    early = [r for r in ratios if r <= 0]
    return {f"{prefix}DVR": mean(late), f"{prefix}violation count": len(late),
            f"{prefix}DSR": mean(early), f"{prefix}slack count": len(early)}


def summarize(run: Sequence[JobOutcome], *, config: str, scheduler: str, iteration: int = 1,
              total_time_s: float | None = None,
              reference: Sequence[JobOutcome] | None = None,
              extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """One results row, columns named and ordered as in the paper's ``*_run_data_avg.csv``.

    ``reference`` is the UJF run of the same scenario (None for the UJF run itself, whose
    deadline columns stay blank, as in the paper's files).
    """
    row: dict[str, object] = dict.fromkeys(LEAD_COLUMNS)
    row.update({"Config": config, "Scheduler": scheduler, "Iteration": iteration,
                "total time": total_time_s})
    responses = [o.response_s for o in run]
    slowdowns = [o.slowdown for o in run if o.slowdown is not None]
    row.update({
        "average response time": mean(responses),
        "average response time (worst10%)": worst_mean(responses, 0.10),
        "average response time (worst80)": band_mean(responses, 0.0, 0.80),
        "average response time (worst95)": band_mean(responses, 0.80, 0.95),
        "average response time (worst100)": band_mean(responses, 0.95, 1.0),
        "average proportional slowdown": mean(slowdowns),
        "average proportional slowdown (worst10%)": worst_mean(slowdowns, 0.10),
    })
    classes = _in_order(o.job_class for o in run)
    for job_class in classes:
        jobs = [o for o in run if o.job_class == job_class]
        r = [o.response_s for o in jobs]
        s = [o.slowdown for o in jobs if o.slowdown is not None]
        p = f"{job_class}_ "
        row.update({
            f"{p}average response time": mean(r),
            f"{p}average response time (worst 10%)": worst_mean(r, 0.10),
            f"{p}average proportional slowdown": mean(s),
            f"{p}average proportional slowdown (worst 10%)": worst_mean(s, 0.10),
            f"{p}average response time (worst 1%)": worst_mean(r, 0.01),
            f"{p}average proportional slowdown (worst 1%)": worst_mean(s, 0.01),
        })
    users = _in_order(o.user for o in run)
    for user in users:
        jobs = [o for o in run if o.user == user]
        r = [o.response_s for o in jobs]
        s = [o.slowdown for o in jobs if o.slowdown is not None]
        p = user_prefix(user)
        row.update({
            f"{p}average response time": mean(r),
            f"{p}average proportional slowdown (worst 10%)": worst_mean(s, 0.10),
            f"{p}average response time (worst 10%)": worst_mean(r, 0.10),
            f"{p}average proportional slowdown": mean(s),
        })
    ratios = deadline_ratios(run, reference) if reference is not None else {}
    by_job = {o.key: o for o in run}
    for job_class in _in_order([*PAPER_CLASSES, *classes]):
        picked = [r for k, r in ratios.items() if by_job[k].job_class == job_class]
        row.update(_blank_dvr(_ratio_columns(f"{job_class}_ ", picked), reference))
    user_dvr, user_dsr = [], []
    for user in users:
        cols = _ratio_columns(user_prefix(user),
                              [r for k, r in ratios.items() if k[0] == user])
        row.update(_blank_dvr(cols, reference))
        if cols[f"{user_prefix(user)}DVR"] is not None:
            user_dvr.append(cols[f"{user_prefix(user)}DVR"])
        if cols[f"{user_prefix(user)}DSR"] is not None:
            user_dsr.append(cols[f"{user_prefix(user)}DSR"])
    total = _ratio_columns("Total ", list(ratios.values()))
    row.update({
        # best/worst as in the paper's files: by magnitude (the DSR closest to 0 is "best").
        "best user DVR": min(user_dvr, default=None),
        "worst user DVR ": max(user_dvr, default=None),
        "best user DSR": max(user_dsr, default=None),
        "worst user DSR": min(user_dsr, default=None),
        "Total DVR": total["Total DVR"],
        "Total violations": total["Total violation count"] if reference is not None else None,
        "Total DSR": total["Total DSR"],
        "Total gains": total["Total slack count"] if reference is not None else None,
    })
    row.update(extra or {})
    return row


def _blank_dvr(cols: dict[str, object], reference) -> dict[str, object]:
    return cols if reference is not None else dict.fromkeys(cols)


def _in_order(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def average_rows(rows: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Mean of each numeric column over runs (blank where every run is blank), as the paper's
    ``_avg`` files; text columns are taken from the first row."""
    out: dict[str, object] = {}
    for key in _in_order(k for row in rows for k in row):
        values = [row.get(key) for row in rows]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers and len(numbers) == len([v for v in values if v is not None]):
            out[key] = sum(numbers) / len(numbers)
        else:
            out[key] = next((v for v in values if v is not None), None)
    return out
