"""Replay one workload under several policies, each in its own SparkSession (the policy is a
startup conf), one after another in this process, and turn the runs into results rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from uwfq_lab.metrics import (PARTITIONED_SUFFIX, REFERENCE_POLICY, SCHEDULER_NAMES,
                                average_rows, summarize)
from uwfq_lab.model import Workload
from uwfq_lab.replay import PAPER_CORES, Replayer, RunResult, Scaling
from uwfq_lab.spark_jobs import session_conf

PAPER_TARGET_TASK_MS = 500


@dataclass
class PolicyRuns:
    policy: str
    runs: list[RunResult]
    overhead_core_ms: float
    isolated_s: dict[float, float] = field(default_factory=dict)  # job core-ms -> seconds


@dataclass
class Comparison:
    workload: Workload
    scaling: Scaling
    seed: int
    results: list[PolicyRuns] = field(default_factory=list)

    def policy(self, name: str) -> PolicyRuns | None:
        return next((r for r in self.results if r.policy == name), None)

    def reference_for(self, policy: str) -> PolicyRuns | None:
        """The UJF run DVR is measured against: with the same partitioning if there is one."""
        partitioned = policy.endswith(PARTITIONED_SUFFIX)
        same = REFERENCE_POLICY + (PARTITIONED_SUFFIX if partitioned else "")
        other = REFERENCE_POLICY + ("" if partitioned else PARTITIONED_SUFFIX)
        return self.policy(same) or self.policy(other)

    def rows(self) -> list[dict]:
        """One row per (policy, run), columns as the paper's results files, then ours."""
        rows = []
        for result in self.results:
            reference = self.reference_for(result.policy)
            for run in result.runs:
                ref = None
                if reference is not None and result is not reference:
                    ref = reference.runs[min(run.run, len(reference.runs) - 1)].outcomes
                rows.append(summarize(
                    run.outcomes, config=self.workload.name,
                    scheduler=SCHEDULER_NAMES.get(result.policy, result.policy.upper()),
                    iteration=run.run + 1, total_time_s=run.total_time_s, reference=ref,
                    extra={"cpu time": run.cpu_time_s,
                           "task scheduler delay": run.scheduler_delay_s,
                           "policy": result.policy,
                           "scale": self.scaling.scale, "cores": self.scaling.cores,
                           "paper cores": PAPER_CORES,
                           "job size factor": self.scaling.size_factor, "seed": self.seed,
                           "burn clock": "cpu" if self.scaling.cpu_time else "wall",
                           "overhead core-ms": result.overhead_core_ms,
                           "failed jobs": len(run.failures)}))
        return rows

    def average_rows(self) -> list[dict]:
        """One row per policy: the mean over its runs, as the paper's ``_avg`` files."""
        rows = self.rows()
        out = []
        for result in self.results:
            mine = [r for r in rows if r["policy"] == result.policy]
            avg = average_rows(mine)
            avg["Iteration"] = 1.0
            avg["runs"] = len(mine)
            out.append(avg)
        return out


def session_options(policy: str, scaling: Scaling) -> dict:
    """configure() options for a policy name; ``X-p`` is policy X with the runtime partitioner.

    The paper's partitioner aimed at 0.5 s tasks for jobs of its size on 32 cores; jobs here are
    ``size_factor`` of that on ``cores``, so 0.5 s x scale keeps the paper's tasks per core.
    """
    if not policy.endswith(PARTITIONED_SUFFIX):
        return {"policy": policy}
    return {"policy": policy[: -len(PARTITIONED_SUFFIX)], "partitioner": True,
            "partitioner_target_task_ms": max(1, round(PAPER_TARGET_TASK_MS * scaling.scale))}


def compare_policies(workload: Workload, policies: list[str], scaling: Scaling, *,
                     runs: int = 1, seed: int = 0, log: Callable[[str], None] = print,
                     progress_every_s: float = 10.0, estimates: str = "oracle",
                     ui: bool = False) -> Comparison:
    from spark_uwfq.session import local_session

    comparison = Comparison(workload=workload, scaling=scaling, seed=seed)
    for policy in policies:
        log(f"{policy}: starting a local[{scaling.cores}] SparkSession")
        conf = {**session_conf(), **({"spark.ui.enabled": "true"} if ui else {})}
        spark = local_session(f"local[{scaling.cores}]", app_name=f"uwfq-replay-{policy}",
                              conf=conf, **session_options(policy, scaling))
        if ui:
            log(f"{policy}: Spark UI at {spark.sparkContext.uiWebUrl} "
                f"(scheduler: {spark.sparkContext.uiWebUrl}/uwfq/)")
        try:
            replayer = Replayer(spark, workload, scaling, seed=seed, log=log,
                                progress_every_s=progress_every_s, estimates=estimates)
            # Every policy's jobs must burn the same: keep the least overhead any session
            # measured (a loaded machine inflates a measurement, never deflates it).
            measured = replayer.calibrate()
            overhead = min(measured, min((r.overhead_core_ms for r in comparison.results),
                                         default=measured))
            replayer.jobs.overhead_core_ms = overhead
            isolated = replayer.measure_isolated()
            log(f"{policy}: job overhead {overhead:.0f} core-ms; alone: "
                + ", ".join(f"{ms:.3g} core-ms in {s:.2f} s" for ms, s in isolated.points))
            results = []
            for i in range(runs):
                result = replayer.run(policy, i, isolated)
                for failure in result.failures[:5]:
                    log(f"{policy}: FAILED {failure}")
                log(f"{policy} run {i + 1}: {len(result.outcomes)} jobs in "
                    f"{result.total_time_s:.1f} s")
                results.append(result)
            comparison.results.append(PolicyRuns(policy, results, overhead,
                                                 dict(isolated.points)))
        finally:
            spark.stop()
    return comparison
