"""Scheduler: the waiting queue, the running batch (index = KV slot), admission and retirement.

``schedule()`` returns the requests admitted for prefill this step; ``retire()`` removes the
finished ones and compacts the slot window. Two calls around each engine step.
"""

from __future__ import annotations

from collections import deque

from inference_udf.admission import AdmissionPolicy, ReserveMaxTokens
from inference_udf.kv_pool import KVSlotPool
from inference_udf.request import Request, Status


class Scheduler:
    def __init__(self, pool: KVSlotPool, policy: AdmissionPolicy | None = None,
                 budget_tokens: int | None = None, max_prefill_tokens: int = 4096):
        self.pool = pool
        self.policy = policy or ReserveMaxTokens()
        self.budget_tokens = budget_tokens or pool.num_slots * pool.slot_len
        self.max_prefill_tokens = max_prefill_tokens
        self.waiting: deque[Request] = deque()
        self.running: list[Request] = []

    def add(self, request: Request) -> None:
        if request.max_total_tokens > self.pool.slot_len:
            raise ValueError(
                f"prompt ({request.prompt_len} tokens) + max_new_tokens "
                f"({request.params.max_new_tokens}) exceeds the KV slot length {self.pool.slot_len}:"
                " shorten the prompt, lower max_new_tokens or raise max_model_len")
        self.waiting.append(request)

    def reset(self) -> None:
        self.waiting.clear()
        self.running.clear()
        self.pool.num_active = 0

    @property
    def has_work(self) -> bool:
        return bool(self.waiting or self.running)

    def schedule(self) -> list[Request]:
        """Admit waiting requests (FIFO, stopping at the first refusal) into new slots."""
        admitted: list[Request] = []
        prefill_tokens = 0
        while self.waiting and self.pool.can_allocate():
            request = self.waiting[0]
            if admitted and prefill_tokens + request.prompt_len > self.max_prefill_tokens:
                break
            if not self.policy.admits(request, self.running, self.budget_tokens):
                break
            self.waiting.popleft()
            request.slot = self.pool.allocate()
            request.status = Status.RUNNING
            self.running.append(request)
            admitted.append(request)
            prefill_tokens += request.prompt_len
        return admitted

    def retire(self) -> list[Request]:
        """Drop finished requests from the batch; fill each hole below the new window edge with a
        survivor from above it."""
        finished = [r for r in self.running if r.finished]
        if not finished:
            return []
        keep = len(self.running) - len(finished)
        holes = [r.slot for r in finished if r.slot < keep]
        movers = [r for r in self.running[keep:] if not r.finished]
        width = max((r.num_tokens for r in movers), default=0)
        self.pool.compact([r.slot for r in movers], holes, keep, width)
        for mover, hole in zip(movers, holes):
            self.running[hole] = mover
            mover.slot = hole
        del self.running[keep:]
        return finished
