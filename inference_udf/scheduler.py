"""Scheduler: the waiting queue, the prefilled (staged) queue, the decoding batch, admission,
KV blocks and retirement.

``schedule()`` moves staged requests into free decode seats and returns the requests to prefill
this step (their prompt's blocks taken); ``prepare_decode()`` gives every running request room
for the token it is about to write; ``retire()`` removes finished requests and frees their
blocks. Nothing moves in memory: a request's blocks stay where they are from admission to finish.

The KV budget always holds: a policy that admits on estimates (Past-Future) may be wrong, so
``enforce_budget()`` preempts the requests with the least progress (they restart later from
their prompt, which gives the same tokens for greedy and seeded decoding) until the tokens held
fit. The pool has one block of slack per seat, so tokens within the budget always find blocks.

When to prefill: at once if a decode seat would otherwise sit idle; otherwise in one batch when
the staging area is half empty, so prompt passes are few and large instead of one per finish.
"""

from __future__ import annotations

from collections import deque

from inference_udf.admission import AdmissionPolicy, ReserveMaxTokens
from inference_udf.kv_pool import KVBlockPool
from inference_udf.request import Request, Status


class Scheduler:
    def __init__(self, pool: KVBlockPool, budget_tokens: int, max_model_len: int,
                 max_num_seqs: int, num_staging: int, policy: AdmissionPolicy | None = None,
                 max_prefill_tokens: int = 8192):
        self.pool = pool
        self.policy = policy or ReserveMaxTokens()
        self.budget_tokens = budget_tokens
        self.max_model_len = max_model_len
        self.max_num_seqs = max_num_seqs
        self.num_staging = num_staging
        self.max_prefill_tokens = max_prefill_tokens
        self.waiting: deque[Request] = deque()
        self.staged: deque[Request] = deque()
        self.running: list[Request] = []
        self.num_preempted = 0

    def add(self, request: Request) -> None:
        for limit, name, option in ((self.max_model_len, "the context length", "max_model_len"),
                                    (self.budget_tokens, "the KV budget", "kv_budget_tokens")):
            if request.max_total_tokens > limit:
                raise ValueError(
                    f"prompt ({request.prompt_len} tokens) + max_new_tokens "
                    f"({request.params.max_new_tokens}) exceeds {name} of {limit} tokens: "
                    f"shorten the prompt, lower max_new_tokens or raise {option}")
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

    @property
    def tokens_held(self) -> int:
        return sum(r.num_tokens for r in self.running) + sum(r.num_tokens for r in self.staged)

    def schedule(self) -> list[Request]:
        """Promote staged requests, then admit waiting ones (FIFO, stopping at the first
        refusal) into free decode seats first, staging next. Returns those to prefill."""
        if not self.waiting and not self.staged:      # the common decode-only step
            return []
        while self.staged and len(self.running) < self.max_num_seqs:
            request = self.staged.popleft()
            request.status = Status.RUNNING
            self.running.append(request)
        free = self.max_num_seqs - len(self.running)
        staging = self.num_staging - len(self.staged)
        staging_half_empty = 2 * staging >= self.num_staging
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
            self.pool.grow(request.blocks, request.prompt_len)
            if len(admitted) < free:
                request.status = Status.RUNNING
                self.running.append(request)
            else:
                request.status = Status.STAGED
                self.staged.append(request)
            admitted.append(request)
            prefill_tokens += request.prompt_len
        return admitted

    def prepare_decode(self) -> None:
        """Preempt if estimates were wrong, then give each running request the block for the
        token it writes next (position ``num_tokens - 1``)."""
        self.enforce_budget()
        for request in self.running:
            self.pool.grow(request.blocks, request.num_tokens)

    def retire(self) -> list[Request]:
        """Drop finished requests (telling the policy their output lengths, if it learns from
        them) and free their blocks."""
        finished = [r for r in self.staged if r.finished]
        if finished:
            self.staged = deque(r for r in self.staged if not r.finished)
        done = [r for r in self.running if r.finished]
        if done:
            self.running = [r for r in self.running if not r.finished]
        finished += done
        observe = getattr(self.policy, "observe_finished", None)
        for request in finished:
            self.pool.release(request.blocks)
            if observe is not None:
                observe(request)
        return finished

    def enforce_budget(self) -> list[Request]:
        """Preempt until the KV tokens held fit the budget: staged requests first (newest
        first), then the running ones with the fewest generated tokens. They go back to the
        front of the queue, to restart from their prompt. Returns them."""
        held = self.tokens_held
        if held <= self.budget_tokens:
            return []
        preempted: list[Request] = []
        while self.staged and held > self.budget_tokens:
            request = self.staged.pop()
            held -= request.num_tokens
            preempted.append(request)
        victims: list[Request] = []
        # A lone request always fits: add() refuses any that could outgrow the budget.
        by_progress = sorted(self.running, key=lambda r: len(r.output_ids))
        while held > self.budget_tokens and len(victims) < len(self.running) - 1:
            victim = by_progress[len(victims)]
            held -= victim.num_tokens
            victims.append(victim)
        if victims:
            gone = set(map(id, victims))
            self.running = [r for r in self.running if id(r) not in gone]
        preempted += victims
        for request in preempted:
            self.pool.release(request.blocks)
            request.restart()
        self.num_preempted += len(preempted)
        self.waiting.extendleft(reversed(preempted))
        return preempted

    def _holding_kv(self) -> list[Request]:
        return self.running + list(self.staged)
