"""Scheduler: the waiting queue, the prefilled (staged) queue, the decoding batch (index = KV
slot), admission and retirement.

``schedule()`` moves staged requests into free decode slots and returns the requests to prefill
this step; ``retire()`` removes finished requests and compacts the decode window. Two calls
around each engine step.

The KV budget always holds: a policy that admits on estimates (Past-Future) may be wrong, so
before admitting, ``enforce_budget()`` preempts the requests with the least progress (they restart
later from their prompt, which gives the same tokens for greedy and seeded decoding) until the
tokens held fit.

When to prefill: at once if a decode slot would otherwise sit idle; otherwise in one batch when
the staging area is half empty, so prompt passes are few and large instead of one per finish.
"""

from __future__ import annotations

from collections import deque

from inference_udf.admission import AdmissionPolicy, ReserveMaxTokens
from inference_udf.kv_pool import KVSlotPool
from inference_udf.request import Request, Status


class Scheduler:
    def __init__(self, pool: KVSlotPool, policy: AdmissionPolicy | None = None,
                 budget_tokens: int | None = None, max_prefill_tokens: int = 8192):
        self.pool = pool
        self.policy = policy or ReserveMaxTokens()
        self.budget_tokens = budget_tokens or pool.num_slots * pool.slot_len
        self.max_prefill_tokens = max_prefill_tokens
        self.waiting: deque[Request] = deque()
        self.staged: deque[Request] = deque()
        self.running: list[Request] = []

    def add(self, request: Request) -> None:
        if request.max_total_tokens > self.pool.slot_len:
            raise ValueError(
                f"prompt ({request.prompt_len} tokens) + max_new_tokens "
                f"({request.params.max_new_tokens}) exceeds the KV slot length {self.pool.slot_len}:"
                " shorten the prompt, lower max_new_tokens or raise max_model_len")
        if request.max_total_tokens > self.budget_tokens:
            raise ValueError(
                f"prompt ({request.prompt_len} tokens) + max_new_tokens "
                f"({request.params.max_new_tokens}) exceeds the KV budget of {self.budget_tokens}"
                " tokens: shorten the prompt, lower max_new_tokens or raise kv_budget_tokens")
        self.waiting.append(request)

    def reset(self) -> None:
        self.waiting.clear()
        self.staged.clear()
        self.running.clear()
        self.pool.reset()

    @property
    def has_work(self) -> bool:
        return bool(self.waiting or self.staged or self.running)

    @property
    def num_in_flight(self) -> int:
        return len(self.waiting) + len(self.staged) + len(self.running)

    def schedule(self) -> list[Request]:
        """Promote staged requests, then admit waiting ones (FIFO, stopping at the first
        refusal) into free decode slots first, staging slots next. Returns those to prefill."""
        self.enforce_budget()
        if not self.waiting and not self.staged:      # the common decode-only step
            return []
        self._promote()
        free = self.pool.free_decode_slots
        staging = len(self.pool.free_staging)
        staging_half_empty = 2 * staging >= self.pool.num_slots - self.pool.num_decode_slots
        if not self.waiting or not (free or (staging and staging_half_empty)):
            return []
        admitted: list[Request] = []
        prefill_tokens = 0
        while self.waiting and len(admitted) < free + staging:
            request = self.waiting[0]
            if admitted and prefill_tokens + request.prompt_len > self.max_prefill_tokens:
                break
            if not self.policy.admits(request, self._holding_kv(), self.budget_tokens):
                break
            self.waiting.popleft()
            if len(admitted) < free:
                request.slot, request.status = self.pool.allocate(), Status.RUNNING
                self.running.append(request)
            else:
                request.slot, request.status = self.pool.allocate_staging(), Status.STAGED
                self.staged.append(request)
            admitted.append(request)
            prefill_tokens += request.prompt_len
        return admitted

    def retire(self) -> list[Request]:
        """Drop finished requests (telling the policy their output lengths, if it learns from
        them) and compact the decode window."""
        finished = [r for r in self.staged if r.finished]
        if finished:
            self.staged = deque(r for r in self.staged if not r.finished)
            for request in finished:
                self.pool.free_staging_slot(request.slot)
        done = [r for r in self.running if r.finished]
        self._remove_running(done)
        finished += done
        observe = getattr(self.policy, "observe_finished", None)
        if observe is not None:
            for request in finished:
                observe(request)
        return finished

    def enforce_budget(self) -> list[Request]:
        """Preempt until the KV tokens held fit the budget: staged requests first (newest
        first), then the running ones with the fewest generated tokens. They go back to the
        front of the queue, to restart from their prompt. Returns them."""
        held = sum(r.num_tokens for r in self.running) + sum(r.num_tokens for r in self.staged)
        if held <= self.budget_tokens:
            return []
        preempted: list[Request] = []
        while self.staged and held > self.budget_tokens:
            request = self.staged.pop()
            self.pool.free_staging_slot(request.slot)
            held -= request.num_tokens
            preempted.append(request)
        victims: list[Request] = []
        # A lone request always fits: add() refuses any that could outgrow the budget.
        by_progress = sorted(self.running, key=lambda r: len(r.output_ids))
        while held > self.budget_tokens and len(victims) < len(self.running) - 1:
            victim = by_progress[len(victims)]
            held -= victim.num_tokens
            victims.append(victim)
        self._remove_running(victims)
        preempted += victims
        for request in preempted:
            request.restart()
        self.waiting.extendleft(reversed(preempted))
        return preempted

    def _remove_running(self, leaving: list[Request]) -> None:
        """Take ``leaving`` out of the decode window; fill each hole below the window's new
        edge with a survivor from above it (Flover's reordering: as few moves as holes)."""
        if not leaving:
            return
        gone = set(leaving)
        keep = len(self.running) - len(leaving)
        holes = [r.slot for r in leaving if r.slot < keep]
        movers = [r for r in self.running[keep:] if r not in gone]
        self.pool.move([r.slot for r in movers], holes, _width(movers))
        for mover, hole in zip(movers, holes):
            self.running[hole] = mover
            mover.slot = hole
        del self.running[keep:]
        self.pool.num_active = keep

    def _promote(self) -> None:
        count = min(len(self.staged), self.pool.free_decode_slots)
        promoted = [self.staged.popleft() for _ in range(count)]
        if not promoted:
            return
        sources = [r.slot for r in promoted]
        targets = [self.pool.allocate() for _ in promoted]
        self.pool.move(sources, targets, _width(promoted))
        for request, source, target in zip(promoted, sources, targets):
            self.pool.free_staging_slot(source)
            request.slot, request.status = target, Status.RUNNING
            self.running.append(request)

    def _holding_kv(self) -> list[Request]:
        return self.running + list(self.staged)


def _width(requests) -> int:
    return max((r.num_tokens for r in requests), default=0)
