"""A loaded workload as the Java simulator's input: logical jobs, Spark jobs, stages of tasks.

One batch per (workload, partitioner, estimates, seed), written once and simulated under every
policy in one JVM run. The format is documented in dev.uwfq.sim.Workload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from uwfq_lab.arrivals import gaps_s, open_loop_arrivals_s
from uwfq_lab.estimates import Estimates, parse_estimates
from uwfq_lab.model import LogicalJob, Workload
from uwfq_lab.simulate.fluid import FluidJob
from uwfq_lab.simulate.shapes import ShapeModel

@dataclass
class BatchJob:
    """One logical job of the batch, with what the metrics need to name it."""

    logical: LogicalJob
    job_class: str  # the paper's label, e.g. "loop100"
    key: str  # uwfq.jobKey: a recurring kind of job (the class; trace groups are one-offs)
    weight: float
    arrival_ms: float = 0.0
    after: int = -1
    gap_ms: float = 0.0
    hint_ms: int = -1
    spark_jobs: list[list[list[float]]] = field(default_factory=list)  # job -> stage -> tasks

    @property
    def work_ms(self) -> float:
        return sum(sum(stage) for job in self.spark_jobs for stage in job)


@dataclass
class Batch:
    workload: Workload
    jobs: list[BatchJob]

    @property
    def total_work_ms(self) -> float:
        return sum(j.work_ms for j in self.jobs)

    def fluid_jobs(self) -> list[FluidJob]:
        return [FluidJob(user=j.logical.user, work_ms=j.work_ms, arrival_ms=j.arrival_ms,
                         after=j.after, gap_ms=j.gap_ms, weight=j.weight) for j in self.jobs]

    def write(self, path: Path) -> None:
        lines = []
        for i, j in enumerate(self.jobs):
            lines.append("\t".join(["L", str(i), _clean(j.logical.user), _clean(j.key),
                                    repr(j.weight), repr(j.arrival_ms), str(j.after),
                                    repr(j.gap_ms), str(j.hint_ms)]))
            for stages in j.spark_jobs:
                lines.append("J")
                lines.extend("S\t" + "\t".join(f"{d:.6f}" for d in tasks) for tasks in stages)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_batch(workload: Workload, *, partitioner: bool,
                estimates: str | Estimates = "oracle",
                seed: int = 0, unpartitioned_splits: int = 32, size_factor: float = 1.0,
                time_scale: float = 1.0, split_weights: list[float] | None = None) -> Batch:
    """Every logical job of ``workload`` with its arrival rule, its tasks and its size hint.

    Arrivals use the replay's own rules (uwfq_lab.arrivals): PARA entries arrive open-loop;
    job i of a SEQ entry is chained after job i-1 with its gap. Spark jobs of one job group
    (trace entries sharing a workload name) are submitted together at the group's arrival.
    """
    chosen = parse_estimates(estimates)
    shapes = ShapeModel.create(partitioner, seed, unpartitioned_splits, split_weights)
    noise = np.random.default_rng([seed, 1])
    weights = workload.weights
    index: dict[LogicalJob, int] = {}
    jobs: list[BatchJob] = []
    for entry in workload.entries:
        arrivals_ms = [t * 1000.0 for t in open_loop_arrivals_s(entry, seed, time_scale)]
        gaps_ms = [g * 1000.0 for g in gaps_s(entry, seed, time_scale)]
        for i in range(entry.total_iterations):
            logical = LogicalJob(entry.user, entry.name, i)
            if logical not in index:
                index[logical] = len(jobs)
                # The replay's key: the class, so that history can learn per class.
                job = BatchJob(logical=logical, job_class=entry.class_label, key=entry.class_label,
                               weight=weights.get(entry.user, 1.0))
                if entry.sequential and i > 0:
                    job.after = index[LogicalJob(entry.user, entry.name, i - 1)]
                    job.gap_ms = gaps_ms[i - 1]
                else:
                    job.arrival_ms = arrivals_ms[i]
                jobs.append(job)
            job = jobs[index[logical]]
            if job.after < 0:
                job.arrival_ms = min(job.arrival_ms, arrivals_ms[i])
            job.spark_jobs.append(shapes.stages(entry.job_class, entry.core_ms * size_factor,
                                                entry.fixed_tasks))
    for job in jobs:
        if chosen.mode == "oracle":
            job.hint_ms = max(1, round(job.work_ms))
        elif chosen.mode == "noisy":
            job.hint_ms = max(1, round(job.work_ms * noise.lognormal(0.0, chosen.sigma)))
    return Batch(workload=workload, jobs=jobs)


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ")
