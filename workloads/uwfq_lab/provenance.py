"""Where a measurement came from: the commit and the machine, for every results file."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

# The checkout this lab runs from (workloads/uwfq_lab/ -> the repository root).
REPO_ROOT = Path(__file__).resolve().parents[2]


def git_commit(short: bool = False) -> str:
    """HEAD of this checkout, marked when tracked files have uncommitted changes; "unknown"
    outside a git checkout (an installed wheel)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()

    try:
        head = git("rev-parse", *(["--short"] if short else []), "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+uncommitted-changes" if dirty else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(**extra) -> dict:
    """Platform, Python, CPU, cores and the 1-minute load average (other processes compete
    for the cores: wall-clock figures are as noisy as this), plus ``extra``."""
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpu": cpu_model(), "cores": os.cpu_count(), "load_average_1m": load, **extra}
