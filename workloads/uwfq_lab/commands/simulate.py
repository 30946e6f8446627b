"""uwfq simulate: a workload at paper scale (32 cores) under the plugin's own policies.

    uwfq simulate 2_power_2_small_users --policies fair,ujf,cfq,uwfq --partitioner
    uwfq simulate --paper-comparison          # regenerates docs/paper-comparison.md
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_POLICIES = "fair,ujf,cfq,uwfq,fifo"


def register(sub) -> None:
    parser = sub.add_parser(
        "simulate", help="simulate a workload at paper scale under the real policies",
        description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("workload", nargs="?",
                        help="workload file or built-in scenario name (see `uwfq replay`)")
    parser.add_argument("--policies", default=DEFAULT_POLICIES,
                        help=f"comma-separated (default {DEFAULT_POLICIES}); ujf always runs, "
                             "as the DVR reference")
    parser.add_argument("--cores", type=int, default=32, help="simulated cores (default 32)")
    parser.add_argument("--cores-per-executor", type=int, default=4,
                        help="cores per executor: a task end offers its executor's cores (4)")
    parser.add_argument("--partitioner", action="store_true",
                        help="split jobs into ~0.5 s tasks (the paper's oracle counts)")
    parser.add_argument("--estimator", default="oracle",
                        help="job-size hints: oracle | history | noisy:SIGMA (default oracle)")
    parser.add_argument("--seed", type=int, default=0, help="arrivals, skew and noise seed")
    parser.add_argument("--out", type=Path, default=Path("results/simulate"),
                        help="results folder (default results/simulate; one subfolder per "
                             "workload, -P with the partitioner)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--paper-comparison", action="store_true",
                        help="simulate S1-S4 and the hetero trace and write "
                             "docs/paper-comparison.md")
    parser.set_defaults(run=run)


def run(args) -> int:
    from uwfq_lab.simulate.batch import parse_estimator
    from uwfq_lab.loader import WorkloadError, load_workload

    if args.paper_comparison:
        from uwfq_lab.simulate.paper import write_comparison

        path = write_comparison(seed=args.seed)
        print(f"wrote {path}")
        return 0
    if not args.workload:
        print("uwfq simulate: give a WORKLOAD (file or scenario name), or --paper-comparison")
        return 2
    from spark_uwfq.options import POLICIES

    policies = list(dict.fromkeys(p.strip().lower() for p in args.policies.split(",") if p.strip()))
    unknown = [p for p in policies if p not in POLICIES]
    if not policies or unknown:
        print(f"uwfq simulate: --policies: {', '.join(unknown) or 'nothing given'} is not a "
              f"policy; expected a comma-separated list of {', '.join(POLICIES)}")
        return 2
    try:
        parse_estimator(args.estimator)
        workload = load_workload(args.workload)
    except (ValueError, WorkloadError) as exc:
        print(f"uwfq simulate: {exc}")
        return 2
    if args.cores <= 0 or args.cores_per_executor <= 0:
        print("uwfq simulate: --cores and --cores-per-executor must be positive")
        return 2

    from uwfq_lab.metrics import REFERENCE_POLICY
    from uwfq_lab.simulate.report import format_summary, policy_rows, to_comparison
    from uwfq_lab.simulate.runner import SimulationError, simulate
    from uwfq_lab.report import format_table, write_results

    to_run = list(dict.fromkeys([*policies, REFERENCE_POLICY]))
    try:
        result = simulate(workload, to_run, cores=args.cores,
                          cores_per_executor=args.cores_per_executor,
                          partitioner=args.partitioner, estimator=args.estimator, seed=args.seed)
    except SimulationError as exc:
        print(f"uwfq simulate: {exc}")
        return 1
    comparison = to_comparison(result, seed=args.seed, partitioner=args.partitioner,
                               estimator=args.estimator)
    comparison.results = [r for r in comparison.results if r.policy in policies] + [
        r for r in comparison.results if r.policy not in policies]
    suffix = "-P" if args.partitioner else ""
    out = args.out / f"{workload.name}{suffix}"
    paths = write_results(comparison, out)
    if not args.no_plots:
        from uwfq_lab.plots import write_plots

        paths += write_plots(comparison, out)
    print(f"simulated {workload.name}{suffix}: {len(result.batch.jobs)} logical jobs on "
          f"{args.cores} cores, estimator {args.estimator}, seed {args.seed}, "
          f"{result.wall_s:.1f} s")
    summary = policy_rows(result, seed=args.seed, partitioner=args.partitioner)
    print(format_summary({p: summary[p] for p in policies}))
    print()
    print(format_table(comparison))
    print()
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
