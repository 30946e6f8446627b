"""uwfq replay WORKLOAD: run a multi-user workload under several policies on local Spark and
compare response time, slowdown and fairness (DVR against ujf), as the paper's tables do."""

from __future__ import annotations

import sys

from uwfq_lab.commands.vocabulary import (add_shared_arguments, parse_estimates, parse_policies,
                                          results_folder)

DEFAULT_POLICIES = "fifo,fair,ujf,cfq,uwfq"


def register(sub) -> None:
    parser = sub.add_parser(
        "replay", help="replay a multi-user workload under several policies and compare them",
        description="Replay WORKLOAD (a built-in scenario name such as demo or "
                    "2_power_2_small_users, or a workload JSON file in the paper's format) "
                    "once per policy, each in its own local SparkSession.")
    parser.add_argument("workload", help="scenario name or path to a workload JSON file")
    add_shared_arguments(parser, default_policies=DEFAULT_POLICIES,
                         policies_help="include ujf for the DVR columns",
                         default_out="results/replay")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrink jobs and arrival times together (default 1: the paper's "
                             "load per core and its timeline)")
    parser.add_argument("--runs", type=int, default=1, help="runs per policy (default 1)")
    parser.add_argument("--cores", type=int, default=2, help="local[N] cores (default 2)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="size jobs in thread CPU time instead of wall time (on a busy "
                             "machine jobs then grow with the load)")
    parser.add_argument("--ui", action="store_true",
                        help="enable each session's Spark UI (its UWFQ tab shows the replay "
                             "live) and print its address")
    parser.set_defaults(run=run)


def run(args) -> int:
    from uwfq_lab import WorkloadError, load_workload
    from uwfq_lab.replay import Scaling

    try:
        policies = parse_policies(args.policies, partitioner=args.partitioner)
        estimates = parse_estimates(args.estimates)
        if not args.scale > 0 or args.runs < 1 or args.cores < 1:
            raise ValueError("--scale must be > 0, --runs and --cores at least 1")
        workload = load_workload(args.workload)
    except (ValueError, WorkloadError, OSError) as exc:
        print(f"uwfq replay: {exc}", file=sys.stderr)
        return 2
    from uwfq_lab.compare import compare_policies
    from uwfq_lab.report import format_table, write_results

    scaling = Scaling(scale=args.scale, cores=args.cores, cpu_time=args.cpu_time)
    out = results_folder(args.out, "results/replay", workload.name, args.partitioner, estimates)
    jobs = len(workload.logical_jobs())
    print(f"replaying {workload.name} ({len(workload.users)} users, {jobs} logical jobs, "
          f"{workload.total_core_ms * scaling.size_factor / 1000:.0f} core-s of work) "
          f"under {', '.join(policies)}; scale {args.scale:g}, {args.runs} run(s) each, "
          f"{estimates} estimates",
          flush=True)
    comparison = compare_policies(workload, policies, scaling, runs=args.runs, seed=args.seed,
                                  log=lambda line: print(line, flush=True),
                                  estimates=estimates, ui=args.ui)
    paths = write_results(comparison, out)
    if not args.no_plots:
        from uwfq_lab.plots import write_plots

        paths += write_plots(comparison, out)
    print()
    print(format_table(comparison))
    print()
    print("wrote " + ", ".join(str(p) for p in paths))
    failed = sum(len(run.failures) for r in comparison.results for run in r.runs)
    return 1 if failed else 0
