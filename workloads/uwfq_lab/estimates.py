"""Which cost hints a replay gives its jobs: the paper's oracle sizes, none (the plugin's learned
estimator alone), or the oracle sizes with a log-normal error, as the simulator's estimator
modes do (uwfq_lab.simulate.batch)."""

from __future__ import annotations

from typing import Hashable, Mapping

import numpy as np

ESTIMATES = ("oracle", "learned", "noisy")
NOISE_SIGMA = 0.5


def check_estimates(text: str) -> str:
    if text not in ESTIMATES:
        raise ValueError(f"--estimates: {text!r} is not one of {', '.join(ESTIMATES)} (oracle: "
                         "the true sizes as hints; learned: no hint, the plugin's estimator; "
                         f"noisy: the true sizes times a lognormal(0, {NOISE_SIGMA}) factor)")
    return text


def cost_hints(true_ms: Mapping[Hashable, float], estimates: str, seed: int = 0
               ) -> dict[Hashable, float | None]:
    """The hint of each job (None: no hint), from its true cost in core-milliseconds.

    Noisy hints draw one factor per job in the mapping's order from a generator seeded with
    ``seed``, so a replay and its reruns with the same seed give the same hints.
    """
    check_estimates(estimates)
    if estimates == "oracle":
        return dict(true_ms)
    if estimates == "learned":
        return {job: None for job in true_ms}
    rng = np.random.default_rng([seed, 1])
    return {job: max(1.0, ms * rng.lognormal(0.0, NOISE_SIGMA)) for job, ms in true_ms.items()}
