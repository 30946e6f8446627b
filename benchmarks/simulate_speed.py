"""How fast the simulator runs the paper's scenarios at paper scale (32 cores), all policies.

For each scenario, with and without the partitioner: the wall time of one `simulate(...)` call
(batch building, one JVM run over every policy plus each job's isolated run, the fluid ideal),
the JVM's own time per policy, the task and offer-round counts. The target from issue 6: the
hetero trace (27 users, 824 Spark jobs) in under 60 s for all policies. Prints a table and
writes benchmarks/results/simulate_speed.{json,md} with machine and commit.

    python benchmarks/simulate_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_CHECKOUT), str(_CHECKOUT / "workloads")]  # the product, then the lab

from uwfq_lab.provenance import git_commit  # noqa: E402
from uwfq_lab.simulate.runner import simulate  # noqa: E402
from uwfq_lab import load_workload  # noqa: E402

SCENARIOS = ("2_large_2_small_users", "2_power_2_small_users", "4_large_users",
             "4_super_small_users", "hetero_macro")
POLICIES = ["fifo", "fair", "ujf", "cfq", "uwfq"]
RESULTS = Path(__file__).resolve().parent / "results"



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best counts")
    args = parser.parse_args()
    rows = []
    for name in SCENARIOS:
        workload = load_workload(name)
        for partitioner in (False, True):
            best = None
            for _ in range(max(1, args.repeat)):
                result = simulate(workload, POLICIES, partitioner=partitioner)
                if best is None or result.wall_s < best.wall_s:
                    best = result
            tasks = sum(len(s) for j in best.batch.jobs for sj in j.spark_jobs for s in sj)
            rows.append({
                "scenario": name, "partitioner": partitioner,
                "logical_jobs": len(best.batch.jobs),
                "spark_jobs": sum(len(j.spark_jobs) for j in best.batch.jobs),
                "tasks_per_policy": tasks,
                "offer_rounds_per_policy": int(max(r.stats["order_calls"]
                                                   for r in best.runs.values())),
                "wall_s_all_policies": round(best.wall_s, 2),
                "jvm_ms_per_policy": {p: round(r.stats["wall_ms"], 1)
                                      for p, r in best.runs.items()},
            })
    header = ("scenario", "P", "jobs", "spark jobs", "tasks", "offer rounds",
              "wall s (5 policies)", "slowest policy ms")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        slowest = max(r["jvm_ms_per_policy"].items(), key=lambda kv: kv[1])
        lines.append(f"| {r['scenario']} | {'yes' if r['partitioner'] else 'no'} | "
                     f"{r['logical_jobs']} | {r['spark_jobs']} | {r['tasks_per_policy']} | "
                     f"{r['offer_rounds_per_policy']} | {r['wall_s_all_policies']} | "
                     f"{slowest[0]} {slowest[1]} |")
    machine = {"platform": platform.platform(), "python": platform.python_version(),
               "cpus": len(os.sched_getaffinity(0)), "commit": git_commit()}
    table = "\n".join(lines)
    print(table)
    print(f"\n{machine}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "simulate_speed.json").write_text(
        json.dumps({"machine": machine, "policies": POLICIES, "rows": rows}, indent=2))
    (RESULTS / "simulate_speed.md").write_text(
        "# Simulator speed (best of "
        f"{args.repeat}; 32 cores; policies {', '.join(POLICIES)} + isolated runs)\n\n"
        f"{table}\n\nmachine: {machine}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
