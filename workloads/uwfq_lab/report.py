"""Results of a comparison: CSV files with the paper's column names, a JSON record of how the
run was made, and the comparison table printed at the end (ours, then the paper's)."""

from __future__ import annotations

import csv
import json
import platform
from pathlib import Path

from uwfq_lab.metrics import SCHEDULER_NAMES, user_prefix
from uwfq_lab.provenance import REPO_ROOT, git_commit
from uwfq_lab.compare import Comparison
from uwfq_lab.loader import SCENARIOS

# The copies shipped with the scenarios, then the reference folder beside a checkout (../shared).
PAPER_RESULTS = [SCENARIOS / "paper",
                 REPO_ROOT.parent / "shared" / "reference" / "uwfq-paper" / "results"]


def write_results(comparison: Comparison, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    name = comparison.workload.name
    paths = [_write_csv(out / f"{name}_run_data.csv", comparison.rows()),
             _write_csv(out / f"{name}_run_data_avg.csv", comparison.average_rows()),
             _write_csv(out / f"{name}_jobs.csv", _job_rows(comparison))]
    for result in comparison.results:
        for run in result.runs:
            if run.events is not None:
                path = out / f"{name}_events_{result.policy}_run{run.run + 1}.csv.gz"
                run.events.to_csv(path, index=False)
                paths.append(path)
    meta = out / f"{name}_replay.json"
    meta.write_text(json.dumps(_meta(comparison), indent=2))
    return [*paths, meta]


def _write_csv(path: Path, rows: list[dict]) -> Path:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["", *columns])  # the paper's files start with an unnamed index
        for i, row in enumerate(rows):
            writer.writerow([i, *("" if row.get(c) is None else row[c] for c in columns)])
    return path


def _job_rows(comparison: Comparison) -> list[dict]:
    return [{"policy": r.policy, "run": run.run + 1, "user": o.user, "workload": o.workload,
             "iteration": o.iteration, "class": o.job_class, "start_s": round(o.start_s, 3),
             "finish_s": round(o.finish_s, 3), "response_s": round(o.response_s, 3),
             "isolated_s": o.isolated_s, "slowdown": o.slowdown}
            for r in comparison.results for run in r.runs for o in run.outcomes]


def _meta(comparison: Comparison) -> dict:
    import pyspark

    s = comparison.scaling
    return {
        "workload": comparison.workload.name, "source": comparison.workload.source,
        "scale": s.scale, "cores": s.cores, "paper_cores": 32, "job_size_factor": s.size_factor,
        "burn_clock": "cpu" if s.cpu_time else "wall",
        "seed": comparison.seed, "git_commit": git_commit(),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "pyspark": pyspark.__version__, "cpus": _cpus()},
        "policies": {r.policy: {
            "overhead_core_ms": r.overhead_core_ms,
            "isolated_s": {f"{k:.0f}": v for k, v in r.isolated_s.items()},
            "target_core_ms": {e.class_label: s.core_ms(e) for e in comparison.workload.entries},
            "measured_core_ms": [run.measured_core_ms for run in r.runs],
            "total_time_s": [run.total_time_s for run in r.runs],
            "failures": [f for run in r.runs for f in run.failures],
        } for r in comparison.results},
    }



def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def paper_rows(name: str) -> dict[str, dict]:
    """The paper's results for this scenario, by scheduler name (without the partitioner)."""
    for folder in PAPER_RESULTS:
        path = folder / f"{name}_run_data_avg.csv"
        if path.exists():
            with path.open() as f:
                return {r["Scheduler"]: r for r in csv.DictReader(f)}
    return {}


MAX_USER_COLUMNS = 8  # past this many users (the trace has 27), per-user means stay in the CSV


def table_columns(comparison: Comparison) -> list[tuple[str, str]]:
    """(header, results column) pairs for the printed table."""
    cols = [("mean RT", "average response time"),
            ("worst10% RT", "average response time (worst10%)"),
            ("slowdown", "average proportional slowdown")]
    classes = list(dict.fromkeys(e.class_label for e in comparison.workload.entries))
    if len(classes) > 1:
        cols += [(f"{c} RT", f"{c}_ average response time") for c in classes]
    if len(comparison.workload.users) <= MAX_USER_COLUMNS:
        cols += [(f"{u.name} RT", f"{user_prefix(u.name)}average response time")
                 for u in comparison.workload.users]
    cols += [("DVR", "Total DVR"), ("violations", "Total violations")]
    return cols


def format_table(comparison: Comparison) -> str:
    columns = table_columns(comparison)
    ours = [[row["policy"], *(_cell(row.get(c)) for _, c in columns)]
            for row in comparison.average_rows()]
    s = comparison.scaling
    lines = [f"{comparison.workload.name}: mean over runs, seconds, at scale {s.scale:g} on "
             f"{s.cores} cores (jobs x{s.size_factor:.4g} of the paper's core-ms, arrivals "
             f"x{s.time_scale:g}); DVR against ujf",
             _grid(["policy", *(h for h, _ in columns)], ours)]
    paper = paper_rows(comparison.workload.name)
    wanted = [(p.policy, SCHEDULER_NAMES.get(p.policy)) for p in comparison.results]
    theirs = [[f"{policy} ({name})", *(_cell(paper[name].get(c)) for _, c in columns)]
              for policy, name in wanted if name in paper]
    if theirs:
        lines += ["", "the paper (32 cores, scale 1, no partitioner; mean of 3 runs):",
                  _grid(["policy", *(h for h, _ in columns)], theirs)]
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None or value == "":
        return "-"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.0f}" if number == int(number) and abs(number) >= 10 else f"{number:.2f}"


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)])
