"""Plots shared by replay and simulation: response-time CDF and per-user mean response.

matplotlib is a dev dependency; it is imported here only, so the rest works without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from spark_uwfq.metrics import JobOutcome


def plot_runs(runs: Mapping[str, Sequence[JobOutcome]], path: Path, title: str) -> Path:
    """One figure: CDF of response times per policy (left), mean response per user (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (cdf, bars) = plt.subplots(1, 2, figsize=(12, 4.5))
    for policy, outcomes in runs.items():
        times = sorted(o.response_s for o in outcomes)
        n = len(times)
        cdf.step(times, [(i + 1) / n for i in range(n)], where="post", label=policy)
    cdf.set_xscale("log")
    cdf.set_xlabel("response time (s, log)")
    cdf.set_ylabel("fraction of jobs")
    cdf.legend()
    cdf.grid(alpha=0.3)

    users = list(dict.fromkeys(o.user for outcomes in runs.values() for o in outcomes))
    width = 0.8 / max(1, len(runs))
    for k, (policy, outcomes) in enumerate(runs.items()):
        means = []
        for user in users:
            r = [o.response_s for o in outcomes if o.user == user]
            means.append(sum(r) / len(r) if r else 0.0)
        bars.bar([i + k * width for i in range(len(users))], means, width, label=policy)
    bars.set_xticks([i + 0.4 - width / 2 for i in range(len(users))])
    bars.set_xticklabels(users, rotation=60 if len(users) > 6 else 0, fontsize=7)
    bars.set_ylabel("mean response time (s)")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
