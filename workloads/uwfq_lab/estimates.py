"""Which cost hints the jobs of a replay or a simulation get: the paper's oracle sizes, none (the
plugin's learned estimator alone), or the oracle sizes with a log-normal error. One vocabulary
for ``uwfq replay`` and ``uwfq simulate``: ``--estimates oracle|learned|noisy[:SIGMA]``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Hashable, Mapping

import numpy as np

MODES = ("oracle", "learned", "noisy")
NOISE_SIGMA = 0.5
# Words of an older vocabulary (the simulator's), answered with the current one.
RENAMED = {"history": "learned", "none": "learned", "noisy:SIGMA": "noisy:0.5"}
HELP = (f"the jobs' cost hints: oracle (their true sizes, the default), learned (no hint: the "
        f"plugin's learned estimator), or noisy[:SIGMA] (the true sizes times a "
        f"lognormal(0, SIGMA) factor, seeded by --seed; SIGMA {NOISE_SIGMA} if not given)")


@dataclass(frozen=True)
class Estimates:
    mode: str  # one of MODES
    sigma: float = 0.0  # the log-normal error's standard deviation (noisy only)

    @property
    def label(self) -> str:
        return f"noisy:{self.sigma:g}" if self.mode == "noisy" else self.mode

    def __str__(self) -> str:
        return self.label


def parse_estimates(text: str | Estimates) -> Estimates:
    """'oracle' | 'learned' | 'noisy' | 'noisy:SIGMA' -> Estimates; a ValueError says what to
    write instead."""
    if isinstance(text, Estimates):
        return text
    mode, colon, arg = str(text).strip().lower().partition(":")
    if mode in ("oracle", "learned") and not colon:
        return Estimates(mode)
    if mode == "noisy":
        try:
            sigma = float(arg) if colon else NOISE_SIGMA
        except ValueError:
            sigma = -1.0
        if 0 <= sigma < float("inf"):
            return Estimates(mode, sigma)
        raise ValueError(f"--estimates: {text!r}: SIGMA must be a number >= 0 (the standard "
                         "deviation of the log-normal error), e.g. noisy:0.5")
    suggestion = RENAMED.get(str(text)) or next(
        iter(difflib.get_close_matches(mode, MODES, n=1)), None)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    raise ValueError(f"--estimates: {text!r} is not one of oracle, learned, noisy[:SIGMA]{hint}")


def cost_hints(true_ms: Mapping[Hashable, float], estimates: str | Estimates, seed: int = 0
               ) -> dict[Hashable, float | None]:
    """The hint of each job (None: no hint), from its true cost in core-milliseconds.

    Noisy hints draw one factor per job in the mapping's order from a generator seeded with
    ``seed``, so a replay and its reruns with the same seed give the same hints.
    """
    chosen = parse_estimates(estimates)
    if chosen.mode == "oracle":
        return dict(true_ms)
    if chosen.mode == "learned":
        return {job: None for job in true_ms}
    rng = np.random.default_rng([seed, 1])
    return {job: max(1.0, ms * rng.lognormal(0.0, chosen.sigma)) for job, ms in true_ms.items()}
