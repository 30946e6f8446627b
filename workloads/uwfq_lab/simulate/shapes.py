"""How a paper job becomes stages of tasks with durations (the simulator's job-shape model).

Sizes are the paper's oracle sizes in core-milliseconds (uwfq_lab.model.Entry.core_ms).
Every paper job reads the same skewed parquet file, runs a CPU-bound UDF over it, aggregates
and takes a few rows, so each Spark job is modelled as two stages:

1. a scan+UDF stage carrying 99% of the work, then
2. a one-task result stage carrying 1% (submitted when stage 1 ends, as Spark does).

Stage 1's task count is where the partitioner shows:

- **With the partitioner** (the paper's oracle, aiming at ~0.5 s tasks): Loop20 -> 16 tasks,
  Loop100 -> 40, Loop1000 -> 222, trace jobs round(4 + 1.83 * runtime_s); Loop500 has no
  published count and gets the trace formula (109). Task times are nearly equal (lognormal
  jitter, sigma 0.1, seeded), as splits cut to a target size are.
- **Without it**: Spark's file-split rule, min(maxPartitionBytes=800mb, max(openCost,
  totalBytes / defaultParallelism)), packs the input into about defaultParallelism splits
  whatever the job's cost, so every job gets ``unpartitioned_splits`` tasks (32 at paper
  scale) of skewed size. The input is partitioned by location, so the split sizes are drawn
  once per workload (lognormal, sigma 0.5) and shared by every job: the same file, the same skew.
  Sigma 0.5 is the skew at which the partitioner's simulated gain matches the paper's measured
  one (how it was chosen: docs/simulator-calibration.md).

Durations are rescaled so that each job's tasks add up to its size exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PARTITIONED_TASKS = {"Loop20": 16, "Loop100": 40, "Loop1000": 222}
"""The paper's oracle task counts with the partitioner."""

RESULT_STAGE_SHARE = 0.01
PARTITIONED_JITTER_SIGMA = 0.1
SPLIT_SKEW_SIGMA = 0.5


def trace_task_count(runtime_s: float) -> int:
    """The paper's partitioner for trace jobs: about 4 + 1.83 * runtime_s tasks."""
    return max(1, round(4 + 1.83 * runtime_s))


def partitioned_task_count(class_name: str, size_ms: float) -> int:
    short = class_name.rsplit(".", 1)[-1]
    return PARTITIONED_TASKS.get(short) or trace_task_count(size_ms / 1000.0)


@dataclass(frozen=True)
class ShapeModel:
    """Turns (class, size) into stages; one per workload run, so the split skew is shared."""

    partitioner: bool
    split_weights: np.ndarray
    """Relative sizes of the input splits without the partitioner (sum 1)."""
    rng: np.random.Generator

    @classmethod
    def create(cls, partitioner: bool, seed: int, unpartitioned_splits: int = 32,
               split_weights: list[float] | None = None) -> "ShapeModel":
        if unpartitioned_splits <= 0:
            raise ValueError(f"unpartitioned_splits must be positive, got {unpartitioned_splits}")
        rng = np.random.default_rng(seed)
        if split_weights is None:
            weights = rng.lognormal(0.0, SPLIT_SKEW_SIGMA, unpartitioned_splits)
        else:
            weights = np.asarray(split_weights, dtype=float)
            if weights.size == 0 or (weights <= 0).any():
                raise ValueError("split_weights must be positive numbers")
        return cls(partitioner=partitioner, split_weights=weights / weights.sum(), rng=rng)

    def stages(self, class_name: str, size_ms: float,
               fixed_tasks: int | None = None) -> list[list[float]]:
        """Task durations (ms) of each stage of one Spark job of ``size_ms`` core-ms.

        ``fixed_tasks``: a job that cannot be cut (few long tasks, e.g. a UDF over few
        partitions): that many tasks, with or without the partitioner, as skewed as
        unpartitioned splits."""
        scan_ms = size_ms * (1.0 - RESULT_STAGE_SHARE)
        if fixed_tasks:  # input pieces of uneven size, as unpartitioned splits are
            weights = self.rng.lognormal(0.0, SPLIT_SKEW_SIGMA, fixed_tasks)
            weights /= weights.sum()
        elif self.partitioner:
            n = partitioned_task_count(class_name, size_ms)
            weights = self.rng.lognormal(0.0, PARTITIONED_JITTER_SIGMA, n)
            weights /= weights.sum()
        else:
            weights = self.split_weights
        scan = (weights * scan_ms).tolist()
        return [scan, [size_ms - sum(scan)]]
