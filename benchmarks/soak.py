"""Soak: 20,000 small jobs from 50 users through one local session with uwfq.

    python benchmarks/soak.py                        # 20,000 jobs, 50 users, 8 threads
    python benchmarks/soak.py --jobs 2000            # quicker

Eight threads submit tiny jobs (a JVM RDD count of two tasks; every 20th a SQL query), each
its own logical job of one of 50 users (a third with a cost hint). At ten checkpoints the driver's heap after a full GC and the policy's state
(users, jobs, task sets, lingering jobs in uwfq.status) are recorded; after the last job the
state must drain to nothing once ended jobs stop lingering. Targets: no policy failure, every
job ended, the state empty at the end, and the heap after GC flat from the first checkpoint
(Spark's own bounded stores, spark.ui.retained*, fill during the first) to the end. The event
recorder's capacity is set to 10,000 so that it too is full by the first checkpoint.

Writes benchmarks/results/soak.{json,md} with the machine and the git commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "workloads")]
from uwfq_lab import soak  # noqa: E402
from uwfq_lab.provenance import git_commit, machine_info  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
COLUMNS = ("jobs_done", "elapsed_s", "heap_mb", "users", "jobs", "task_sets", "lingering_jobs",
           "policy_failures", "fallback_rounds")


def machine() -> dict:
    import pyspark

    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return machine_info(java=java.splitlines()[0] if java else "?", pyspark=pyspark.__version__)


def markdown(result: dict) -> str:
    r = result["run"]
    lines = [f"# Soak ({result['time']})", "",
             f"`{result['command']}` at commit {result['commit']}; {result['machine']['cpu']}, "
             f"{result['machine']['cores']} cores, load {result['machine']['load_average_1m']}.",
             "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for c in r["checkpoints"] + [r["released"]]:
        lines.append("| " + " | ".join(str(c[k]) for k in COLUMNS) + " |")
    s = result["summary"]
    lines += ["", f"Last row: after the state drained. Jobs ended {r['ended']:,} of "
              f"{result['args']['jobs']:,}; errors {len(r['errors'])}; heap after GC "
              f"{s['heap_first_mb']} MB at the first checkpoint, {s['heap_end_mb']} MB at the end "
              f"({s['heap_growth_mb']:+.1f} MB); wall {r['wall_s']} s.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--policy", default="uwfq")
    args = parser.parse_args()
    from spark_uwfq.session import local_session

    spark = local_session("local[2]", app_name="uwfq-soak", policy=args.policy,
                          events_capacity=10_000)
    try:
        print(" ".join(f"{c:>15}" for c in COLUMNS), flush=True)
        run = soak.run(spark, jobs=args.jobs, users=args.users, threads=args.threads,
                       progress=lambda c: print(" ".join(f"{getattr(c, k):>15}" for k in COLUMNS),
                                                flush=True))
    finally:
        spark.stop()
    first, end = run["checkpoints"][0], run["released"]
    summary = {"heap_first_mb": first["heap_mb"], "heap_end_mb": end["heap_mb"],
               "heap_growth_mb": round(end["heap_mb"] - first["heap_mb"], 1),
               "state_left": {k: end[k] for k in ("users", "jobs", "task_sets", "lingering_jobs")},
               "policy_failures": end["policy_failures"], "every_job_ended":
               run["ended"] == args.jobs and not run["errors"] and not run["wrong_counts"]}
    result = {"time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "command": "python benchmarks/soak.py " + " ".join(sys.argv[1:]),
              "machine": machine(), "commit": git_commit(), "args": vars(args), "run": run,
              "summary": summary}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (RESULTS / "soak.md").write_text(text)
    print(text)
    ok = summary["every_job_ended"] and summary["policy_failures"] == 0 and not any(
        summary["state_left"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
