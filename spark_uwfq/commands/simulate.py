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
                        help="folder for the CSV and the plot (default results/simulate)")
    parser.add_argument("--no-plot", action="store_true", help="skip the plot")
    parser.add_argument("--paper-comparison", action="store_true",
                        help="simulate S1-S4 and the hetero trace and write "
                             "docs/paper-comparison.md")
    parser.set_defaults(run=run)


def run(args) -> int:
    from spark_uwfq.simulate.batch import parse_estimator
    from workloads.loader import WorkloadError, load_workload

    if args.paper_comparison:
        from spark_uwfq.simulate.paper import write_comparison

        path = write_comparison(seed=args.seed)
        print(f"wrote {path}")
        return 0
    if not args.workload:
        print("uwfq simulate: give a WORKLOAD (file or scenario name), or --paper-comparison")
        return 2
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    try:
        parse_estimator(args.estimator)
        workload = load_workload(args.workload)
    except (ValueError, WorkloadError) as exc:
        print(f"uwfq simulate: {exc}")
        return 2
    if args.cores <= 0 or args.cores_per_executor <= 0:
        print("uwfq simulate: --cores and --cores-per-executor must be positive")
        return 2

    from spark_uwfq.metrics import REFERENCE_POLICY
    from spark_uwfq.simulate.report import format_table, rows, write_csv
    from spark_uwfq.simulate.runner import SimulationError, simulate

    to_run = list(dict.fromkeys([*policies, REFERENCE_POLICY]))
    try:
        result = simulate(workload, to_run, cores=args.cores,
                          cores_per_executor=args.cores_per_executor,
                          partitioner=args.partitioner, estimator=args.estimator, seed=args.seed)
    except SimulationError as exc:
        print(f"uwfq simulate: {exc}")
        return 1
    table = rows(result, partitioner=args.partitioner)
    table = {p: table[p] for p in policies}
    suffix = "-P" if args.partitioner else ""
    stem = f"{workload.name}{suffix}-{args.estimator.replace(':', '')}-seed{args.seed}"
    csv_path = args.out / f"{stem}.csv"
    write_csv(table, csv_path)
    print(f"{workload.name}{suffix}: {len(result.batch.jobs)} logical jobs on {args.cores} cores, "
          f"estimator {args.estimator}, seed {args.seed}, simulated in {result.wall_s:.1f} s")
    print(format_table(table))
    print(f"results: {csv_path}")
    if not args.no_plot:
        from spark_uwfq.plots import plot_runs

        plot = plot_runs({p: result.outcomes(p) for p in policies}, args.out / f"{stem}.png",
                         title=f"simulated {workload.name}{suffix} ({args.cores} cores)")
        print(f"plot: {plot}")
    return 0
