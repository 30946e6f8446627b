"""What a workload is once loaded: users, their workload entries, and the logical jobs.

Plain frozen records; derived values are properties. Sizes are the paper's oracle estimates
(total executor time of one Spark job, in core-milliseconds), which is all that matters for
scheduling (reference README, workloads/).
"""

from __future__ import annotations

from dataclasses import dataclass, field

JOB_CLASSES: dict[str, float] = {
    "Loop20": 1_523.0,
    "Loop100": 26_926.0,
    "Loop500": 57_115.0,
    "Loop1000": 131_115.0,
}
"""Oracle core-ms of one Spark job of each fixed class, as the paper's estimator used them."""

CUSTOM_CLASS = "LoopCustom"
"""Trace jobs: the size comes from ``params.task_runtime_s`` (core-seconds of this job)."""

FREQUENCIES = ("SEQ", "PARA")


@dataclass(frozen=True)
class Entry:
    """One workload entry of a user: ``total_iterations`` jobs of one class."""

    user: str
    name: str  # workloadName; trace entries sharing it form one job group
    job_class: str  # Loop20 | Loop100 | Loop500 | Loop1000 | LoopCustom
    total_iterations: int
    start_time_ms: float
    poisson_rate_per_min: float  # 0 = every job at the start time
    frequency: str  # SEQ | PARA
    params: dict = field(default_factory=dict, compare=False)
    index: int = 0  # position in the user's list; entries may share a name

    @property
    def core_ms(self) -> float:
        """Oracle size of one Spark job of this entry, in core-milliseconds."""
        if self.job_class == CUSTOM_CLASS:
            return float(self.params["task_runtime_s"]) * 1000.0
        return JOB_CLASSES[self.job_class]

    @property
    def fixed_tasks(self) -> int | None:
        """A job that cannot be cut (``params.tasks``): its task count, whatever the partitioner."""
        tasks = self.params.get("tasks")
        return int(tasks) if tasks else None

    @property
    def class_label(self) -> str:
        """The job-type prefix of the paper's result columns (``loop100``)."""
        return self.job_class.lower()

    @property
    def sequential(self) -> bool:
        return self.frequency == "SEQ"


@dataclass(frozen=True)
class User:
    name: str
    entries: tuple[Entry, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class LogicalJob:
    """One job group: every Spark job of (user, workload name, iteration)."""

    user: str
    workload: str
    iteration: int

    @property
    def key(self) -> str:
        return f"{self.user}/{self.workload}/{self.iteration}"


@dataclass(frozen=True)
class Workload:
    name: str  # scenario name, e.g. 2_power_2_small_users
    source: str  # the file it was read from
    users: tuple[User, ...]

    @property
    def entries(self) -> list[Entry]:
        return [e for u in self.users for e in u.entries]

    @property
    def weights(self) -> dict[str, float]:
        return {u.name: u.weight for u in self.users}

    @property
    def total_core_ms(self) -> float:
        return sum(e.core_ms * e.total_iterations for e in self.entries)

    def logical_jobs(self) -> list[LogicalJob]:
        """Every job group, once, in file order."""
        seen: dict[LogicalJob, None] = {}
        for e in self.entries:
            for i in range(e.total_iterations):
                seen.setdefault(LogicalJob(e.user, e.name, i))
        return list(seen)
