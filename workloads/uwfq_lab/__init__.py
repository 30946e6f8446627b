"""Multi-user workloads: the paper's scenario files, their arrivals and their replay on Spark.

    from uwfq_lab import load_workload
    workload = load_workload("workloads/scenarios/demo.json")   # or a bare scenario name
"""

from uwfq_lab.loader import WorkloadError, load_workload, scenario_path
from uwfq_lab.model import JOB_CLASSES, Entry, User, Workload

__all__ = ["JOB_CLASSES", "Entry", "User", "Workload", "WorkloadError", "load_workload",
           "scenario_path"]
