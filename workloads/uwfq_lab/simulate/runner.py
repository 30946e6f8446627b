"""Run the Java simulator (dev.uwfq.sim.Main) on a workload under several policies.

One batch file in, one JVM run, one result file per policy out: no call per event crosses the
process boundary. The policies are the plugin's own classes (dev.uwfq.policy) in the same jar.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


from uwfq_lab.estimates import Estimates
from uwfq_lab.jars import java_classpath
from uwfq_lab.metrics import JobOutcome
from uwfq_lab.simulate.batch import Batch, build_batch
from uwfq_lab.simulate.fluid import gps_schedule
from uwfq_lab.model import Workload

JAVA_MAIN = "dev.uwfq.sim.Main"


class SimulationError(RuntimeError):
    """The simulator JVM failed; the message carries its output."""


@dataclass
class Launch:
    time_ms: float
    core: int
    stage_id: int
    logical: int
    duration_ms: float


@dataclass
class KillRecord:
    """An attempt killed at ``time_ms`` after running since ``launch_ms`` (trim: over a cap)."""

    time_ms: float
    core: int
    stage_id: int
    logical: int
    launch_ms: float
    trim: bool


@dataclass
class StageRecord:
    logical: int
    job_id: int
    stage_id: int
    tasks: int
    submit_ms: float
    end_ms: float


@dataclass
class PolicyRun:
    """One policy's simulated run of the batch."""

    policy: str
    start_ms: list[float]
    end_ms: list[float]
    stats: dict[str, float]
    stages: list[StageRecord] = field(default_factory=list)
    launches: list[Launch] = field(default_factory=list)
    kills: list[KillRecord] = field(default_factory=list)


@dataclass
class SimResult:
    batch: Batch
    cores: int
    runs: dict[str, PolicyRun]
    isolated_ms: list[float]
    ideal_start_ms: list[float]
    ideal_end_ms: list[float]
    wall_s: float

    def outcomes(self, policy: str) -> list[JobOutcome]:
        """The policy's run as the metrics module's records (seconds)."""
        run = self.runs[policy]
        return [
            JobOutcome(user=j.logical.user, workload=j.logical.workload,
                       iteration=j.logical.iteration, job_class=j.job_class,
                       start_s=run.start_ms[i] / 1000.0, finish_s=run.end_ms[i] / 1000.0,
                       isolated_s=self.isolated_ms[i] / 1000.0 if self.isolated_ms else None)
            for i, j in enumerate(self.batch.jobs)
        ]

    def ideal_lag_s(self, policy: str) -> list[float]:
        """How much longer each job's response is than under the fluid ideal (GPS), seconds."""
        run = self.runs[policy]
        return [((run.end_ms[i] - run.start_ms[i]) -
                 (self.ideal_end_ms[i] - self.ideal_start_ms[i])) / 1000.0
                for i in range(len(self.batch.jobs))]


def java_command(*args: str) -> list[str]:
    return ["java", "-Xss16m", "-cp", java_classpath(), JAVA_MAIN, *args]


def run_batch(batch: Batch, policies: list[str], *, cores: int = 32, cores_per_executor: int = 4,
              launches: bool = False, isolated: bool = True, timeout_s: float = 600,
              extra_args: tuple[str, ...] = ()) -> SimResult:
    """``extra_args``: more dev.uwfq.sim.Main arguments (``--preemption``, ``--max-share``)."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="uwfq-sim-") as tmp:
        tmp_path = Path(tmp)
        batch.write(tmp_path / "batch.tsv")
        args = ["--in", str(tmp_path / "batch.tsv"), "--out", str(tmp_path / "out"),
                "--policies", ",".join(policies), "--cores", str(cores),
                "--cores-per-executor", str(cores_per_executor)]
        if launches:
            args.append("--launches")
        if isolated:
            args.append("--isolated")
        args.extend(extra_args)
        proc = subprocess.run(java_command(*args), capture_output=True, text=True,
                              timeout=timeout_s)
        if proc.returncode != 0:
            raise SimulationError(
                f"the simulator failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
            )
        runs = {p: _read_run(p, tmp_path / "out" / f"{p}.tsv", len(batch.jobs)) for p in policies}
        iso = _read_isolated(tmp_path / "out" / "isolated.tsv", len(batch.jobs)) if isolated else []
    ideal = gps_schedule(batch.fluid_jobs(), cores)
    return SimResult(batch=batch, cores=cores, runs=runs, isolated_ms=iso,
                     ideal_start_ms=ideal.start_ms, ideal_end_ms=ideal.finish_ms,
                     wall_s=time.monotonic() - t0)


def simulate(workload: Workload, policies: list[str], *, cores: int = 32,
             cores_per_executor: int = 4, partitioner: bool = False,
             estimates: str | Estimates = "oracle",
             seed: int = 0, launches: bool = False, isolated: bool = True) -> SimResult:
    batch = build_batch(workload, partitioner=partitioner, estimates=estimates, seed=seed)
    return run_batch(batch, policies, cores=cores, cores_per_executor=cores_per_executor,
                     launches=launches, isolated=isolated)


def _read_run(policy: str, path: Path, n: int) -> PolicyRun:
    run = PolicyRun(policy=policy, start_ms=[math.nan] * n, end_ms=[math.nan] * n, stats={})
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        if f[0] == "STAT":
            run.stats[f[1]] = float(f[2])
        elif f[0] == "L":
            run.start_ms[int(f[1])] = float(f[2])
            run.end_ms[int(f[1])] = float(f[3])
        elif f[0] == "S":
            run.stages.append(StageRecord(int(f[1]), int(f[2]), int(f[3]), int(f[4]),
                                          float(f[5]), float(f[6])))
        elif f[0] == "T":
            run.launches.append(Launch(float(f[1]), int(f[2]), int(f[3]), int(f[4]), float(f[5])))
        elif f[0] == "K":
            run.kills.append(KillRecord(float(f[1]), int(f[2]), int(f[3]), int(f[4]),
                                        float(f[5]), f[6] == "1"))
    return run


def _read_isolated(path: Path, n: int) -> list[float]:
    iso = [math.nan] * n
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        iso[int(f[1])] = float(f[2])
    return iso
