"""Multi-user workloads: the paper's scenario files, their arrivals and their replay on Spark.

    from workloads import load_workload
    workload = load_workload("workloads/scenarios/demo.json")   # or a bare scenario name
"""

from workloads.loader import WorkloadError, load_workload, scenario_path
from workloads.model import JOB_CLASSES, Entry, User, Workload

__all__ = ["JOB_CLASSES", "Entry", "User", "Workload", "WorkloadError", "load_workload",
           "scenario_path"]
