"""Bounded-wait preemption and max shares on the long-tasks scenario: simulated, and on real Spark.

Scenario ``workloads/scenarios/long_tasks.json``: user "batch" runs jobs of 4 unsplittable tasks
of 30-180 s (skewed), enough to hold every core; three users submit small interactive jobs
(4 tasks of 0.5 s). Three runs per policy, side by side: without preemption, with it, and with a
max share of 50% per user. Reported: small and long jobs' mean response, core-time lost to
kills over busy core-time, kills, and the most tasks any user ran while another user had
runnable work (judged from launches and kills, or from recorded events on real Spark).

- simulated at 32 cores (``--cores``), both uwfq and ujf, the planner and limits being the
  plugin's own classes;
- real Spark (local[2]): the same batch with task times and arrivals x ``--real-scale`` and
  1 in 16 batch jobs (2 cores of 32); tasks sleep in the JVM (reflect Thread.sleep), so a kill
  takes effect at once and a task holds its core whatever the machine's load.

    python benchmarks/preemption.py [--cores 32] [--only sim|real] [--real-scale 0.2]
    python benchmarks/preemption.py --sensitivity   # uwfq over small users' load x wait

Prints a table and writes benchmarks/results/preemption.json (machine, commit) and
docs/preemption-*.png plots.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from uwfq_lab.loader import load_workload, parse_workload
from uwfq_lab.provenance import git_commit, machine_info
from uwfq_lab.simulate.batch import Batch, build_batch
from uwfq_lab.simulate.runner import run_batch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "preemption.json"
SCENARIO = "long_tasks"
WAIT_MS, FRACTION, CHECK_MS = 2000, 0.5, 1000


@dataclass
class Row:
    where: str
    policy: str
    mode: str  # none | preemption | maxShare 50%
    small_s: float
    long_s: float
    lost_share: float  # core-time lost to kills / busy core-time
    kills: int
    max_running_while_others_wait: int
    cores: int


def _means(batch: Batch, start: list[float], end: list[float]) -> tuple[float, float]:
    small = [end[i] - start[i] for i, j in enumerate(batch.jobs) if j.logical.user != "batch"]
    long_ = [end[i] - start[i] for i, j in enumerate(batch.jobs) if j.logical.user == "batch"]
    return statistics.mean(small) / 1000, statistics.mean(long_) / 1000


def max_running_while_others_wait(intervals, submitted) -> int:
    """intervals: (user, start, stop) a task held a core; submitted: (user, stage, t_submit,
    t_last_launch). The most tasks one user held while a stage of another user was submitted
    and still had a launch to come (checked at the user's launches and at the others'
    submissions, where the one count or the other set changes)."""
    worst = 0
    by_user: dict[str, list[tuple[float, float]]] = {}
    for user, a, b in intervals:
        by_user.setdefault(user, []).append((a, b))
    for user, spans in by_user.items():
        starts = np.array([a for a, _ in spans])
        stops = np.array([b for _, b in spans])
        others = [(t0, t1) for u, _, t0, t1 in submitted if u != user]
        for t in sorted(set(starts.tolist()) | {t0 for t0, _ in others}):
            if any(t0 <= t < t1 for t0, t1 in others):
                worst = max(worst, int(((starts <= t) & (stops > t)).sum()))
    return worst


def simulate(cores: int, workload=None, policies=("uwfq", "ujf"), wait_ms: int = WAIT_MS,
             check_ms: int = CHECK_MS, max_share: bool = True) -> list[Row]:
    batch = build_batch(workload or load_workload(SCENARIO), partitioner=True,
                        estimates="oracle", seed=0)
    modes = {"none": (), "preemption": ("--preemption", f"{wait_ms},{FRACTION},{check_ms}")}
    if max_share:
        modes["maxShare 50%"] = ("--max-share", "0.5")
    rows = []
    for policy in policies:
        for mode, extra in modes.items():
            run = run_batch(batch, [policy], cores=cores, isolated=False, launches=True,
                            extra_args=extra).runs[policy]
            killed_at = {(k.core, k.launch_ms): k.time_ms for k in run.kills}
            user_of = {i: j.logical.user for i, j in enumerate(batch.jobs)}
            intervals = [(user_of[t.logical], t.time_ms,
                          killed_at.get((t.core, t.time_ms), t.time_ms + t.duration_ms))
                         for t in run.launches]
            launches_by_stage: dict[int, float] = {}
            for t in run.launches:
                launches_by_stage[t.stage_id] = max(launches_by_stage.get(t.stage_id, 0), t.time_ms)
            submitted = [(user_of[s.logical], s.stage_id, s.submit_ms,
                          launches_by_stage.get(s.stage_id, s.submit_ms)) for s in run.stages]
            small, long_ = _means(batch, run.start_ms, run.end_ms)
            rows.append(Row("simulated", policy, mode, small, long_,
                            run.stats["lost_core_ms"] / run.stats["busy_core_ms"],
                            int(run.stats["kills"] + run.stats["trims"]),
                            max_running_while_others_wait(intervals, submitted), cores))
    return rows


# The sensitivity grid: (jobs per small user, arrivals per minute, wait ms, check ms).
SENSITIVITY = [(8, 1, 2000, 1000), (8, 1, 1000, 500), (8, 2, 2000, 1000), (8, 2, 1000, 500),
               (12, 2, 2000, 1000), (12, 2, 1000, 500)]


def _small_users_varied(jobs: int, per_minute: float):
    """The scenario with each small user's job count and arrival rate changed."""
    data = json.loads((ROOT / "workloads" / "scenarios" / f"{SCENARIO}.json").read_text())
    for user in data:
        if user["user"] != "batch":
            for w in user["workloads"]:
                w["totalIterations"], w["poissonRateInMinutes"] = jobs, per_minute
    return parse_workload(data, source=f"{SCENARIO} ({jobs} jobs, {per_minute}/min)",
                          name=SCENARIO)


def sensitivity(cores: int) -> list[dict]:
    """uwfq with and without preemption over the grid: how gain and loss move with the
    interactive load and the wait."""
    out = []
    for jobs, per_minute, wait_ms, check_ms in SENSITIVITY:
        none, pre = simulate(cores, _small_users_varied(jobs, per_minute), policies=("uwfq",),
                             wait_ms=wait_ms, check_ms=check_ms, max_share=False)
        out.append({"jobs_per_small_user": jobs, "arrivals_per_minute": per_minute,
                    "wait_ms": wait_ms, "check_ms": check_ms,
                    "small_ratio": pre.small_s / none.small_s, "lost_share": pre.lost_share,
                    "long_change": pre.long_s / none.long_s - 1})
    return out


def print_sensitivity(rows: list[dict]) -> None:
    print("| jobs per small user | arrivals per minute | wait, check (ms) | small response ratio "
          "| lost / busy | long jobs |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['jobs_per_small_user']} | {r['arrivals_per_minute']:g} | {r['wait_ms']}, "
              f"{r['check_ms']} | {r['small_ratio']:.2f} | {r['lost_share']:.1%} | "
              f"{r['long_change']:+.1%} |")


def _real_batch(scale: float) -> Batch:
    full = build_batch(load_workload(SCENARIO), partitioner=True, estimates="oracle", seed=0,
                       size_factor=scale, time_scale=scale)
    kept, batch_seen = [], 0
    for job in full.jobs:
        if job.logical.user == "batch":
            batch_seen += 1
            if batch_seen % 16 != 1:  # 2 cores of 32: 1 in 16 of the batch's jobs
                continue
        kept.append(job)
    return Batch(workload=full.workload, jobs=kept)


def _run_job(spark, job, t0: float) -> None:
    import spark_uwfq as uwfq

    time.sleep(max(0.0, t0 + job.arrival_ms / 1000 - time.monotonic()))
    with uwfq.user(spark, job.logical.user), uwfq.job(spark, key=job.key,
                                                      cost_hint_ms=job.hint_ms):
        for stages in job.spark_jobs:
            tasks = stages[0]
            ms = ",".join(str(int(round(d))) for d in tasks)
            sleep = (f"reflect('java.lang.Thread', 'sleep', "
                     f"cast(element_at(array({ms}), cast(id as int) + 1) as bigint)) as r")
            (spark.range(0, len(tasks), 1, len(tasks)).selectExpr(sleep)
             .where("r is null or r is not null").count())


def real(scale: float) -> list[Row]:
    from spark_uwfq.events import EventLog
    from spark_uwfq.session import local_session

    batch = _real_batch(scale)
    modes = {"none": {}, "preemption": {
        "preemption": True, "preemption_wait_ms": int(WAIT_MS * scale),
        "preemption_check_interval_ms": max(10, int(CHECK_MS * scale))},
        "maxShare 50%": {"max_share": 0.5}}
    rows = []
    for mode, options in modes.items():
        spark = local_session("local[2]", app_name=f"preemption-{mode}", policy="uwfq",
                              job_linger_ms=0, **options)
        try:
            spark.range(0, 2, 1, 2).count()  # warm the JVM before the clock starts
            log = EventLog(spark)
            log.clear()
            t0 = time.monotonic()
            threads = [threading.Thread(target=_run_job, args=(spark, j, t0)) for j in batch.jobs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            events = log.drain()
        finally:
            spark.stop()
        rows.append(_real_row(events, mode))
    return rows


def _real_row(events, mode: str) -> Row:
    jobs = events[events.kind.isin(["JOB_START", "JOB_END"])].groupby("logical_job")
    span = jobs.time_ms.agg(["min", "max"])
    users = jobs.user.first()
    resp = (span["max"] - span["min"]) / 1000
    small = resp[users != "batch"].mean()
    long_ = resp[users == "batch"].mean()
    ends = events[events.kind == "TASK_END"]
    held = ends.run_ms.clip(lower=0)
    lost = held[ends.status == "KILLED"].sum()
    intervals = list(zip(ends.user, ends.launch_ms, ends.launch_ms + held))
    starts = events[events.kind == "TASK_START"]
    last_launch = starts.groupby("stage_id").launch_ms.max()
    stages = events[events.kind == "STAGE_SUBMITTED"]
    submitted = [(u, s, t, last_launch.get(s, t)) for u, s, t in
                 zip(stages.user, stages.stage_id, stages.time_ms)]
    return Row("real local[2]", "uwfq", mode, float(small), float(long_),
               float(lost / max(1, held.sum())), int((ends.status == "KILLED").sum()),
               max_running_while_others_wait(intervals, submitted), 2)


def print_table(rows: list[Row]) -> None:
    print(f"{'where':<14} {'policy':<6} {'mode':<13} {'small s':>8} {'long s':>8} "
          f"{'lost/busy':>9} {'kills':>6} {'max run':>7}")
    for r in rows:
        print(f"{r.where:<14} {r.policy:<6} {r.mode:<13} {r.small_s:8.2f} {r.long_s:8.1f} "
              f"{r.lost_share:9.3f} {r.kills:6d} {r.max_running_while_others_wait:7d}")


def plot(rows: list[Row], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted({(r.where, r.policy) for r in rows})
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    width = 0.27
    for k, mode in enumerate(("none", "preemption", "maxShare 50%")):
        small = [next((r.small_s for r in rows if (r.where, r.policy) == g and r.mode == mode), 0)
                 for g in groups]
        long_ = [next((r.long_s for r in rows if (r.where, r.policy) == g and r.mode == mode), 0)
                 for g in groups]
        x = np.arange(len(groups)) + (k - 1) * width
        axes[0].bar(x, small, width, label=mode)
        axes[1].bar(x, long_, width, label=mode)
    for ax, title in zip(axes, ("small jobs: mean response (s)", "long jobs: mean response (s)")):
        ax.set_xticks(np.arange(len(groups)))
        ax.set_xticklabels([f"{w}\n{p}" for w, p in groups], fontsize=8)
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=32)
    parser.add_argument("--real-scale", type=float, default=0.2)
    parser.add_argument("--only", choices=("sim", "real"),
                        help="run one part; the other part's rows in the results file are kept")
    parser.add_argument("--sensitivity", action="store_true",
                        help="only the simulated sensitivity grid (small users' load x wait), "
                             "written to benchmarks/results/preemption-sensitivity.json")
    args = parser.parse_args()
    if args.sensitivity:
        grid = sensitivity(args.cores)
        print_sensitivity(grid)
        out = RESULTS.with_name("preemption-sensitivity.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"machine": machine_info(), "commit": git_commit(),
                                   "scenario": SCENARIO, "cores": args.cores,
                                   "share_fraction": FRACTION, "rows": grid}, indent=1))
        print(f"wrote {out}")
        return
    rows = simulate(args.cores) if args.only != "real" else []
    if args.only != "sim":
        rows += real(args.real_scale)
    if args.only and RESULTS.exists():
        kept = "real local[2]" if args.only == "sim" else "simulated"
        rows += [Row(**r) for r in json.loads(RESULTS.read_text())["rows"] if r["where"] == kept]
    print_table(rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": machine_info(), "commit": git_commit(), "scenario": SCENARIO,
        "preemption": {"wait_ms": WAIT_MS, "share_fraction": FRACTION, "check_ms": CHECK_MS},
        "real_scale": args.real_scale, "rows": [r.__dict__ for r in rows]}, indent=1))
    plot(rows, ROOT / "docs" / "preemption-response.png")
    print(f"wrote {RESULTS} and docs/preemption-response.png")


if __name__ == "__main__":
    main()
