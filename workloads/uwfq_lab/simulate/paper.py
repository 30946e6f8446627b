"""docs/paper-comparison.md: the paper's scenarios simulated beside its measured results.

    uwfq simulate --paper-comparison

For S1-S4 and the hetero trace, with and without the partitioner, every policy is simulated at
the paper's scale (32 cores in 8 executors of 4) over three seeds (the paper averaged three
runs), and set beside the paper's row for the same scheduler: response time relative to
``fair`` (the paper's DEFAULT_FAIR), fastest-80% response relative to ``fair``, and DVR against
UJF. The simulator adds each policy's lag behind the fluid ideal (GPS). Explanations of the
large differences are kept in workloads/uwfq_lab/simulate/paper_notes.md and copied in.
"""

from __future__ import annotations

import csv
import datetime
import platform
import time
from pathlib import Path

from uwfq_lab.metrics import SCHEDULER_NAMES, average_rows
from uwfq_lab.provenance import REPO_ROOT, git_commit
from uwfq_lab.simulate.report import LAG_MEAN, LAG_WORST, policy_rows
from uwfq_lab.simulate.runner import simulate
from uwfq_lab.loader import SCENARIOS, load_workload

PAPER_SCENARIOS = (
    ("S1", "2_large_2_small_users"),
    ("S2", "2_power_2_small_users"),
    ("S3", "4_large_users"),
    ("S4", "4_super_small_users"),
    ("trace", "hetero_macro"),
)
POLICIES = ("fair", "ujf", "cfq", "uwfq", "fifo")
SEEDS = (0, 1, 2)
DOC = REPO_ROOT / "docs" / "paper-comparison.md"
NOTES = Path(__file__).with_name("paper_notes.md")

RESP = "average response time"
FAST80 = "average response time (worst80)"
DVR = "Total DVR"
# A simulated ratio this far from the paper's (relative), or a DVR this far (absolute),
# is marked as a large difference.
RATIO_TOLERANCE = 0.25
DVR_TOLERANCE = 0.5


def paper_rows(scenario: str) -> dict[str, dict[str, str]]:
    """The paper's measured rows of a scenario, by its scheduler name."""
    stem = scenario.removesuffix("_config")
    path = SCENARIOS / "paper" / f"{stem}_run_data_avg.csv"
    with path.open(newline="", encoding="utf-8") as f:
        return {row["Scheduler"]: row for row in csv.DictReader(f)}


def simulated_rows(scenario: str, partitioner: bool, seeds=SEEDS) -> tuple[dict, float]:
    """Each policy's row, averaged over seeds, and the slowest single simulation's wall time."""
    workload = load_workload(scenario)
    per_seed: dict[str, list[dict]] = {p: [] for p in POLICIES}
    slowest = 0.0
    for seed in seeds:
        result = simulate(workload, list(POLICIES), partitioner=partitioner, seed=seed)
        slowest = max(slowest, result.wall_s)
        for policy, row in policy_rows(result, seed=seed, partitioner=partitioner).items():
            per_seed[policy].append(row)
    return {p: average_rows(r) for p, r in per_seed.items()}, slowest


def _num(value) -> float | None:
    if value in (None, ""):
        return None
    return float(value)


def _ratio(row: dict, base: dict, column: str) -> float | None:
    a, b = _num(row.get(column)), _num(base.get(column))
    return a / b if a is not None and b else None


def _cell(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _far(sim: float | None, paper: float | None, tolerance: float, relative: bool) -> bool:
    if sim is None or paper is None:
        return False
    gap = abs(sim - paper) / max(abs(paper), 1e-9) if relative else abs(sim - paper)
    return gap > tolerance


def scenario_table(label: str, scenario: str) -> tuple[list[str], float]:
    paper = paper_rows(scenario)
    lines = [
        f"### {label}: `{scenario}`", "",
        "| policy | P | resp/fair sim | resp/fair paper | fast80/fair sim | fast80/fair paper "
        "| resp/ujf sim | resp/ujf paper | DVR sim | DVR paper | GPS lag mean s "
        "| GPS lag worst s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    slowest = 0.0
    absolute = []
    for partitioner in (False, True):
        sim, wall = simulated_rows(scenario, partitioner)
        slowest = max(slowest, wall)
        suffix = "_PARTITIONER" if partitioner else ""
        paper_fair = paper.get(f"DEFAULT_FAIR{suffix}", {})
        paper_ujf = paper.get(f"CUSTOM_FAIR{suffix}", {})
        absolute.append(f"{'with' if partitioner else 'without'} partitioner "
                        f"{_cell(_num(sim['fair'].get(RESP)), 1)} / "
                        f"{_cell(_num(paper_fair.get(RESP)), 1)}")
        for policy in POLICIES:
            ours = sim[policy]
            theirs = paper.get(f"{SCHEDULER_NAMES[policy]}{suffix}")
            cells = []
            for column in (RESP, FAST80):
                s = _ratio(ours, sim["fair"], column)
                p = _ratio(theirs, paper_fair, column) if theirs else None
                mark = " **!**" if _far(s, p, RATIO_TOLERANCE, relative=True) else ""
                cells += [_cell(s) + mark, _cell(p)]
            s = _ratio(ours, sim["ujf"], RESP)
            p = _ratio(theirs, paper_ujf, RESP) if theirs else None
            cells += [_cell(s) + (" **!**" if _far(s, p, RATIO_TOLERANCE, True) else ""), _cell(p)]
            s_dvr, p_dvr = _num(ours.get(DVR)), _num(theirs.get(DVR)) if theirs else None
            mark = " **!**" if _far(s_dvr, p_dvr, DVR_TOLERANCE, relative=False) else ""
            cells += [_cell(s_dvr) + mark, _cell(p_dvr) if theirs else "n/a"]
            cells += [_cell(_num(ours.get(LAG_MEAN)), 1), _cell(_num(ours.get(LAG_WORST)), 1)]
            lines.append(f"| {policy} | {'yes' if partitioner else 'no'} | " + " | ".join(cells)
                         + " |")
    lines.append("")
    lines.append("fair's mean response time (s), simulated / paper: " + "; ".join(absolute) + ".")
    lines.append("")
    return lines, slowest


def write_comparison(seed: int = 0, path: Path = DOC) -> Path:
    del seed  # the comparison always averages SEEDS, like the paper's three runs
    t0 = time.monotonic()
    body: list[str] = []
    walls = []
    for label, scenario in PAPER_SCENARIOS:
        lines, wall = scenario_table(label, scenario)
        body += lines
        walls.append((label, wall))
    elapsed = time.monotonic() - t0
    head = [
        "# Simulated vs measured: the paper's scenarios", "",
        "Generated by `uwfq simulate --paper-comparison` (workloads/uwfq_lab/simulate/paper.py); do not "
        "edit by hand.", "",
        f"- commit {git_commit(short=True)}, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} / Python {platform.python_version()}",
        "- simulation: 32 cores (8 executors x 4), the paper's oracle job sizes, oracle size "
        f"hints, mean of seeds {', '.join(map(str, SEEDS))}; "
        "paper: mean of 3 measured runs (workloads/scenarios/paper/*_run_data_avg.csv)",
        "- names: fair = DEFAULT_FAIR, ujf = CUSTOM_FAIR, cfq = CUSTOM_CLUSTERFAIR, "
        "uwfq = CUSTOM_USERCLUSTERFAIR, fifo = TRUE_FIFO; P = with the partitioner (-P rows)",
        "- resp/fair: mean response time over fair's; fast80/fair: the same for the fastest 80% "
        "of jobs; resp/ujf: mean response time over ujf's; DVR: mean positive deadline ratio against UJF (blank for UJF itself); "
        "GPS lag: response time minus the response under the fluid ideal (weighted user-level "
        "processor sharing)",
        f"- **!** marks a large difference: a ratio more than {RATIO_TOLERANCE:.0%} away from the "
        f"paper's, a DVR more than {DVR_TOLERANCE} away",
        "- simulation wall time, slowest single run (all 5 policies + isolated runs): "
        + ", ".join(f"{label} {wall:.1f} s" for label, wall in walls)
        + f"; whole document {elapsed:.0f} s", "",
    ]
    notes = NOTES.read_text(encoding="utf-8") if NOTES.exists() else ""
    path.write_text("\n".join(head + body) + "\n" + notes, encoding="utf-8")
    return path

