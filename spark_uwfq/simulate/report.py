"""A simulation's results as the paper's rows (spark_uwfq.metrics) plus the fluid-ideal lag."""

from __future__ import annotations

import csv
from pathlib import Path

from spark_uwfq.metrics import REFERENCE_POLICY, SCHEDULER_NAMES, mean, summarize
from spark_uwfq.simulate.runner import SimResult

LAG_MEAN = "GPS lag mean"
LAG_WORST = "GPS lag worst"
SUMMARY_COLUMNS = ("average response time", "average response time (worst10%)",
                   "average response time (worst80)", "Total DVR", LAG_MEAN, LAG_WORST)


def scheduler_name(policy: str, partitioner: bool) -> str:
    """The paper's name for a policy run (``CUSTOM_USERCLUSTERFAIR_PARTITIONER``)."""
    name = SCHEDULER_NAMES.get(policy, policy.upper())
    return f"{name}_PARTITIONER" if partitioner else name


def rows(result: SimResult, *, partitioner: bool) -> dict[str, dict[str, object]]:
    """One paper-style row per simulated policy, with DVR against the simulated UJF run."""
    reference = (result.outcomes(REFERENCE_POLICY) if REFERENCE_POLICY in result.runs else None)
    out = {}
    for policy, run in result.runs.items():
        lags = result.ideal_lag_s(policy)
        out[policy] = summarize(
            result.outcomes(policy), config=result.batch.workload.name,
            scheduler=scheduler_name(policy, partitioner),
            total_time_s=run.stats["makespan_ms"] / 1000.0,
            reference=None if policy == REFERENCE_POLICY else reference,
            extra={LAG_MEAN: mean(lags), LAG_WORST: max(lags),
                   "simulated cores": result.cores,
                   "idle core while runnable": run.stats["idle_while_runnable"],
                   "simulation wall ms": run.stats["wall_ms"]})
    return out


def write_csv(table: dict[str, dict[str, object]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(k for row in table.values() for k in row))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["", *columns])
        writer.writeheader()
        for i, row in enumerate(table.values()):
            writer.writerow({"": i, **row})


def format_table(table: dict[str, dict[str, object]]) -> str:
    header = ["policy", "resp s", "worst10% s", "fastest80% s", "DVR", "GPS lag mean s",
              "GPS lag worst s"]
    lines = [header]
    for policy, row in table.items():
        lines.append([policy, *(_fmt(row.get(c)) for c in SUMMARY_COLUMNS)])
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in lines)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
