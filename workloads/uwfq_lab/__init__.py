"""The lab: what measures spark-uwfq, never imported by it. Multi-user workloads (the paper's
scenario files, their arrivals), their replay on Spark and their simulation, metrics, reports,
plots, the LLM benchmark, and the ``uwfq`` subcommands that drive them (``uwfq.commands``
entry points).

    from uwfq_lab import load_workload
    workload = load_workload("workloads/scenarios/demo.json")   # or a bare scenario name
"""

from uwfq_lab.loader import WorkloadError, load_workload, scenario_path
from uwfq_lab.model import JOB_CLASSES, Entry, User, Workload

__all__ = ["JOB_CLASSES", "Entry", "User", "Workload", "WorkloadError", "load_workload",
           "scenario_path"]
