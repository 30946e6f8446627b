"""How long tasks take with and without the runtime partitioner, by job size.

Runs the replay's Loop job (a skewed parquet input, one file per key, a per-row burn in the JVM)
at several sizes on local Spark. Each size runs first with no estimate (the partitioner leaves
it alone; its recorded executor time is its cost), then with that cost as its hint. For both it
reports the task count and the median and maximum task time of the job's heaviest stage, from
the event recorder. Prints a table and writes a JSON results file with machine and commit.

    python benchmarks/partitioner_task_times.py [--sizes 1000,4000,16000] [--target-ms 500]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from statistics import median

import spark_uwfq as uwfq
from spark_uwfq.events import EventLog
from uwfq_lab.provenance import git_commit
from spark_uwfq.session import local_session
from uwfq_lab.spark_jobs import LoopJobs, session_conf


def heaviest_stage(events, job_id):
    tasks = events[(events.logical_job == job_id) & (events.kind == "TASK_END")]
    by_stage = {s: sorted(g.run_ms) for s, g in tasks.groupby("stage_id")}
    stage = max(by_stage, key=lambda s: sum(by_stage[s]))
    return int(tasks.run_ms.sum()), by_stage[stage]


def measure(spark, jobs, log, size_ms, hint_ms=None):
    log.clear()
    with uwfq.job(spark, key=f"loop-{size_ms}", cost_hint_ms=hint_ms) as job_id:
        start = time.perf_counter()
        jobs.run(size_ms)
        wall_s = time.perf_counter() - start
    cost, runs = heaviest_stage(log.drain(), job_id)
    return {"cost_ms": cost, "tasks": len(runs), "median_task_ms": median(runs),
            "max_task_ms": max(runs), "wall_s": round(wall_s, 2)}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,4000,16000",
                        help="job sizes in core-ms, comma-separated")
    parser.add_argument("--target-ms", type=int, default=500)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", type=Path,
                        default=Path("results/benchmarks/partitioner_task_times.json"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    spark = local_session(f"local[{args.cores}]", app_name="uwfq-bench-partitioner",
                          conf=session_conf(), partitioner=True,
                          partitioner_target_task_ms=args.target_ms)
    rows = []
    try:
        log = EventLog(spark)
        jobs = LoopJobs(spark, path=Path(tempfile.mkdtemp()) / "input")
        jobs.calibrate(log)
        for size in sizes:
            plain = measure(spark, jobs, log, size)
            split = measure(spark, jobs, log, size, hint_ms=plain["cost_ms"])
            rows.append({"size_ms": size, "without": plain, "with": split})
    finally:
        spark.stop()

    header = (f"{'size core-ms':>12}  {'':>7}  {'cost ms':>8}  {'tasks':>5}  "
              f"{'median task ms':>14}  {'max task ms':>11}  {'wall s':>6}")
    print(f"target {args.target_ms} ms a task, local[{args.cores}]")
    print(header)
    print("-" * len(header))
    for row in rows:
        for label in ("without", "with"):
            r = row[label]
            print(f"{row['size_ms']:>12}  {label:>7}  {r['cost_ms']:>8}  {r['tasks']:>5}  "
                  f"{r['median_task_ms']:>14.0f}  {r['max_task_ms']:>11}  {r['wall_s']:>6}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "partitioner_task_times", "target_task_ms": args.target_ms,
        "cores": args.cores, "rows": rows, "git_commit": git_commit(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average": os.getloadavg()},
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
