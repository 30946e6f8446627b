"""uwfq replay WORKLOAD: run a multi-user workload under several policies on local Spark and
compare response time, slowdown and fairness (DVR against ujf), as the paper's tables do."""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_POLICIES = "fifo,fair,ujf,cfq,uwfq"


def register(sub) -> None:
    parser = sub.add_parser(
        "replay", help="replay a multi-user workload under several policies and compare them",
        description="Replay WORKLOAD (a built-in scenario name such as demo or "
                    "2_power_2_small_users, or a workload JSON file in the paper's format) "
                    "once per policy, each in its own local SparkSession.")
    parser.add_argument("workload", help="scenario name or path to a workload JSON file")
    parser.add_argument("--policies", default=DEFAULT_POLICIES,
                        help=f"comma-separated policies (default {DEFAULT_POLICIES}); "
                             "include ujf for the DVR columns")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrink jobs and arrival times together (default 1: the paper's "
                             "load per core and its timeline)")
    parser.add_argument("--partitioner", action="store_true",
                        help="run every policy with the runtime partitioner (as if each were "
                             "named with a -p suffix, e.g. uwfq-p; suffixes may also be given "
                             "one by one in --policies)")
    parser.add_argument("--runs", type=int, default=1, help="runs per policy (default 1)")
    parser.add_argument("--cores", type=int, default=2, help="local[N] cores (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the Poisson arrivals")
    parser.add_argument("--out", type=Path, default=None,
                        help="results folder (default results/replay/WORKLOAD)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="size jobs in thread CPU time instead of wall time (on a busy "
                             "machine jobs then grow with the load)")
    parser.add_argument("--estimates", default="oracle",
                        help="the jobs' cost hints: oracle (their true sizes, the default), "
                             "learned (no hint: the plugin's learned estimator), or noisy (the "
                             "true sizes times a lognormal(0, 0.5) factor, seeded by --seed); "
                             "results go to results/replay/WORKLOAD-ESTIMATES unless oracle")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.set_defaults(run=run)


def _policies(text: str, partitioner: bool = False) -> list[str]:
    from spark_uwfq.options import POLICIES

    from uwfq_lab.metrics import PARTITIONED_SUFFIX

    policies = [p.strip().lower() for p in text.split(",") if p.strip()]
    if partitioner:
        policies = [p if p.endswith(PARTITIONED_SUFFIX) else p + PARTITIONED_SUFFIX
                    for p in policies]
    unknown = [p for p in policies if p.removesuffix(PARTITIONED_SUFFIX) not in POLICIES]
    if not policies or unknown:
        raise ValueError(f"--policies: {', '.join(unknown) or 'nothing given'} is not a policy; "
                         f"expected a comma-separated list of {', '.join(POLICIES)}, each "
                         f"optionally with {PARTITIONED_SUFFIX} (with the runtime partitioner)")
    return list(dict.fromkeys(policies))


def run(args) -> int:
    from uwfq_lab import WorkloadError, load_workload
    from uwfq_lab.estimates import check_estimates
    from uwfq_lab.replay import Scaling

    try:
        policies = _policies(args.policies, args.partitioner)
        check_estimates(args.estimates)
        if not args.scale > 0 or args.runs < 1 or args.cores < 1:
            raise ValueError("--scale must be > 0, --runs and --cores at least 1")
        workload = load_workload(args.workload)
    except (ValueError, WorkloadError, OSError) as exc:
        print(f"uwfq replay: {exc}", file=sys.stderr)
        return 2
    from uwfq_lab.compare import compare_policies
    from uwfq_lab.report import format_table, write_results

    scaling = Scaling(scale=args.scale, cores=args.cores, cpu_time=args.cpu_time)
    suffix = "" if args.estimates == "oracle" else f"-{args.estimates}"
    out = args.out or Path("results") / "replay" / f"{workload.name}{suffix}"
    jobs = len(workload.logical_jobs())
    print(f"replaying {workload.name} ({len(workload.users)} users, {jobs} logical jobs, "
          f"{workload.total_core_ms * scaling.size_factor / 1000:.0f} core-s of work) "
          f"under {', '.join(policies)}; scale {args.scale:g}, {args.runs} run(s) each, "
          f"{args.estimates} estimates",
          flush=True)
    comparison = compare_policies(workload, policies, scaling, runs=args.runs, seed=args.seed,
                                  log=lambda line: print(line, flush=True),
                                  estimates=args.estimates)
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
