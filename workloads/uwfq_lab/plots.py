"""PNG plots of a comparison: response-time distribution per policy, mean per user."""

from __future__ import annotations

from pathlib import Path

from uwfq_lab.compare import Comparison


def write_plots(comparison: Comparison, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    name = comparison.workload.name
    paths = []

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for result in comparison.results:
        times = sorted(o.response_s for run in result.runs for o in run.outcomes)
        if times:
            ax.step(times, [(i + 1) / len(times) for i in range(len(times))], where="post",
                    label=result.policy)
    ax.set_xlabel("response time (s)")
    ax.set_ylabel("fraction of logical jobs")
    ax.set_title(f"{name}: response-time distribution (scale {comparison.scaling.scale:g})")
    ax.grid(alpha=0.3)
    ax.legend()
    paths.append(out / f"{name}_response_time_cdf.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    users = [u.name for u in comparison.workload.users]
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(users) + 2), 4.5))
    width = 0.8 / max(len(comparison.results), 1)
    for k, result in enumerate(comparison.results):
        means = []
        for user in users:
            times = [o.response_s for run in result.runs for o in run.outcomes if o.user == user]
            means.append(sum(times) / len(times) if times else 0.0)
        ax.bar([i + k * width for i in range(len(users))], means, width, label=result.policy)
    ax.set_xticks([i + width * (len(comparison.results) - 1) / 2 for i in range(len(users))])
    ax.set_xticklabels(users, rotation=20 if len(users) > 6 else 0)
    ax.set_ylabel("mean response time (s)")
    ax.set_title(f"{name}: mean response time per user")
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    paths.append(out / f"{name}_user_mean_response_time.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths
