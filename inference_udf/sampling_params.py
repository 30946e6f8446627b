"""SamplingParams: how one request decodes. Validated on construction, so a bad per-row value
becomes an error in that row instead of failing the task."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Integers go to the device as int64 (a larger one would fail the whole batch's step).
MAX_INT = 2**63 - 1
# Below this a temperature only overflows float32 logits; 0 is the way to ask for greedy.
MIN_TEMPERATURE = 1e-5
# The most alternatives per token a request may ask for (vLLM's default max_logprobs): each one
# is a struct per generated token, so a large k would make every row's answer enormous.
MAX_LOGPROBS = 20


@dataclass(frozen=True)
class SamplingParams:
    max_new_tokens: int = 64
    temperature: float = 0.0          # 0 means greedy
    top_k: int = 0                    # 0 means no top-k cut
    top_p: float = 1.0                # 1 means no nucleus cut
    seed: int | None = None           # per-request RNG: the same seed gives the same tokens
    stop: tuple[str, ...] = ()        # stop strings; the text ends before the first match
    stop_token_ids: tuple[int, ...] = field(default=())
    logprobs: int | None = None       # None: none; k: the chosen token's and k alternatives'

    def __post_init__(self):
        _check_int("max_new_tokens", self.max_new_tokens, minimum=1)
        _check_number("temperature", self.temperature, minimum=0.0)
        if 0.0 < self.temperature < MIN_TEMPERATURE:
            raise ValueError(f"temperature must be 0 (greedy) or at least {MIN_TEMPERATURE}: got "
                             f"{self.temperature!r}")
        _check_int("top_k", self.top_k, minimum=0)
        _check_number("top_p", self.top_p, minimum=0.0, maximum=1.0)
        if self.top_p == 0.0:
            raise ValueError("top_p must be in (0, 1]: got 0; use temperature=0 for greedy decoding")
        if self.seed is not None:
            _check_int("seed", self.seed, minimum=0)
        if isinstance(self.stop, str) or not all(isinstance(s, str) and s for s in self.stop):
            raise ValueError(f"stop must be a list of non-empty strings: got {self.stop!r}")
        if self.logprobs is not None:
            check_logprobs(self.logprobs)
        for token_id in self.stop_token_ids:
            _check_int("stop_token_ids", token_id, minimum=0)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


def check_logprobs(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LOGPROBS:
        raise ValueError(f"logprobs must be None or an integer in [0, {MAX_LOGPROBS}] (the chosen "
                         f"token's log-probability and that many alternatives): got {value!r}")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}: got {value!r}")
    if value > MAX_INT:
        raise ValueError(f"{name} must be at most 2^63 - 1: got {value:.4g}")


def _check_number(name, value, minimum, maximum=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number: got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"in [{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"
        raise ValueError(f"{name} must be {bound}: got {value!r}")
