"""A simulation's results in the replay's own shapes, so both write the same files.

The simulated runs become a ``uwfq_lab.compare.Comparison`` (rows with the paper's column
names from uwfq_lab.metrics, CSVs and JSON from uwfq_lab.report, plots from
uwfq_lab.plots), with the simulator's own columns added: the lag behind the fluid ideal, and
the checks it counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from uwfq_lab.compare import Comparison, PolicyRuns
from uwfq_lab.metrics import mean
from uwfq_lab.replay import RunResult, Scaling
from uwfq_lab.simulate.runner import SimResult

LAG_MEAN = "GPS lag mean"
LAG_WORST = "GPS lag worst"
SUMMARY_COLUMNS = ("average response time", "average response time (worst10%)",
                   "average response time (worst80)", "Total DVR", LAG_MEAN, LAG_WORST)


@dataclass
class SimComparison(Comparison):
    """A Comparison whose runs were simulated; rows carry the GPS lag and the sim's counters."""

    sim: SimResult | None = None
    partitioner: bool = False
    estimates: str = "oracle"

    def rows(self) -> list[dict]:
        out = []
        for row in super().rows():
            policy = row["policy"]
            lags = self.sim.ideal_lag_s(policy)
            stats = self.sim.runs[policy].stats
            if self.partitioner:
                row["Scheduler"] = f"{row['Scheduler']}_PARTITIONER"
            row.update({LAG_MEAN: mean(lags), LAG_WORST: max(lags),
                        "simulated": True, "partitioner": self.partitioner,
                        "estimates": self.estimates,
                        "idle core while runnable": stats["idle_while_runnable"],
                        "policy failures": stats["policy_failures"],
                        "simulation wall ms": stats["wall_ms"]})
            out.append(row)
        return out


def to_comparison(result: SimResult, *, seed: int, partitioner: bool,
                  estimates: object = "oracle") -> SimComparison:
    """The simulated runs as a Comparison; DVR columns need ``ujf`` among the runs."""
    comparison = SimComparison(workload=result.batch.workload,
                               scaling=Scaling(scale=1.0, cores=result.cores), seed=seed,
                               sim=result, partitioner=partitioner, estimates=str(estimates))
    for policy, run in result.runs.items():
        outcomes = result.outcomes(policy)
        busy_s = run.stats["busy_core_ms"] / 1000.0
        comparison.results.append(PolicyRuns(
            policy=policy, overhead_core_ms=0.0,
            runs=[RunResult(policy=policy, run=0, outcomes=outcomes,
                            total_time_s=run.stats["makespan_ms"] / 1000.0,
                            cpu_time_s=busy_s)]))
    return comparison


def policy_rows(result: SimResult, *, seed: int, partitioner: bool) -> dict[str, dict]:
    """One paper-style row per simulated policy."""
    rows = to_comparison(result, seed=seed, partitioner=partitioner).rows()
    return {row["policy"]: row for row in rows}


def format_summary(rows: dict[str, dict]) -> str:
    header = ["policy", "resp s", "worst10% s", "fastest80% s", "DVR", "GPS lag mean s",
              "GPS lag worst s"]
    lines = [header] + [[policy, *(_fmt(row.get(c)) for c in SUMMARY_COLUMNS)]
                        for policy, row in rows.items()]
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in lines)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
