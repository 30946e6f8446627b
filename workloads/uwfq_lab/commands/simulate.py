"""uwfq simulate: a workload at paper scale (32 cores) under the plugin's own policies.

    uwfq simulate 2_power_2_small_users --policies fair,ujf,cfq,uwfq --partitioner
    uwfq simulate --paper-comparison          # regenerates docs/paper-comparison.md
"""

from __future__ import annotations

import sys

from uwfq_lab.commands.vocabulary import (SIMULATED_POLICIES, add_shared_arguments,
                                          parse_estimates, parse_policies, results_folder)
from uwfq_lab.metrics import PARTITIONED_SUFFIX

DEFAULT_POLICIES = "fair,ujf,cfq,uwfq,fifo"


def register(sub) -> None:
    parser = sub.add_parser(
        "simulate", help="simulate a workload at paper scale under the real policies",
        description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("workload", nargs="?",
                        help="workload file or built-in scenario name (see `uwfq replay`)")
    add_shared_arguments(parser, default_policies=DEFAULT_POLICIES,
                         policies_help="ujf always runs, as the DVR reference; one run is "
                                       "either all with or all without the partitioner",
                         default_out="results/simulate")
    parser.add_argument("--cores", type=int, default=32, help="simulated cores (default 32)")
    parser.add_argument("--cores-per-executor", type=int, default=4,
                        help="cores per executor: a task end offers its executor's cores (4)")
    parser.add_argument("--paper-comparison", action="store_true",
                        help="simulate S1-S4 and the hetero trace and write "
                             "docs/paper-comparison.md")
    parser.set_defaults(run=run)


def _fail(message: str, code: int = 2) -> int:
    print(f"uwfq simulate: {message}", file=sys.stderr)
    return code


def _split_partitioned(names: list[str]) -> tuple[list[str], bool]:
    """One simulated batch has one job shape: all policies with the partitioner, or none."""
    partitioned = {n.endswith(PARTITIONED_SUFFIX) for n in names}
    if len(partitioned) > 1:
        raise ValueError(f"--policies: one simulation runs every policy with the partitioner or "
                         f"every one without it; give {PARTITIONED_SUFFIX} to all (or use "
                         "--partitioner), or simulate twice")
    return [n.removesuffix(PARTITIONED_SUFFIX) for n in names], partitioned == {True}


def run(args) -> int:
    from uwfq_lab.loader import WorkloadError, load_workload

    if args.paper_comparison:
        from uwfq_lab.simulate.paper import write_comparison

        path = write_comparison(seed=args.seed)
        print(f"wrote {path}")
        return 0
    if not args.workload:
        return _fail("give a WORKLOAD (file or scenario name), or --paper-comparison")
    try:
        policies, partitioner = _split_partitioned(parse_policies(
            args.policies, partitioner=args.partitioner, available=SIMULATED_POLICIES))
        estimates = parse_estimates(args.estimates)
        if args.cores <= 0 or args.cores_per_executor <= 0:
            raise ValueError("--cores and --cores-per-executor must be positive")
        workload = load_workload(args.workload)
    except (ValueError, WorkloadError, OSError) as exc:
        return _fail(str(exc))

    from uwfq_lab.metrics import REFERENCE_POLICY
    from uwfq_lab.report import format_table, write_results
    from uwfq_lab.simulate.report import format_summary, policy_rows, to_comparison
    from uwfq_lab.simulate.runner import SimulationError, simulate

    to_run = list(dict.fromkeys([*policies, REFERENCE_POLICY]))
    try:
        result = simulate(workload, to_run, cores=args.cores,
                          cores_per_executor=args.cores_per_executor,
                          partitioner=partitioner, estimates=estimates, seed=args.seed)
    except SimulationError as exc:
        return _fail(str(exc), code=1)
    comparison = to_comparison(result, seed=args.seed, partitioner=partitioner,
                               estimates=estimates)
    comparison.results = [r for r in comparison.results if r.policy in policies] + [
        r for r in comparison.results if r.policy not in policies]
    out = results_folder(args.out, "results/simulate", workload.name, partitioner, estimates)
    paths = write_results(comparison, out)
    if not args.no_plots:
        from uwfq_lab.plots import write_plots

        paths += write_plots(comparison, out)
    suffix = PARTITIONED_SUFFIX if partitioner else ""
    print(f"simulated {workload.name}{suffix}: {len(result.batch.jobs)} logical jobs on "
          f"{args.cores} cores, {estimates} estimates, seed {args.seed}, "
          f"{result.wall_s:.1f} s")
    summary = policy_rows(result, seed=args.seed, partitioner=partitioner)
    print(format_summary({p: summary[p] for p in policies}))
    print()
    print(format_table(comparison))
    print()
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
