"""Past-Future admission (LightLLM): admit by the estimated PEAK KV use, not the worst case.

"Past": the output lengths of recently finished requests (a sliding window) give each running
request's expected total output, conditioned on what it has already generated (only finished
lengths longer than that count), never more than its own ``max_new_tokens``.

"Future": KV use only grows until some request finishes. Sort the requests by estimated remaining
tokens, longest first; just before the k-th one finishes, the first k are still alive and each
has grown by ``remaining_k``, so the peak is ``max_k (sum of the first k current lengths +
k * remaining_k)``. A waiting request is admitted if that peak, with it, fits the budget.

An estimate can be wrong: a request may run longer than the past suggested. The scheduler then
preempts (``Scheduler.enforce_budget``), so the KV budget holds whatever the estimates. With no
history yet (a cold start) every request is charged its full ``max_new_tokens``, which is the
conservative rule.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from typing import Iterable, Sequence

from inference_udf.request import Request


class PastFuture:
    def __init__(self, window: int = 1000, quantile: float = 0.95):
        if window < 1:
            raise ValueError(f"window={window}: give the number of finished requests to learn from (>= 1)")
        if not 0.0 < quantile <= 1.0:
            raise ValueError(f"quantile={quantile}: give a value in (0, 1], e.g. 0.95")
        self.quantile = quantile
        self._recent: deque[int] = deque(maxlen=window)   # finish order, for the window
        self._sorted: list[int] = []                       # the same lengths, sorted

    def observe_finished(self, request: Request) -> None:
        """Learn one finished request's output length (called by the scheduler)."""
        if len(self._recent) == self._recent.maxlen:
            del self._sorted[bisect.bisect_left(self._sorted, self._recent[0])]
        length = len(request.output_ids)
        self._recent.append(length)
        bisect.insort(self._sorted, length)

    def expected_remaining(self, request: Request) -> int:
        """Tokens ``request`` is still expected to generate (at most its own limit)."""
        generated = len(request.output_ids)
        cap = request.params.max_new_tokens - generated
        longer = bisect.bisect_right(self._sorted, generated)   # finished lengths > generated
        count = len(self._sorted) - longer
        if count == 0:
            return cap          # no past request ran this long: assume the worst
        index = longer + max(0, math.ceil(self.quantile * count) - 1)
        return min(cap, self._sorted[index] - generated)

    def admits(self, request: Request, running: Sequence[Request], budget_tokens: int) -> bool:
        load = [(r.num_tokens, self.expected_remaining(r)) for r in running]
        load.append((request.num_tokens, self.expected_remaining(request)))
        return peak_tokens(load) <= budget_tokens


def peak_tokens(load: Iterable[tuple[int, int]]) -> int:
    """Peak KV tokens of requests given as (current length, remaining tokens), assuming each
    frees its memory when it finishes."""
    peak = total = 0
    for alive, (current, remaining) in enumerate(sorted(load, key=lambda x: -x[1]), 1):
        total += current
        peak = max(peak, total + alive * remaining)
    return peak
